// The conversation actor's order of work on CAF's deterministic scheduler: a stand-in for the
// persistence worker holds every write until the test answers it, so the test chooses the
// interleaving (the database tests force theirs with table locks against a real Postgres).
#include "actors/conversation_actor.hpp"
#include "actors/errors.hpp"
#include "actors/persistence.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

using namespace paige::actors;
using paige::storage::conversation_row;
using paige::storage::inbound_row;
using paige::storage::open_row;
using paige::storage::step_outcome;
using paige::storage::step_row;
using json = nlohmann::json;

namespace {

using release_atom = caf::atom_constant<caf::atom("release")>;
using refuse_atom = caf::atom_constant<caf::atom("refuse")>;

/// A write the stand-in holds: what it is, whose message, and the promise to answer.
struct held_write {
  caf::atom_value what;
  std::string wamid;
  caf::response_promise promise;
};
using held_writes = std::vector<held_write>;

/// Holds each write until the test sends (release_atom, i) or (refuse_atom, i); answers as the
/// worker would have after a commit (conversation 100, message ids from 1000).
caf::behavior persistence_stand_in(caf::event_based_actor* self,
                                   std::shared_ptr<held_writes> held) {
  auto hold = [self, held](caf::atom_value what, const std::string& wamid) {
    auto rp = self->make_response_promise();
    held->push_back({what, wamid, rp});
    return rp;
  };
  return {
      [=](first_atom, const std::string&, open_row&, std::string&, inbound_row& in, step_row&,
          save_list&) { return hold(first_atom::value, in.wamid); },
      [=](exchange_atom, const std::string&, inbound_row& in, step_row&, save_list&) {
        return hold(exchange_atom::value, in.wamid);
      },
      [=](inbound_atom, const std::string&, inbound_row& in) {
        return hold(inbound_atom::value, in.wamid);
      },
      [=](release_atom, std::size_t i) {
        auto& w = held->at(i);
        auto id = static_cast<std::int64_t>(1000 + i);
        if (w.what == first_atom::value)
          w.promise.deliver(conversation_row{1, 100, "", "a", "{}", "", 0, true}, true, id,
                            step_outcome{true, {}});
        else if (w.what == exchange_atom::value)
          w.promise.deliver(id, step_outcome{true, {}});
        else
          w.promise.deliver(id);
      },
      [=](refuse_atom, std::size_t i) {
        held->at(i).promise.deliver(make_error(errc::db_unavailable, "the database is down"));
      },
  };
}

/// A bot that answers nothing and stays in its state: the order of writes is what is tested.
bot_ptr quiet_bot() {
  auto source = json::parse(R"({"initial_state": "a", "states": {"a": {"kind": "await",
      "routes": [{"when": "always", "then": []}]}}})");
  return std::make_shared<const bot::definition>(
      std::get<bot::definition>(bot::compile(source, {})));
}

inbound_message text(const std::string& wamid) {
  json m{{"from", "111"}, {"id", wamid}, {"type", "text"}, {"text", {{"body", "hi"}}}};
  return {wamid, "111", "", "text", "", m.dump()};
}

struct deterministic_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::unique_ptr<caf::scoped_actor> self;
  std::shared_ptr<held_writes> held = std::make_shared<held_writes>();
  caf::actor persistence;
  caf::actor conversation;

  deterministic_fixture() {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
    self = std::make_unique<caf::scoped_actor>(*sys, true);
    persistence = sys->spawn(persistence_stand_in, held);
    auto ctx = std::make_shared<conversation_context>();
    ctx->project_id = "p1";
    ctx->persistence = persistence;
    ctx->project = self->address();
    conversation = spawn_conversation(self->ptr(), ctx, "111");
  }
  ~deterministic_fixture() {
    caf::anon_send_exit(conversation, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(persistence, caf::exit_reason::user_shutdown);
    sched->run();
  }

  void receive(const std::string& wamid) {
    (*self)->send(conversation, inbound_atom::value, text(wamid), quiet_bot(), false);
    sched->run();
  }
  void release(std::size_t i) {
    (*self)->send(persistence, release_atom::value, i);
    sched->run();
  }
  void refuse(std::size_t i) {
    (*self)->send(persistence, refuse_atom::value, i);
    sched->run();
  }
  /// The answers the senders got so far: "ok" or the error's code.
  std::vector<std::string> answers() {
    std::vector<std::string> out;
    bool more = true;
    while (more)
      (*self)->receive([&](caf::ok_atom) { out.push_back("ok"); },
                       [&](caf::error& err) { out.push_back(to_string(code_of(err))); },
                       caf::after(std::chrono::seconds{0}) >> [&] { more = false; });
    return out;
  }
};

}  // namespace

TEST_CASE_METHOD(deterministic_fixture,
                 "a contact's second message waits until the first committed with its step",
                 "[conversation_order]") {
  receive("m1");
  REQUIRE(held->size() == 1);
  CHECK(held->at(0).what == first_atom::value);  // opens the conversation in the same commit
  receive("m2");
  CHECK(held->size() == 1);  // m2 is not written while m1's commit is open
  CHECK(answers().empty());

  release(0);
  CHECK(answers() == std::vector<std::string>{"ok"});
  REQUIRE(held->size() == 2);
  CHECK(held->at(1).what == exchange_atom::value);  // the conversation is open now
  CHECK(held->at(1).wamid == "m2");

  release(1);
  CHECK(answers() == std::vector<std::string>{"ok"});
}

TEST_CASE_METHOD(deterministic_fixture,
                 "a first message that cannot be written fails the messages behind it, and the "
                 "next one starts over",
                 "[conversation_order]") {
  receive("m1");
  receive("m2");
  refuse(0);
  // Both senders learn it (their webhooks answer 503 and Meta redelivers); nothing is held.
  CHECK(answers() == std::vector<std::string>{"db_unavailable", "db_unavailable"});
  CHECK(held->size() == 1);

  receive("m1");  // the redelivery
  REQUIRE(held->size() == 2);
  CHECK(held->at(1).what == first_atom::value);
  release(1);
  CHECK(answers() == std::vector<std::string>{"ok"});
}
