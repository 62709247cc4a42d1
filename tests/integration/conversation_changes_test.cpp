// Operator changes to conversations (state, close), the inactivity timeout and live events,
// through the real binaries.
#include "tests/support/event_stream.hpp"
#include "tests/support/pipeline.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace paige::test;

namespace {

/// Each message is answered with the state it was handled in; a and b alternate, c stays.
const char* alternating_bot = R"({"initial_state": "a", "states": {
  "a": {"kind": "await", "routes": [{"when": "always", "then": [
        {"send": {"type": "text", "text": {"body": "in a"}}}, {"goto": "b"}]}]},
  "b": {"kind": "await", "routes": [{"when": "always", "then": [
        {"send": {"type": "text", "text": {"body": "in b"}}}, {"goto": "a"}]}]},
  "c": {"kind": "await", "routes": [{"when": "always", "then": [
        {"send": {"type": "text", "text": {"body": "in c"}}}]}]}}})";

std::string open_conversation_of(pipeline& p, const std::string& wa_id) {
  auto contacts =
      p.s.call("GET", "/v1/projects/" + p.project + "/contacts?search=" + wa_id).body["items"];
  REQUIRE(contacts.size() == 1);
  auto convs = p.s.call("GET", "/v1/projects/" + p.project + "/contacts/" +
                                   std::to_string(contacts[0]["id"].get<long>()) + "/conversations")
                   .body["items"];
  REQUIRE(!convs.empty());
  return std::to_string(convs[0]["id"].get<long>());
}

}  // namespace

TEST_CASE("a state change is serialized with the bot's steps and the next message is handled in it",
          "[integration][conversations]") {
  pipeline p;
  p.put_bot(json::parse(alternating_bot));
  auto base = "/v1/projects/" + p.project;
  p.say("15550080", "m0");
  REQUIRE(body_of(p.replies("15550080", 1)[0]) == "in a");
  auto conv = open_conversation_of(p, "15550080");

  // The contact keeps writing while the operator moves the conversation to c.
  constexpr int messages = 30;
  std::thread writer{[&] {
    for (int i = 1; i <= messages; ++i) p.say("15550080", "m" + std::to_string(i));
  }};
  wait_until([&] { return p.records("15550080", "out").size() >= 5; });
  auto changed = p.s.call("PATCH", base + "/conversations/" + conv, json{{"state", "c"}}.dump());
  writer.join();
  REQUIRE(changed.status == 200);
  CHECK(changed.body["id"].get<long>() == std::stol(conv));
  auto replies = p.replies("15550080", messages + 1);
  // Alternating a/b until the change took effect, then c only: no step undid the change.
  std::size_t i = 0;
  for (; i < replies.size() && body_of(replies[i]) != "in c"; ++i)
    CHECK(body_of(replies[i]) == (i % 2 == 0 ? "in a" : "in b"));
  CHECK(i < replies.size());
  for (; i < replies.size(); ++i) CHECK(body_of(replies[i]) == "in c");
  CHECK(p.s.call("GET", base + "/conversations/" + conv).body["state"] == "c");
  p.say("15550080", "after");
  CHECK(body_of(p.replies("15550080", messages + 2).back()) == "in c");
}

TEST_CASE("an undeclared state is refused unless forced", "[integration][conversations]") {
  pipeline p;
  p.put_bot(json::parse(alternating_bot));
  auto base = "/v1/projects/" + p.project;
  p.say("15550081", "hi");
  p.replies("15550081", 1);
  auto conv = open_conversation_of(p, "15550081");
  auto refused =
      p.s.call("PATCH", base + "/conversations/" + conv, json{{"state", "nowhere"}}.dump());
  CHECK(refused.status == 422);
  CHECK(refused.body["error"]["code"] == "unknown_state");
  CHECK(p.s.call("GET", base + "/conversations/" + conv).body["state"] == "b");
  auto forced = p.s.call("PATCH", base + "/conversations/" + conv,
                         json{{"state", "nowhere"}, {"force", true}}.dump());
  CHECK(forced.status == 200);
  CHECK(forced.body["state"] == "nowhere");
  CHECK(p.s.call("PATCH", base + "/conversations/" + conv, json{{"state", 5}}.dump()).status ==
        422);
  CHECK(p.s.call("PATCH", base + "/conversations/999999", json{{"state", "a"}}.dump()).status ==
        404);
  // A state the bot does not know is handled from the initial state.
  p.say("15550081", "again");
  CHECK(body_of(p.replies("15550081", 2).back()) == "in a");
  // A project key: allowed on its project, logged with its key id.
  auto key = p.s.call("POST", base + "/keys", json{{"name", "ops"}}.dump());
  auto by_key = p.s.call("PATCH", base + "/conversations/" + conv, json{{"state", "c"}}.dump(),
                         key.body["key"]);
  CHECK(by_key.status == 200);
  CHECK(p.s.server->process().stderr_text().find("by=key:" + key.body["id"].get<std::string>()) !=
        std::string::npos);
}

TEST_CASE("a closed conversation stays closed and the next message opens a new one",
          "[integration][conversations]") {
  pipeline p;
  p.put_bot(json::parse(alternating_bot));
  auto base = "/v1/projects/" + p.project;
  p.say("15550082", "one");
  p.say("15550082", "two");
  p.replies("15550082", 2);
  auto conv = open_conversation_of(p, "15550082");
  auto closed = p.s.call("POST", base + "/conversations/" + conv + "/close");
  REQUIRE(closed.status == 200);
  CHECK(closed.body["status"] == "closed");
  CHECK(p.s.call("POST", base + "/conversations/" + conv + "/close").body["status"] ==
        "closed");  // idempotent
  auto late = p.s.call("PATCH", base + "/conversations/" + conv, json{{"state", "c"}}.dump());
  CHECK(late.status == 409);
  CHECK(late.body["error"]["code"] == "conversation_closed");
  CHECK(p.s.call("POST", base + "/conversations/424242/close").status == 404);

  p.say("15550082", "three");
  CHECK(body_of(p.replies("15550082", 3).back()) == "in a");  // the initial state again
  auto next = open_conversation_of(p, "15550082");
  CHECK(next != conv);
  auto fresh = p.s.call("GET", base + "/conversations/" + next).body;
  CHECK(fresh["status"] == "open");
  CHECK(fresh["state"] == "b");
  auto old_messages = p.s.call("GET", base + "/conversations/" + conv + "/messages").body["items"];
  CHECK(old_messages.size() == 4);  // two in, two out: nothing of the new conversation
}

TEST_CASE("the inactivity timeout closes idle conversations only", "[integration][conversations]") {
  pipeline p({}, {"--conversation-sweep", "200ms"});
  p.put_bot(json::parse(alternating_bot));
  auto base = "/v1/projects/" + p.project;
  p.say("15550083", "idle soon");
  p.say("15550084", "still here");
  p.replies("15550083", 1);
  p.replies("15550084", 1);
  auto idle = open_conversation_of(p, "15550083");
  auto active = open_conversation_of(p, "15550084");
  {
    auto db = p.project_db();
    pqxx::work tx{db};
    tx.exec_params(
        "UPDATE conversations SET started_at = now() - interval '2 days', "
        "last_message_at = now() - interval '25 hours' WHERE id = $1",
        std::stol(idle));
    tx.commit();
  }
  REQUIRE(wait_until(
      [&] { return p.s.call("GET", base + "/conversations/" + idle).body["status"] == "closed"; }));
  // The sweep that closed it saw the active one too, and left it open.
  CHECK(p.s.call("GET", base + "/conversations/" + active).body["status"] == "open");
  CHECK(p.metric("paige_conversations_closed_total{by=\"timeout\"}") == 1);
  p.say("15550083", "back");
  CHECK(body_of(p.replies("15550083", 2).back()) == "in a");
  CHECK(open_conversation_of(p, "15550083") != idle);

  // A shorter timeout applies live.
  REQUIRE(p.s.call("PATCH", base, json{{"settings", {{"conversation_timeout_seconds", 60}}}}.dump())
              .status == 200);
  {
    auto db = p.project_db();
    pqxx::work tx{db};
    tx.exec_params(
        "UPDATE conversations SET last_message_at = now() - interval '2 minutes' WHERE id = $1",
        std::stol(active));
    tx.commit();
  }
  CHECK(wait_until([&] {
    return p.s.call("GET", base + "/conversations/" + active).body["status"] == "closed";
  }));
}

TEST_CASE("live events arrive in order per conversation and resume with Last-Event-ID",
          "[integration][events]") {
  pipeline p;
  p.put_bot(json::parse(alternating_bot));
  auto base = "/v1/projects/" + p.project;
  event_stream events{p.s.server->port(), base + "/events", admin_key};
  REQUIRE(events.status() == 200);
  CHECK(events.head().find("text/event-stream") != std::string::npos);

  p.say("15550085", "hello", "Ada");
  std::vector<sse_event> seen;
  auto until = [&](const std::function<bool(const sse_event&)>& done) {
    while (auto e = events.next()) {
      UNSCOPED_INFO(e->id << " " << e->type << " " << e->data.dump());
      seen.push_back(*e);
      if (done(*e)) return true;
    }
    return false;
  };
  REQUIRE(until(
      [](const sse_event& e) { return e.type == "message.status" && e.data["status"] == "read"; }));
  auto conv = seen.front().data["conversation_id"].get<long>();
  std::vector<std::string> types;
  for (const auto& e : seen) {
    CHECK(e.data["conversation_id"] == conv);
    CHECK(e.data["type"] == e.type);
    types.push_back(e.type);
  }
  REQUIRE(types.size() >= 4);
  CHECK(types[0] == "conversation.opened");
  CHECK(seen[0].data["conversation"]["contact"]["name"] == "Ada");
  CHECK(types[1] == "message.received");
  CHECK(seen[1].data["message"]["content"]["text"]["body"] == "hello");
  // The bot's step: its state change and its reply, then the reply's statuses in order.
  CHECK(types[2] == "conversation.state_changed");
  CHECK(seen[2].data["by"] == "bot");
  CHECK(types[3] == "message.queued");
  CHECK(seen[3].data["message"]["source"] == "bot");
  std::vector<std::string> statuses;
  for (std::size_t i = 4; i < seen.size(); ++i) {
    CHECK(types[i] == "message.status");
    CHECK(seen[i].data["message_id"] == seen[3].data["message"]["id"]);
    statuses.push_back(seen[i].data["status"]);
  }
  CHECK(statuses.back() == "read");
  auto rank = [](const std::string& s) {
    return s == "accepted" ? 1 : s == "sent" ? 2 : s == "delivered" ? 3 : 4;
  };
  for (std::size_t i = 1; i < statuses.size(); ++i)
    CHECK(rank(statuses[i - 1]) < rank(statuses[i]));

  // An operator's change and message, then a close.
  auto c = std::to_string(conv);
  REQUIRE(p.s.call("PATCH", base + "/conversations/" + c, json{{"state", "c"}}.dump()).status ==
          200);
  REQUIRE(p.s.call("POST", base + "/conversations/" + c + "/messages",
                   json{{"type", "text"}, {"text", {{"body", "hi from ops"}}}}.dump())
              .status == 202);
  REQUIRE(p.s.call("POST", base + "/conversations/" + c + "/close").status == 200);
  auto from = seen.size();
  REQUIRE(until([](const sse_event& e) { return e.type == "conversation.closed"; }));
  std::vector<std::string> later;
  for (auto i = from; i < seen.size(); ++i)
    if (seen[i].type != "message.status") later.push_back(seen[i].type);
  CHECK(later == std::vector<std::string>{"conversation.state_changed", "message.queued",
                                          "conversation.closed"});
  for (auto i = from; i < seen.size(); ++i) {
    if (seen[i].type == "conversation.state_changed") CHECK(seen[i].data["by"] == "admin");
    if (seen[i].type == "message.queued") CHECK(seen[i].data["message"]["source"] == "operator");
  }

  // Resuming after the third event replays the rest, in order and only once.
  event_stream resumed{p.s.server->port(), base + "/events", admin_key, seen[2].id};
  for (std::size_t i = 3; i < seen.size(); ++i) {
    auto e = resumed.next();
    REQUIRE(e);
    CHECK(e->id == seen[i].id);
  }
  // An id from another process start (or older than the window) says what was lost.
  event_stream stale{p.s.server->port(), base + "/events", admin_key, "1-5"};
  auto first = stale.next();
  REQUIRE(first);
  CHECK(first->type == "events.lost");
  CHECK(stale.next()->id == seen[0].id);

  // Filtered by conversation: another contact's events do not come.
  event_stream only{p.s.server->port(), base + "/events?conversation_id=" + c, admin_key};
  p.say("15550086", "other");
  p.replies("15550086", 1);
  while (auto e = only.next(std::chrono::milliseconds{500}))
    CHECK(e->data["conversation_id"] == conv);
}

TEST_CASE("a stalled subscriber is dropped and never slows message processing",
          "[integration][events]") {
  pipeline p({}, {"--stream-backlog", "4KiB"});
  p.put_bot(json::parse(alternating_bot));
  auto base = "/v1/projects/" + p.project;
  event_stream stalled{p.s.server->port(), base + "/events", admin_key};  // never read
  REQUIRE(stalled.status() == 200);
  std::string big(3000, 'x');
  constexpr int messages = 200;
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([&, w] {
      for (int i = 0; i < messages / 4; ++i) p.say("1555009" + std::to_string(w), big);
    });
  for (auto& t : writers) t.join();
  for (int w = 0; w < 4; ++w)
    CHECK(p.replies("1555009" + std::to_string(w), messages / 4).size() == messages / 4);
  CHECK(p.metric("paige_http_streams_dropped_total") >= 1);
  CHECK(stalled.closed_by_server());
}

TEST_CASE("a project key cannot follow another project's events", "[integration][events]") {
  pipeline p;
  auto other = p.s.create("Other")["id"].get<std::string>();
  REQUIRE(p.s.wait_status(other, "active"));
  auto key = p.s.call("POST", "/v1/projects/" + other + "/keys", json{{"name", "k"}}.dump())
                 .body["key"]
                 .get<std::string>();
  event_stream denied{p.s.server->port(), "/v1/projects/" + p.project + "/events", key};
  CHECK(denied.status() == 404);
  event_stream anonymous{p.s.server->port(), "/v1/projects/" + p.project + "/events", ""};
  CHECK(anonymous.status() == 401);
  event_stream own{p.s.server->port(), "/v1/projects/" + other + "/events", key};
  CHECK(own.status() == 200);
  event_stream missing{p.s.server->port(), "/v1/projects/p_nope/events", admin_key};
  CHECK(missing.status() == 404);
  CHECK(p.s.call("GET", "/v1/projects/" + p.project + "/contacts", "", key).status == 404);
  CHECK(p.s.call("GET", "/v1/projects/" + p.project + "/conversations", "", key).status == 404);
}
