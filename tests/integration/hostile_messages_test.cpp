// No WhatsApp user and no project's bot can take Paige down: the message-path findings of
// "No message and no tenant can take Paige down", reproduced as reported, with the real
// simulator and the real server.
#include "actors/core/bot_definition.hpp"
#include "common/secrets.hpp"
#include "tests/support/pipeline.hpp"
#include "tests/support/webhooks.hpp"

#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <fstream>
#include <thread>

using namespace paige::test;

namespace {

/// A second project, connected to simulated number 1002, with the echo bot.
struct neighbour {
  pipeline& p;
  std::string id;

  explicit neighbour(pipeline& p) : p(p) {
    p.meta.add_number("1002", "2002", "token-1002");
    id = p.s.create("Neighbour")["id"].get<std::string>();
    REQUIRE(p.s.wait_status(id, "active"));
    REQUIRE(p.s.call("PUT", "/v1/projects/" + id + "/whatsapp",
                     json{{"phone_number_id", "1002"},
                          {"waba_id", "2002"},
                          {"access_token", "token-1002"}}
                         .dump())
                .status == 200);
    REQUIRE(p.s.call("PUT", "/v1/projects/" + id + "/bot", paige::actors::bot::echo_bot().dump())
                .status == 201);
  }

  /// A user writes to the neighbour and waits for its echo; how long that took.
  std::chrono::milliseconds round_trip(const std::string& wa_id, const std::string& text,
                                       std::chrono::seconds deadline = std::chrono::seconds{20}) {
    auto start = std::chrono::steady_clock::now();
    auto sent =
        p.meta.call("POST", "/control/numbers/1002/users/" + wa_id + "/messages",
                    json{{"message", {{"type", "text"}, {"text", {{"body", text}}}}}}.dump());
    REQUIRE(sent.body["delivered"] == true);
    bool answered = wait_until(
        [&] {
          auto r = p.meta.call("GET", "/control/numbers/1002/users/" + wa_id + "/messages?after=0");
          for (const auto& item : r.body["items"])
            if (item["direction"] == "out" && item["message"]["text"]["body"] == "echo: " + text)
              return true;
          return false;
        },
        deadline);
    REQUIRE(answered);
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  }
};

long peak_rss_kb(pipeline& p) {
  std::ifstream status{"/proc/" + std::to_string(p.s.server->process().pid()) + "/status"};
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

/// The project's messages from `wa_id` with their error codes, oldest first.
json inbound_errors(pipeline& p, const std::string& wa_id) {
  auto db = p.project_db();
  pqxx::work tx{db};
  auto r = tx.exec_params1(
      "SELECT coalesce(json_agg(json_build_object('handled', m.handled_at IS NOT NULL, 'error', "
      "m.error->>'code') "
      "ORDER BY m.id), '[]')::text FROM messages m JOIN contacts c ON c.id = m.contact_id "
      "WHERE c.wa_id = $1 AND m.direction = 'in'",
      wa_id);
  return json::parse(r[0].as<std::string>());
}

}  // namespace

TEST_CASE("the starter bot answers a 65 536-character message", "[integration][hostile]") {
  pipeline p;  // every new project has the starter bot
  // 60 000 spaces and an x crashed paige: std::regex recursed once per character.
  p.say("15550100", std::string(65535, ' ') + "x", "Ada");
  auto greeting = p.replies("15550100", 1);
  REQUIRE(greeting.size() == 1);
  CHECK(body_of(greeting[0]) == "Hi Ada! How can I help?");
  p.say("15550100", std::string(60000, ' ') + "Book");
  auto asked = p.replies("15550100", 2);
  CHECK(body_of(asked[1]) == "What's your name?");
  CHECK(p.s.server->process().running());
}

TEST_CASE("a backtracking pattern neither stalls Paige nor delays another project",
          "[integration][hostile]") {
  pipeline p;
  neighbour n{p};
  p.put_bot(json::parse(R"({"initial_state": "a", "states": {"a": {"kind": "await", "routes": [
      {"when": {"text_matches": "(a+)+$"}, "then": [{"send": {"type": "text", "text": {"body": "all a"}}}]},
      {"when": "always", "then": [{"send": {"type": "text", "text": {"body": "not all a"}}}]}]}}})"));
  // Normal latency first, then with two users sending the pattern's worst case (about 5
  // minutes of backtracking each with std::regex, and every redelivery ran it again).
  for (int i = 0; i < 3; ++i) n.round_trip("15550200", "warm " + std::to_string(i));
  std::atomic<bool> stop{false};
  std::vector<std::thread> attackers;
  std::atomic<int> attacks{0};
  for (int u = 0; u < 2; ++u)
    attackers.emplace_back([&, u] {
      for (int i = 0; i < 5 && !stop; ++i) {
        p.say("1555030" + std::to_string(u), std::string(30000, 'a') + "!");
        ++attacks;
      }
    });
  std::chrono::milliseconds worst{0};
  for (int i = 0; i < 10; ++i)
    worst = std::max(worst, n.round_trip("15550200", "during " + std::to_string(i)));
  stop = true;
  for (auto& a : attackers) a.join();
  // Linear-time matching: the neighbour's replies are not held up (milliseconds here; 108 s
  // before). A loose bound: the machine is shared.
  CHECK(worst < std::chrono::seconds{2});
  CHECK(attacks >= 2);
  auto replies = p.replies("15550300", 1);
  CHECK(body_of(replies[0]) == "not all a");
  CHECK(p.s.server->process().running());
}

TEST_CASE("a bot that doubles a variable is stopped at its bound, and its messages are marked",
          "[integration][hostile]") {
  pipeline p;
  p.put_bot(json::parse(R"({"initial_state": "a", "states": {"a": {"kind": "await", "routes": [
      {"when": "always", "then": [{"set": {"x": "{{vars.x}}{{vars.x}}{{vars.x}}{{vars.x}}{{message.text}}"}},
                                  {"send": {"type": "text", "text": {"body": "noted"}}}]}]}}})"));
  // Eight messages made a 209 MB variable and 10 GB of resident memory.
  for (int i = 0; i < 8; ++i) p.say("15550400", std::string(1000, 'x'));
  REQUIRE(wait_until([&] {
    auto errors = inbound_errors(p, "15550400");
    return errors.size() == 8 && errors[7]["handled"] == true &&
           errors[7]["error"] == "vars_too_large";
  }));
  auto errors = inbound_errors(p, "15550400");
  CHECK(errors[0]["error"].is_null());  // the first steps ran
  CHECK(p.metric("paige_bot_steps_skipped_total{reason=\"vars_too_large\"}") >= 1);
  CHECK(peak_rss_kb(p) < 400 * 1024);
  // The API shows why.
  auto conversations = p.s.call("GET", "/v1/projects/" + p.project + "/conversations");
  auto c = conversations.body["items"][0]["id"].get<std::int64_t>();
  auto messages = p.s.call(
      "GET", "/v1/projects/" + p.project + "/conversations/" + std::to_string(c) + "/messages");
  CHECK(messages.body["items"][0]["error"]["code"] == "vars_too_large");
}

TEST_CASE("a project's triggers cannot stall another project's messages",
          "[integration][hostile]") {
  // One persistence worker: both projects share it, as in the report.
  pipeline p({}, {"--db-workers", "1", "--db-write-timeout", "500ms"});
  neighbour n{p};
  auto sql = [&](const std::string& query) {
    return p.s.call("POST", "/v1/projects/" + p.project + "/sql", json{{"query", query}}.dump());
  };
  REQUIRE(
      sql("CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN LOOP BEGIN "
          "PERFORM pg_sleep(0.05); EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; END $$")
          .status == 200);
  // As reported: a BEFORE INSERT trigger on its messages table. Refused: Paige owns it.
  auto on_messages =
      sql("CREATE TRIGGER stall BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION stall()");
  CHECK(on_messages.status == 403);
  CHECK(on_messages.body["error"]["code"] == "permission_denied");
  // What it can still do: such a trigger on its own table, which its bot saves into.
  REQUIRE(sql("CREATE TABLE visits (id bigserial PRIMARY KEY, who text)").status == 200);
  REQUIRE(sql("CREATE TRIGGER stall BEFORE INSERT ON visits FOR EACH ROW EXECUTE FUNCTION stall()")
              .status == 200);
  p.put_bot(json::parse(R"({"initial_state": "a", "states": {"a": {"kind": "await", "routes": [
      {"when": "always", "then": [{"save": {"table": "visits", "values": {"who": "{{contact.wa_id}}"}}},
                                  {"send": {"type": "text", "text": {"body": "saved"}}}]}]}}})"));
  n.round_trip("15550500", "before");
  p.say("15550501", "visit");  // acknowledged once stored: the save is stopped, the step skipped
  std::chrono::milliseconds worst{0};
  for (int i = 0; i < 3; ++i)
    worst = std::max(worst, n.round_trip("15550500", "meanwhile " + std::to_string(i)));
  // The stalled write is ended at twice the write timeout and retried alone once: the
  // neighbour waits seconds at worst, not 108.
  CHECK(worst < std::chrono::seconds{5});
  REQUIRE(wait_until([&] {
    auto errors = inbound_errors(p, "15550501");
    return errors.size() == 1 && errors[0]["handled"] == true &&
           errors[0]["error"] == "step_failed";
  }));
  CHECK(p.metric("paige_db_statements_stopped_total{pool=\"persistence\",how=\"terminate\"}") >= 1);
  CHECK(p.records("15550501", "out").empty());  // its step had no effect
}

TEST_CASE("a project locking its own messages slows only itself", "[integration][hostile]") {
  // One persistence worker shared by both projects, the default 5 s write timeout.
  pipeline p({}, {"--db-workers", "1"});
  p.put_bot(paige::actors::bot::echo_bot());
  neighbour n{p};
  n.round_trip("15550800", "before");
  {
    // What the project's SQL endpoint allows (its role may change its system tables' rows),
    // held here as long as the test needs.
    auto db = p.project_db();
    pqxx::work lock{db};
    lock.exec0("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE");
    // Its users write meanwhile: their messages wait for the lock.
    for (int i = 0; i < 4; ++i) {
      auto sent = p.meta.call(
          "POST",
          "/control/numbers/" + number_id + "/users/1555081" + std::to_string(i) + "/messages",
          json{{"message", {{"type", "text"}, {"text", {{"body", "locked " + std::to_string(i)}}}}},
               {"wait", false}}
              .dump());
      REQUIRE(sent.status == 202);
    }
    std::chrono::milliseconds worst{0};
    auto start = std::chrono::steady_clock::now();
    int trips = 0;
    while (std::chrono::steady_clock::now() - start < std::chrono::seconds{10})
      worst = std::max(worst, n.round_trip("15550800", "meanwhile " + std::to_string(trips++)));
    // The first write to wait ran into the 4 s lock timeout; after it, the project's writes
    // went one at a time under 400 ms, paced. Each of its requests alone under the full
    // timeout held the neighbour for as long as the lock.
    CHECK(worst < std::chrono::seconds{8});
    CHECK(trips >= 3);
    CHECK_THAT(p.s.server->process().stderr_text(),
               Catch::Contains("event=persistence.project_slow"));
  }
  // Nothing lost: once the lock is gone, every message is answered (Meta redelivers the ones
  // refused meanwhile).
  for (int i = 0; i < 4; ++i) {
    auto replies = p.replies("1555081" + std::to_string(i), 1);
    REQUIRE(replies.size() == 1);
    CHECK(body_of(replies[0]) == "echo: locked " + std::to_string(i));
  }
}

TEST_CASE("a message holding a NUL character is stored and answered", "[integration][hostile]") {
  pipeline p;
  p.put_bot(paige::actors::bot::echo_bot());
  // JSON may carry \u0000; Postgres' jsonb refuses it, so such a message could never be
  // stored: answered 503 for ever, and redelivered for days.
  p.say("15550600", std::string("nul\0here", 8));
  auto replies = p.replies("15550600", 1);
  REQUIRE(replies.size() == 1);
  CHECK(body_of(replies[0]).rfind("echo: nul", 0) == 0);
}

TEST_CASE("variables and states a project writes past what a bot could are not taken into memory",
          "[integration][hostile]") {
  pipeline p;
  p.put_bot(json::parse(R"({"initial_state": "a", "states": {"a": {"kind": "await", "routes": [
      {"when": "always", "then": [{"send": {"type": "text", "text": {"body": "x={{vars.x}}"}}}]}]}}})"));
  p.say("15550700", "hi");
  p.replies("15550700", 1);
  // Through its SQL endpoint, the project fills its own conversation's variables (and state).
  auto sql = [&](const std::string& query) {
    return p.s.call("POST", "/v1/projects/" + p.project + "/sql", json{{"query", query}}.dump());
  };
  REQUIRE(sql("UPDATE conversations SET vars = jsonb_build_object('x', repeat('y', 200000)), "
              "state = repeat('s', 5000)")
              .status == 200);
  p.s.server->process().signal(SIGKILL);  // so the next message loads the conversation afresh
  p.s.server->process().wait_exit(std::chrono::seconds{10});
  p.s.start(master_hex);
  p.meta.target(p.s.server->port());
  p.say("15550700", "again");
  auto replies = p.replies("15550700", 2);
  CHECK(body_of(replies[1]) == "x=");  // the oversized variables were ignored, not held
  CHECK_THAT(p.s.server->process().stderr_text(),
             Catch::Contains("event=conversation.vars_ignored"));
}

TEST_CASE("Meta's account-level errors are logged a few at a time, each cut short",
          "[integration][hostile]") {
  pipeline p;
  json errors = json::array();
  for (int i = 0; i < 40; ++i)
    errors.push_back({{"code", 131000 + i},
                      {"title", "error-" + std::to_string(i) + " " + std::string(16000, 'E')}});
  auto body = envelope(number_id, {{"errors", errors}}).dump();
  auto r = http_request(p.s.server->port(), "POST", "/webhook", body,
                        {{"X-Hub-Signature-256",
                          "sha256=" + paige::secrets::hmac_sha256_hex(test_app_secret, body)}});
  REQUIRE(r.status == 200);
  // The project's actor handles webhooks in order: once the next message is answered, the
  // errors were logged.
  p.say("15550300", "after", "Ada");
  REQUIRE(p.replies("15550300", 1).size() == 1);
  auto log = p.s.server->process().stderr_text();
  std::size_t lines = 0, longest = 0, at = 0;
  while ((at = log.find("webhook.meta_error", at)) != std::string::npos) {
    auto start = log.rfind('\n', at);
    auto end = log.find('\n', at);
    longest = std::max(longest, end - (start == std::string::npos ? 0 : start));
    ++lines;
    ++at;
  }
  CHECK(lines == 5);
  CHECK(longest < 2000);
  CHECK(log.find("error-0 EEE") != std::string::npos);
  CHECK(log.find("error-5 ") == std::string::npos);
}
