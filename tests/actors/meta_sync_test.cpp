// The Meta sync supervisor with a Graph API stand-in and the test as the project actor:
// outcomes are asked again until recorded, and an outbox read that comes late sends nothing
// twice.
#include "actors/meta_sync.hpp"
#include "actors/conversation_actor.hpp"
#include "actors/errors.hpp"
#include "actors/project_types.hpp"
#include "actors/system_config.hpp"
#include "tests/support/child_process.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <limits>

#include <atomic>
#include <mutex>
#include <set>
#include <vector>

using namespace paige::actors;

namespace {

constexpr auto timeout = std::chrono::seconds{10};

/// Accepts every send at once with wamid "wamid.<n>", counting the calls per recipient.
class accepting_graph : public graph_api {
 public:
  void call(const std::string&, const std::string&, const std::string&, std::string body,
            std::function<void(graph_result)> done) override {
    calls_.fetch_add(1);
    graph_result r;
    r.http_status = 200;
    r.body = R"({"messages": [{"id": "wamid.)" + std::to_string(calls_.load()) + R"("}]})";
    done(std::move(r));
    (void)body;
  }
  int calls() const { return calls_.load(); }

 private:
  std::atomic<int> calls_{0};
};

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<accepting_graph> graph = std::make_shared<accepting_graph>();
  caf::actor meta;

  fixture() {
    configure_actor_system(cfg, 2);
    add_project_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    meta = spawn_meta_sync(*sys, graph);
  }
  ~fixture() {
    caf::anon_send_exit(meta, caf::exit_reason::user_shutdown);
    sys->await_all_actors_done();
  }
};

}  // namespace

TEST_CASE(
    "a send's outcome is asked again until it is recorded, and a late outbox read sends nothing "
    "twice",
    "[actors][meta_sync]") {
  fixture f;
  caf::scoped_actor project{*f.sys};
  project->send(f.meta, number_atom::value, std::string{"p1"}, std::string{"1001"},
                std::string{"token"}, caf::actor{}, caf::actor{project}, 80.0);
  project->send(f.meta, send_atom::value, std::string{"p1"}, std::string{"1555"},
                std::vector<outbound_item>{{41, R"({"type": "text", "text": {"body": "hi"}})"}});
  // The database is down: the first record fails...
  project->receive(
      [&](record_atom, std::int64_t id, const std::string& wamid,
          bool again) -> caf::result<caf::ok_atom> {
        CHECK(id == 41);
        CHECK(wamid == "wamid.1");
        CHECK_FALSE(again);
        return make_error(errc::db_unavailable, "the database is down");
      },
      caf::after(timeout) >> [] { FAIL("the outcome was not recorded"); });
  // ... and it is asked again (as a record that may have gone through), until it is.
  project->receive(
      [&](record_atom, std::int64_t id, const std::string&,
          bool again) -> caf::result<caf::ok_atom> {
        CHECK(id == 41);
        CHECK(again);
        return caf::ok_atom::value;
      },
      caf::after(timeout) >> [] { FAIL("the outcome was not asked again"); });
  // An outbox read whose snapshot came before the wamid was committed arrives now: 41 again.
  project->send(f.meta, send_atom::value, std::string{"p1"}, std::string{"1555"},
                std::vector<outbound_item>{{41, R"({"type": "text", "text": {"body": "hi"}})"},
                                           {42, R"({"type": "text", "text": {"body": "next"}})"}});
  project->receive(
      [&](record_atom, std::int64_t id, const std::string&, bool) -> caf::result<caf::ok_atom> {
        CHECK(id == 42);  // only the new one went out
        return caf::ok_atom::value;
      },
      caf::after(timeout) >> [] { FAIL("the next message was not sent"); });
  CHECK(f.graph->calls() == 2);
}

TEST_CASE("an outcome whose project actor is gone waits for its next actor",
          "[actors][meta_sync]") {
  fixture f;
  caf::scoped_actor project{*f.sys};
  // The project's actor ends (it restarts, say) before the outcome is recorded.
  // (An argument: CAF 0.17 dereferences a null argument tuple for a function without any.)
  auto gone = f.sys->spawn([](int) -> caf::behavior { return {[](int) {}}; }, 0);
  project->send(f.meta, number_atom::value, std::string{"p1"}, std::string{"1001"},
                std::string{"token"}, caf::actor{}, gone, 80.0);
  project->send_exit(gone, caf::exit_reason::user_shutdown);
  project->wait_for(gone);
  project->send(f.meta, send_atom::value, std::string{"p1"}, std::string{"1555"},
                std::vector<outbound_item>{{7, R"({"type": "text", "text": {"body": "hi"}})"}});
  REQUIRE(paige::test::wait_until([&] { return f.graph->calls() == 1; }));
  // Its successor announces the number again and is asked to record what was sent meanwhile.
  project->send(f.meta, number_atom::value, std::string{"p1"}, std::string{"1001"},
                std::string{"token"}, caf::actor{}, caf::actor{project}, 80.0);
  project->receive(
      [&](record_atom, std::int64_t id, const std::string& wamid,
          bool again) -> caf::result<caf::ok_atom> {
        CHECK(id == 7);
        CHECK(wamid == "wamid.1");
        CHECK(again);  // the first attempt's answer never came: it may have been stored
        return caf::ok_atom::value;
      },
      caf::after(timeout) >> [] { FAIL("the outcome was not recorded by the new actor"); });
  CHECK(f.graph->calls() == 1);  // sent once
}

namespace {

/// Holds every call until the test answers it: the token each one used, in call order.
class held_graph : public graph_api {
 public:
  void call(const std::string&, const std::string&, const std::string& token, std::string,
            std::function<void(graph_result)> done) override {
    std::lock_guard<std::mutex> lock{mutex_};
    calls_.push_back({token, std::move(done)});
  }
  std::size_t calls() {
    std::lock_guard<std::mutex> lock{mutex_};
    return calls_.size();
  }
  std::string token_of(std::size_t i) {
    std::lock_guard<std::mutex> lock{mutex_};
    return calls_.at(i).first;
  }
  /// Answers call `i` with Meta's accepted send, or with error `code`.
  void answer(std::size_t i, long code = 0) {
    std::function<void(graph_result)> done;
    {
      std::lock_guard<std::mutex> lock{mutex_};
      done = calls_.at(i).second;
    }
    graph_result r;
    if (code == 0) {
      r.http_status = 200;
      r.body = R"({"messages": [{"id": "wamid.)" + std::to_string(i) + R"("}]})";
    } else {
      r.http_status = 401;
      r.body = R"({"error": {"message": "(#190) Invalid OAuth access token", "code": )" +
               std::to_string(code) + "}}";
    }
    done(std::move(r));
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::function<void(graph_result)>>> calls_;
};

struct held_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<held_graph> graph = std::make_shared<held_graph>();
  caf::actor meta;
  held_fixture() {
    configure_actor_system(cfg, 2);
    add_project_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    meta = spawn_meta_sync(*sys, graph);
  }
  ~held_fixture() {
    caf::anon_send_exit(meta, caf::exit_reason::user_shutdown);
    sys->await_all_actors_done();
  }
  void number(caf::scoped_actor& project, const std::string& token) {
    project->send(meta, number_atom::value, std::string{"p1"}, std::string{"1001"}, token,
                  caf::actor{}, caf::actor{project}, 80.0);
  }
  void send(caf::scoped_actor& project, std::int64_t id, const std::string& wa_id) {
    project->send(meta, send_atom::value, std::string{"p1"}, wa_id,
                  std::vector<outbound_item>{{id, R"({"type": "text", "text": {"body": "hi"}})"}});
  }
};

/// Answers the next record of an accepted send; its message id.
std::int64_t recorded(caf::scoped_actor& project) {
  std::int64_t out = 0;
  project->receive(
      [&](record_atom, std::int64_t id, const std::string&, bool) -> caf::result<caf::ok_atom> {
        out = id;
        return caf::ok_atom::value;
      },
      caf::after(timeout) >> [] { FAIL("no send was recorded"); });
  return out;
}

}  // namespace

TEST_CASE("a refused token holds every send of the number until a new token comes",
          "[actors][meta_sync]") {
  held_fixture f;
  caf::scoped_actor project{*f.sys};
  f.number(project, "token-a");
  f.send(project, 1, "1555");
  f.send(project, 2, "1666");
  // A token not yet known good: one send at a time.
  REQUIRE(paige::test::wait_until([&] { return f.graph->calls() == 1; }));
  f.graph->answer(0, 190);
  // The project actor is told once, with the token Meta refused.
  project->receive(
      [&](token_invalid_atom, const std::string& token, const std::string& error) {
        CHECK(token == "token-a");
        CHECK(error.find("190") != std::string::npos);
      },
      caf::after(timeout) >> [] { FAIL("the refusal was not told"); });
  f.send(project, 3, "1777");
  // Nothing more is tried while the token is refused (and nothing is recorded as failed).
  project->receive([&](caf::message&) { FAIL("nothing should reach the project actor"); },
                   caf::after(std::chrono::milliseconds{200}) >> [] {});
  CHECK(f.graph->calls() == 1);
  // A new token: one send first; once Meta took it, the others, each once.
  f.number(project, "token-b");
  REQUIRE(paige::test::wait_until([&] { return f.graph->calls() == 2; }));
  CHECK(f.graph->token_of(1) == "token-b");
  f.graph->answer(1);
  std::set<std::int64_t> sent{recorded(project)};
  REQUIRE(paige::test::wait_until([&] { return f.graph->calls() == 4; }));
  for (std::size_t i = 2; i < 4; ++i) {
    CHECK(f.graph->token_of(i) == "token-b");
    f.graph->answer(i);
    sent.insert(recorded(project));
  }
  CHECK(sent == std::set<std::int64_t>{1, 2, 3});
}

TEST_CASE("a refusal of a token replaced meanwhile holds nothing", "[actors][meta_sync]") {
  held_fixture f;
  caf::scoped_actor project{*f.sys};
  f.number(project, "token-a");
  f.send(project, 1, "1555");
  REQUIRE(paige::test::wait_until([&] { return f.graph->calls() == 1; }));
  f.number(project, "token-b");  // connected again while the send with token-a is in flight
  f.graph->answer(0, 190);
  // Sent again at once with the new token; the project is not told of any refusal.
  REQUIRE(paige::test::wait_until([&] { return f.graph->calls() == 2; }));
  CHECK(f.graph->token_of(1) == "token-b");
  f.graph->answer(1);
  CHECK(recorded(project) == 1);
}

TEST_CASE(
    "a send refused for the account holds the number's sends until the project releases "
    "them",
    "[actors][meta_sync]") {
  held_fixture f;
  caf::scoped_actor project{*f.sys};
  f.number(project, "token");
  f.send(project, 1, "1555");
  f.send(project, 2, "1666");
  REQUIRE(paige::test::wait_until([&] { return f.graph->calls() == 1; }));
  f.graph->answer(0, 368);
  // The project actor is told, with Meta's error; the message is not failed.
  std::uint64_t seq = 0;
  project->receive(
      [&](account_refused_atom, const std::string& error, std::uint64_t s) {
        CHECK(error.find("368") != std::string::npos);
        seq = s;
      },
      caf::after(timeout) >> [] { FAIL("the refusal was not told"); });
  REQUIRE(seq > 0);
  // A release sent before the project actor knew of the refusal is ignored.
  project->send(f.meta, hold_atom::value, std::string{"p1"}, false, seq - 1);
  // A restarted project actor says the hold first: number_atom keeps it.
  project->send(f.meta, hold_atom::value, std::string{"p1"}, true, seq);
  f.number(project, "token");
  f.send(project, 3, "1777");
  project->receive([&](caf::message&) { FAIL("nothing should reach the project actor"); },
                   caf::after(std::chrono::milliseconds{200}) >> [] {});
  CHECK(f.graph->calls() == 1);
  // Released by a project actor that started anew (it knows no refusal: what it stored
  // decides): one send first (perhaps still refused), then the others, each once.
  project->send(f.meta, hold_atom::value, std::string{"p1"}, false,
                std::numeric_limits<std::uint64_t>::max());
  REQUIRE(paige::test::wait_until([&] { return f.graph->calls() == 2; }));
  f.graph->answer(1);
  std::set<std::int64_t> sent{recorded(project)};
  REQUIRE(paige::test::wait_until([&] { return f.graph->calls() == 4; }));
  for (std::size_t i = 2; i < 4; ++i) {
    f.graph->answer(i);
    sent.insert(recorded(project));
  }
  CHECK(sent == std::set<std::int64_t>{1, 2, 3});
}
