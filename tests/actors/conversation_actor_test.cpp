// The conversation actor on a real project database: passivation, crashes.
#include "actors/conversation_actor.hpp"
#include "actors/core/bot_definition.hpp"
#include "actors/event_hub.hpp"
#include "actors/persistence.hpp"
#include "common/metrics.hpp"
#include "tests/support/persistence_fixture.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <thread>

using namespace paige::actors;
using json = nlohmann::json;

namespace {

constexpr auto timeout = std::chrono::seconds{10};

bot_ptr echo() {
  return std::make_shared<const bot::definition>(
      std::get<bot::definition>(bot::compile(bot::echo_bot(), {})));
}

inbound_message text_from(const std::string& wa_id, const std::string& wamid,
                          const std::string& body) {
  json m{{"from", wa_id}, {"id", wamid}, {"type", "text"}, {"text", {{"body", body}}}};
  return {wamid, wa_id, "", "text", "", m.dump()};
}

/// The context of conversations on `f`'s project; `graph` stands in for the Meta sync
/// supervisor, `parent` for the project actor.
std::shared_ptr<conversation_context> context_of(paige::test::persistence_fixture& f,
                                                 caf::scoped_actor& parent,
                                                 const caf::actor& graph) {
  auto ctx = std::make_shared<conversation_context>();
  ctx->project_id = f.project;
  ctx->persistence = f.worker;
  ctx->meta_sync = graph;
  ctx->project = parent.address();
  return ctx;
}

}  // namespace

TEST_CASE(
    "a conversation answers the passivation sweep only with nothing in flight, and ends when told",
    "[conversation][db]") {
  paige::test::persistence_fixture f;
  caf::scoped_actor parent{*f.sys};
  caf::scoped_actor graph{*f.sys};  // stands in for the Meta sync supervisor
  auto ctx = context_of(f, parent, graph);
  auto conversation = spawn_conversation(parent.ptr(), ctx, "15550001");
  parent->monitor(conversation);  // only to see it end
  struct end_on_failure {         // the fixture waits for every actor to end
    caf::actor actor;
    ~end_on_failure() { caf::anon_send_exit(actor, caf::exit_reason::kill); }
  } guard{conversation};

  // Hold the contact's first write (the conversation opening) behind a table lock, so the
  // message is surely in flight when the sweep asks.
  pqxx::connection locker{f.db.conninfo()};
  pqxx::work lock{locker};
  lock.exec("LOCK TABLE contacts IN SHARE ROW EXCLUSIVE MODE");
  auto stored = parent->request(conversation, timeout, inbound_atom::value,
                                text_from("15550001", "wamid.1", "hi"), echo(), false);
  parent->send(conversation, idle_atom::value, std::int64_t{1});  // busy: not answered
  lock.commit();
  stored.receive([](caf::ok_atom) {}, [](caf::error& e) { FAIL(caf::to_string(e)); });
  graph->receive(
      [](send_atom, const std::string& project, const std::string& wa_id,
         std::vector<outbound_item>& items) {
        CHECK(project == "p1");
        CHECK(wa_id == "15550001");
        REQUIRE(items.size() == 1);
        CHECK(json::parse(items[0].content_json)["text"]["body"] == "echo: hi");
      },
      caf::after(timeout) >> [] { FAIL("no reply was handed to the Meta sync supervisor"); });

  // Settled: the next question is answered, and only it.
  parent->send(conversation, idle_atom::value, std::int64_t{2});
  parent->receive(
      [](idle_atom, const std::string& wa_id, std::int64_t asked_at) {
        CHECK(wa_id == "15550001");
        CHECK(asked_at == 2);
      },
      caf::after(timeout) >> [] { FAIL("an idle conversation did not answer the sweep"); });

  parent->send(conversation, passivate_atom::value, std::int64_t{0});
  parent->receive(
      [&](caf::down_msg& down) {
        CHECK(down.source == conversation.address());
        CHECK(down.reason == caf::exit_reason::normal);
      },
      caf::after(timeout) >> [] { FAIL("a passivated conversation did not end"); });
  CHECK(
      f.count("SELECT count(*) FROM messages WHERE direction = 'in' AND handled_at IS NOT NULL") ==
      1);
}

TEST_CASE("a message whose step throws is stored, marked skipped, and the conversation goes on",
          "[conversation][db]") {
  paige::test::persistence_fixture f;
  caf::scoped_actor parent{*f.sys};
  caf::scoped_actor graph{*f.sys};   // stands in for the Meta sync supervisor
  caf::scoped_actor events{*f.sys};  // stands in for the project's event hub
  auto ctx = context_of(f, parent, graph);
  ctx->events = events;
  paige::metrics::registry metrics;
  ctx->metrics = &metrics;
  auto conversation = spawn_conversation(parent.ptr(), ctx, "15550002");
  struct end_on_failure {  // the fixture waits for every actor to end
    caf::actor actor;
    ~end_on_failure() { caf::anon_send_exit(actor, caf::exit_reason::kill); }
  } guard{conversation};
  // A variable that doubles itself: the step that would pass max_vars_bytes throws.
  auto doubling = std::make_shared<const bot::definition>(
      std::get<bot::definition>(bot::compile(json::parse(R"({
      "initial_state": "a", "states": {"a": {"kind": "await", "routes": [{"when": "always", "then": [
        {"set": {"x": "{{vars.x}}{{vars.x}}{{message.text}}"}},
        {"send": {"type": "text", "text": {"body": "ok"}}}]}]}}})"),
                                             {})));
  std::string big(20000, 'y');
  for (int i = 1; i <= 3; ++i) {
    auto wamid = "wamid.skip." + std::to_string(i);
    parent
        ->request(conversation, timeout, inbound_atom::value, text_from("15550002", wamid, big),
                  doubling, false)
        .receive([](caf::ok_atom) {}, [](caf::error& e) { FAIL(caf::to_string(e)); });
  }
  // The first two steps ran (their replies went out); the third would hold 120 000 bytes of
  // variables: handled without effects, its reason on the message, an event, a metric.
  for (int i = 0; i < 2; ++i)
    graph->receive(
        [](send_atom, const std::string&, const std::string&, std::vector<outbound_item>&) {},
        caf::after(timeout) >> [] { FAIL("a step's reply was not handed over"); });
  bool skipped = false;
  for (int i = 0; i < 20 && !skipped; ++i)
    events->receive(
        [&](publish_atom, const std::string& type, std::int64_t, const std::string& data) {
          if (type != "message.skipped") return;
          skipped = true;
          auto event = json::parse(data);
          CHECK(event["error"]["code"] == "vars_too_large");
        },
        caf::after(timeout) >> [] { FAIL("no message.skipped event"); });
  CHECK(skipped);
  auto marked = [&] {
    return f.count(
               "SELECT count(*) FROM messages WHERE wamid = 'wamid.skip.3' AND handled_at IS NOT "
               "NULL "
               "AND error->>'code' = 'vars_too_large'") == 1;
  };
  for (int i = 0; i < 1000 && !marked(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  CHECK(marked());
  CHECK(f.count("SELECT count(*) FROM messages WHERE direction = 'out'") == 2);
  CHECK_THAT(metrics.expose(),
             Catch::Contains("paige_bot_steps_skipped_total{reason=\"vars_too_large\"} 1"));
  // The actor lives on: the next message (with a bot that keeps no variables) is answered.
  parent
      ->request(conversation, timeout, inbound_atom::value,
                text_from("15550002", "wamid.skip.4", "hi"), echo(), false)
      .receive([](caf::ok_atom) {}, [](caf::error& e) { FAIL(caf::to_string(e)); });
  graph->receive(
      [](send_atom, const std::string&, const std::string&, std::vector<outbound_item>& items) {
        REQUIRE(items.size() == 1);
        CHECK(json::parse(items[0].content_json)["text"]["body"] == "echo: hi");
      },
      caf::after(timeout) >> [] { FAIL("the conversation did not go on after a skipped step"); });
}

TEST_CASE(
    "a first message commits with its conversation's opening unless its step needs what only the "
    "database knows",
    "[conversation][db]") {
  paige::test::persistence_fixture f;
  caf::scoped_actor parent{*f.sys};
  caf::scoped_actor graph{*f.sys};  // stands in for the Meta sync supervisor
  auto ctx = context_of(f, parent, graph);
  auto compiled = [](const char* source) {
    return std::make_shared<const bot::definition>(
        std::get<bot::definition>(bot::compile(json::parse(source), {})));
  };
  auto two_states = compiled(R"({"initial_state": "a", "states": {
      "a": {"kind": "await", "routes": [{"when": "always", "then": [
        {"send": {"type": "text", "text": {"body": "a: {{contact.name}}"}}}, {"goto": "b"}]}]},
      "b": {"kind": "await", "routes": [{"when": "always", "then": [
        {"send": {"type": "text", "text": {"body": "b: {{contact.name}}"}}}]}]}}})");
  auto says_id = compiled(R"({"initial_state": "a", "states": {"a": {"kind": "await", "routes": [
      {"when": "always", "then": [{"send": {"type": "text", "text": {"body": "{{ conversation.id }}"}}}]}]}}})");
  CHECK_FALSE(two_states->reads_conversation_id);
  CHECK(says_id->reads_conversation_id);
  {
    pqxx::connection c{f.db.conninfo()};
    pqxx::work tx{c};
    paige::storage::open_conversation(tx, "15550011", "Flo", "b");  // open in the second state
    auto gus = paige::storage::open_conversation(tx, "15550012", "Gus", "a");
    tx.exec0("UPDATE conversations SET status = 'closed', closed_at = now() WHERE id = " +
             std::to_string(gus.conversation_id));
    tx.commit();
  }
  std::vector<caf::actor> conversations;
  struct end_all {  // the fixture waits for every actor to end
    std::vector<caf::actor>& actors;
    ~end_all() {
      for (auto& a : actors) caf::anon_send_exit(a, caf::exit_reason::kill);
    }
  } guard{conversations};
  // The contact's first message to a new conversation actor; the reply the bot sent.
  auto reply_to_first = [&](const std::string& wa_id, const std::string& name, bot_ptr bot) {
    conversations.push_back(spawn_conversation(parent.ptr(), ctx, wa_id));
    auto msg = text_from(wa_id, "wamid." + wa_id, "hi");
    msg.profile_name = name;
    parent->request(conversations.back(), timeout, inbound_atom::value, msg, bot, false)
        .receive([](caf::ok_atom) {}, [](caf::error& e) { FAIL(caf::to_string(e)); });
    std::string body;
    graph->receive(
        [&](send_atom, const std::string&, const std::string& to,
            std::vector<outbound_item>& items) {
          CHECK(to == wa_id);
          REQUIRE(items.size() == 1);
          body = json::parse(items[0].content_json)["text"]["body"];
        },
        caf::after(timeout) >> [] { FAIL("no reply was handed to the Meta sync supervisor"); });
    return body;
  };
  // Stored in the transaction that opened the conversation: the same now().
  auto opened_with_it = [&](const std::string& wa_id) {
    return f.count(
               "SELECT count(*) FROM messages m JOIN conversations v ON v.id = m.conversation_id "
               "WHERE m.wamid = 'wamid." +
               wa_id + "' AND m.handled_at = v.started_at") == 1;
  };

  // A new contact: the step ran from the initial state and committed with the opening.
  CHECK(reply_to_first("15550010", "Eve", two_states) == "a: Eve");
  CHECK(opened_with_it("15550010"));
  CHECK(f.count("SELECT count(*) FROM conversations v JOIN contacts c ON c.id = v.contact_id "
                "WHERE c.wa_id = '15550010' AND v.state = 'b' AND v.status = 'open'") == 1);

  // An open conversation the actor did not know (passivated, restarted): the step runs again
  // in its state; only that step's reply is stored and sent.
  CHECK(reply_to_first("15550011", "", two_states) == "b: Flo");
  CHECK(f.count("SELECT count(*) FROM messages m JOIN contacts c ON c.id = m.contact_id "
                "WHERE c.wa_id = '15550011' AND m.direction = 'out'") == 1);
  CHECK(f.count("SELECT count(*) FROM conversations v JOIN contacts c ON c.id = v.contact_id "
                "WHERE c.wa_id = '15550011'") == 1);

  // A known contact writing without a profile name: a new conversation, the step run again
  // with the stored name.
  CHECK(reply_to_first("15550012", "", two_states) == "a: Gus");
  CHECK(f.count("SELECT count(*) FROM messages m JOIN contacts c ON c.id = m.contact_id "
                "WHERE c.wa_id = '15550012' AND m.direction = 'out'") == 1);
  CHECK(f.count("SELECT count(*) FROM conversations v JOIN contacts c ON c.id = v.contact_id "
                "WHERE c.wa_id = '15550012' AND v.status = 'open' AND v.state = 'b'") == 1);

  // A bot that reads the conversation's id: opened first, then the step.
  auto id = reply_to_first("15550013", "Hal", says_id);
  CHECK(id == std::to_string(
                  f.count("SELECT v.id FROM conversations v JOIN contacts c ON c.id = v.contact_id "
                          "WHERE c.wa_id = '15550013'")));
  CHECK_FALSE(opened_with_it("15550013"));
}
