// Code bots behind a URL (docs/bot-contract.md) end to end: the simulator's users write, Paige
// stores, posts each message's event to a bot served by this test, and commits its answer.
#include "tests/support/code_bot_server.hpp"
#include "tests/support/pipeline.hpp"
#include "tests/support/starter_walk.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "common/url_text.hpp"
#include "storage/conninfo.hpp"
#include "storage/provisioning.hpp"

#include <atomic>
#include <cctype>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

using namespace paige::test;

namespace {

const std::vector<std::string> loopback_bots{"--bot-http-loopback", "on"};

json text_reply(const std::string& body) {
  return {{"send", {{"type", "text"}, {"text", {{"body", body}}}}}};
}

/// Puts an external bot at `bot`'s URL and hands the bot the secret Paige made.
json put_code_bot(pipeline& p, code_bot_server& bot, json extra = json::object()) {
  json doc{{"kind", "external"}, {"url", bot.url()}};
  doc.update(extra);
  auto r = p.s.call("PUT", "/v1/projects/" + p.project + "/bot", doc.dump());
  REQUIRE(r.status == 201);
  if (r.body.contains("secret")) bot.set_secret(r.body["secret"]);
  return r.body;
}

long unhandled(pipeline& p) {
  auto db = p.project_db();
  pqxx::read_transaction tx{db};
  return tx.exec1("SELECT count(*) FROM messages WHERE direction = 'in' AND handled_at IS NULL")[0]
      .as<long>();
}

}  // namespace

TEST_CASE("50 contacts x 20 messages to a code bot: signed events, answers applied in order",
          "[integration][code_bot]") {
  code_bot_server bot([](const json& e) {
    auto n = e["conversation"]["vars"].value("n", 0);
    return actions({text_reply("echo: " + e["message"]["text"].get<std::string>()),
                    {{"set", {{"n", n + 1}}}},
                    {{"goto", "talking"}}});
  });
  pipeline p({}, loopback_bots);
  auto first = put_code_bot(p, bot);
  REQUIRE(first.contains("secret"));
  CHECK(first["secret"].get<std::string>().size() == 64);
  // The secret is shown once: the next version does not show it again.
  CHECK_FALSE(put_code_bot(p, bot).contains("secret"));
  CHECK(p.s.call("GET", "/v1/projects/" + p.project + "/bot").body["definition"]["kind"] ==
        "external");

  constexpr int contacts = 50, per_contact = 20;
  int failures = p.write_concurrently("1666", contacts, per_contact);
  REQUIRE(failures == 0);
  for (int c = 0; c < contacts; ++c) {
    auto wa_id = "1666" + std::to_string(1000 + c);
    auto r = p.replies(wa_id, per_contact);
    REQUIRE(r.size() == per_contact);
    for (int i = 0; i < per_contact; ++i) CHECK(body_of(r[i]) == "echo: m" + std::to_string(i));
  }
  auto events = bot.events();
  CHECK(events.size() == contacts * per_contact);
  std::set<std::string> ids;
  for (const auto& e : events) {
    CHECK(e.signature_valid);
    CHECK(e.contract == "1");
    CHECK(e.event_id == e.body["event_id"]);
    CHECK(e.body["project_id"] == p.project);
    ids.insert(e.event_id);
  }
  CHECK(ids.size() == events.size());  // one event per message
  auto db = p.project_db();
  pqxx::read_transaction tx{db};
  CHECK(tx.exec1("SELECT count(*) FROM conversations WHERE state = 'talking' AND "
                 "(vars->>'n')::int = 20")[0]
            .as<int>() == contacts);
  CHECK(unhandled(p) == 0);
}

TEST_CASE("a code bot that hangs gets its time box: the fallback is sent once, order is kept",
          "[integration][code_bot]") {
  code_bot_server bot([](const json& e) {
    auto text = e["message"]["text"].get<std::string>();
    if (text == "hang") return bot_answer{200, "", true};
    return actions({text_reply("echo: " + text), {{"goto", "after_" + text}}});
  });
  pipeline p({}, loopback_bots);
  put_code_bot(p, bot,
               {{"timeout_seconds", 1},
                {"fallback", {{"type", "text"}, {"text", {{"body", "One moment, please."}}}}}});
  p.say("15550101", "a");
  p.say("15550101", "hang");
  p.say("15550101", "b");
  auto r = p.replies("15550101", 3);
  REQUIRE(r.size() == 3);
  CHECK(body_of(r[0]) == "echo: a");
  CHECK(body_of(r[1]) == "One moment, please.");
  CHECK(body_of(r[2]) == "echo: b");
  auto error = p.message_error("hang");
  CHECK(error["code"] == "bot_timeout");
  // The fallback changed nothing: the next message saw the state "a" left.
  auto events = bot.events();
  REQUIRE(events.size() == 3);
  CHECK(events[2].body["conversation"]["state"] == "after_a");
  CHECK(unhandled(p) == 0);
  CHECK(p.metric("paige_bot_steps_skipped_total{reason=\"bot_timeout\"}") == 1);
}

TEST_CASE("a bad answer, an error status or an unreachable bot run the fallback and apply nothing",
          "[integration][code_bot]") {
  code_bot_server bot([](const json& e) {
    auto text = e["message"]["text"].get<std::string>();
    if (text == "500") return bot_answer{500, "{}", false};
    if (text == "bad")  // a valid set, then a send Meta would refuse: none of it runs
      return actions({{{"set", {{"spoiled", true}}}},
                      {{"send", {{"type", "text"}, {"text", {{"body", ""}}}}}}});
    if (text == "junk") return bot_answer{200, "not json", false};
    if (text == "huge") return bot_answer{200, std::string(3 << 20, ' '), false};
    return actions({text_reply("ok " + text), {{"set", {{"last", text}}}}});
  });
  pipeline p({}, loopback_bots);
  put_code_bot(p, bot,
               {{"fallback", {{"type", "text"}, {"text", {{"body", "Sorry, try again."}}}}}});
  p.say("15550102", "500");
  p.say("15550102", "bad");
  p.say("15550102", "junk");
  p.say("15550102", "huge");
  p.say("15550102", "fine");
  auto r = p.replies("15550102", 5);
  CHECK(body_of(r[0]) == "Sorry, try again.");
  CHECK(body_of(r[1]) == "Sorry, try again.");
  CHECK(body_of(r[2]) == "Sorry, try again.");
  CHECK(body_of(r[3]) == "Sorry, try again.");
  CHECK(body_of(r[4]) == "ok fine");
  // An answer past the contract's 1 MiB is refused as it arrives, not read whole.
  CHECK(p.message_error("huge")["message"].get<std::string>().find("body limit exceeded") !=
        std::string::npos);
  CHECK(p.message_error("500")["code"] == "bot_status");
  CHECK(p.message_error("bad")["code"] == "bot_answer_invalid");
  CHECK(p.message_error("bad")["message"].get<std::string>().find("/actions/1/send") !=
        std::string::npos);
  CHECK(p.message_error("junk")["code"] == "bot_answer_invalid");
  CHECK(p.message_error("fine").is_null());
  {
    auto db = p.project_db();
    pqxx::read_transaction tx{db};
    CHECK(tx.exec1("SELECT vars::text FROM conversations")[0].as<std::string>() ==
          R"({"last": "fine"})");
  }

  // A bot nobody listens for: every message still gets handled, with the fallback.
  std::uint16_t closed_port = 0;
  {
    code_bot_server gone([](const json&) { return actions(json::array()); });
    closed_port = static_cast<std::uint16_t>(std::stoi(gone.url().substr(17)));
  }
  REQUIRE(p.s.call("PUT", "/v1/projects/" + p.project + "/bot",
                   json{{"kind", "external"},
                        {"url", "http://127.0.0.1:" + std::to_string(closed_port) + "/e"},
                        {"fallback", {{"type", "text"}, {"text", {{"body", "Offline."}}}}}}
                       .dump())
              .status == 201);
  p.say("15550102", "anyone?");
  CHECK(body_of(p.replies("15550102", 6)[5]) == "Offline.");
  CHECK(p.message_error("anyone?")["code"] == "bot_unreachable");
}

TEST_CASE("an event in flight at a kill -9 is posted again after the restart and applied once",
          "[integration][code_bot]") {
  std::atomic<bool> hang{true};
  code_bot_server bot([&](const json& e) {
    if (hang) return bot_answer{200, "", true};
    return actions({text_reply("got " + e["message"]["text"].get<std::string>()),
                    {{"set", {{"seen", e["event_id"]}}}}});
  });
  pipeline p({}, loopback_bots);
  put_code_bot(p, bot);
  p.say("15550103", "once");
  REQUIRE(wait_until([&] { return bot.events().size() == 1; }));
  p.s.server->process().signal(SIGKILL);
  p.s.server->process().wait_exit(std::chrono::seconds{10});
  hang = false;
  p.s.start(master_hex);
  p.meta.target(p.s.server->port());
  auto r = p.replies("15550103", 1);
  CHECK(body_of(r[0]) == "got once");
  REQUIRE(wait_until([&] { return unhandled(p) == 0; }));
  auto events = bot.events();
  REQUIRE(events.size() == 2);
  CHECK(events[0].event_id == events[1].event_id);  // the same event: an idempotency key
  CHECK(events[1].signature_valid);
  // Once: another restart posts nothing more and sends nothing more.
  p.restart();
  p.say("15550103", "again");
  auto all = p.replies("15550103", 2);
  CHECK(all.size() == 2);
  CHECK(bot.events().size() == 3);
}

TEST_CASE("the bot secret: made once, rotated, reserved, and another project cannot touch it",
          "[integration][code_bot]") {
  code_bot_server bot([](const json&) { return actions(json::array({text_reply("hi")})); });
  pipeline p({}, loopback_bots);
  auto old_secret = put_code_bot(p, bot)["secret"].get<std::string>();
  auto secrets = p.s.call("GET", "/v1/projects/" + p.project + "/secrets").body["items"];
  REQUIRE(secrets.size() == 1);
  CHECK(secrets[0]["name"] == "PAIGE_BOT_SECRET");
  CHECK_FALSE(secrets[0].contains("value"));
  CHECK(p.s.call("DELETE", "/v1/projects/" + p.project + "/secrets/PAIGE_BOT_SECRET").status ==
        422);

  // Another project's key cannot rotate it.
  auto other = p.s.create("Other")["id"].get<std::string>();
  REQUIRE(p.s.wait_status(other, "active"));
  auto other_key =
      p.s.call("POST", "/v1/projects/" + other + "/keys", R"({"name":"k"})").body["key"];
  CHECK(p.s.call("POST", "/v1/projects/" + p.project + "/bot/secret", "", other_key).status == 404);

  auto rotated = p.s.call("POST", "/v1/projects/" + p.project + "/bot/secret");
  REQUIRE(rotated.status == 200);
  auto fresh = rotated.body["secret"].get<std::string>();
  CHECK(fresh.size() == 64);
  CHECK(fresh != old_secret);
  bot.set_secret(fresh);
  p.say("15550104", "signed?");
  CHECK(body_of(p.replies("15550104", 1).at(0)) == "hi");
  REQUIRE(bot.events().size() == 1);
  CHECK(bot.events()[0].signature_valid);
}

TEST_CASE("a code bot's URL is refused unless https (or loopback http when allowed)",
          "[integration][code_bot]") {
  pipeline p;  // without --bot-http-loopback
  auto before = p.s.call("GET", "/v1/projects/" + p.project + "/bot").body;
  auto r =
      p.s.call("PUT", "/v1/projects/" + p.project + "/bot",
               R"({"kind": "external", "url": "http://127.0.0.1:9/e", "timeout_seconds": 99})");
  CHECK(r.status == 422);
  CHECK(r.body["error"]["code"] == "invalid_bot");
  auto problems = r.body["error"]["details"]["problems"];
  REQUIRE(problems.size() == 2);
  CHECK(problems[0]["pointer"] == "/url");
  CHECK(problems[1]["pointer"] == "/timeout_seconds");
  CHECK(p.s.call("GET", "/v1/projects/" + p.project + "/bot").body == before);
  CHECK(p.s.call("GET", "/v1/projects/" + p.project + "/secrets").body["items"].empty());
}

namespace {

/// The project's database as a URL, with its own role: what its code bot gets as DATABASE_URL.
std::string database_url(pipeline& p, const std::string& project) {
  auto d = p.s.database_of(project);
  auto server = paige::storage::parse_conninfo(cluster_conninfo());
  return "postgresql://" + paige::url_text::percent_encode(d.role) + ":" +
         paige::url_text::percent_encode(d.password) + "@/" +
         paige::url_text::percent_encode(d.name) +
         "?host=" + paige::url_text::percent_encode(server["host"]) + "&port=" + server["port"];
}

}  // namespace

/// The starter code bot (runtime/bot-templates/starter-node) running as `p`'s bot, with its
/// `module` (BOT_MODULE), the project's bot secret and its database as DATABASE_URL.
struct starter_bot {
  temp_dir out;
  std::unique_ptr<child_process> node;

  starter_bot(pipeline& p, const std::string& module = "./bot") {
    const std::string dir = std::string{PAIGE_SOURCE_DIR} + "/runtime/bot-templates/starter-node";
    REQUIRE(std::filesystem::exists(dir + "/node_modules/express"));  // scripts/install-deps.sh
    // Paige makes the bot secret with the project's first code bot; the URL follows once it runs.
    auto placeholder = R"({"kind": "external", "url": "http://127.0.0.1:9/paige/events"})";
    auto secret = p.s.call("PUT", "/v1/projects/" + p.project + "/bot", placeholder).body["secret"];
    REQUIRE(secret.is_string());
    node = std::make_unique<child_process>(
        std::vector<std::string>{"/usr/bin/env", "node", dir + "/server.js"},
        std::vector<std::pair<std::string, std::string>>{
            {"PORT", "0"},
            {"BOT_MODULE", module},
            {"PAIGE_BOT_SECRET", secret.get<std::string>()},
            {"DATABASE_URL", database_url(p, p.project)}},
        out.path());
    std::string port;
    REQUIRE(wait_until([&] {
      auto text = node->stdout_text();
      auto at = text.find("listening on port ");
      if (at == std::string::npos) return false;
      port = text.substr(at + 18, text.find('\n', at) - at - 18);
      return true;
    }));
    REQUIRE(
        p.s.call("PUT", "/v1/projects/" + p.project + "/bot",
                 json{{"kind", "external"}, {"url", "http://127.0.0.1:" + port + "/paige/events"}}
                     .dump())
            .status == 201);
  }
};

TEST_CASE("the starter code bot end to end: its three states, its tables, the database as its role",
          "[integration][code_bot]") {
  pipeline p({}, loopback_bots);
  starter_bot bot{p};

  const std::string wa = "15550201";
  walk_starter_collect_info(p, wa);
  p.send(wa, tap("support", "Support"));
  CHECK(body_of(p.replies(wa, 6)[5]) == "A teammate will answer soon. Tell us what happened.");
  p.say(wa, "my order is late");
  CHECK(body_of(p.replies(wa, 7)[6]) == "Noted. A teammate will answer here.");
  {
    auto db = p.project_db();
    pqxx::read_transaction tx{db};
    auto lead = tx.exec1("SELECT wa_id, name, email FROM leads");
    CHECK(lead[0].as<std::string>() == wa);
    CHECK(lead[1].as<std::string>() == "Ana Lima");
    CHECK(lead[2].as<std::string>() == "ana@example.com");
    CHECK(tx.exec1("SELECT text FROM support_requests")[0].as<std::string>() == "my order is late");
    CHECK(tx.exec1("SELECT count(*) FROM conversation_log")[0].as<int>() == 1);
    auto conv = tx.exec1("SELECT state, vars::text FROM conversations");
    CHECK(conv[0].as<std::string>() == "support");
    CHECK(conv[1].as<std::string>() == "{}");
  }
  CHECK(unhandled(p) == 0);
  CHECK(p.message_error("my order is late").is_null());

  // A preview in the support state: the starter's own write (conversation_log) is rolled back
  // by its helpers, the answer's row by Paige; what it would do is shown.
  auto preview =
      p.s.call("POST", "/v1/projects/" + p.project + "/bot/preview",
               json{{"messages", {"the printer is on fire"}}, {"state", "support"}}.dump());
  REQUIRE(preview.status == 200);
  auto step = preview.body["steps"][0];
  CHECK(step["replies"][0]["text"]["body"] == "Noted. A teammate will answer here.");
  CHECK(step["rows"][0]["table"] == "support_requests");
  CHECK(step["rows"][0]["values"]["text"] == "the printer is on fire");
  CHECK_FALSE(step.contains("skipped"));
  {
    auto db = p.project_db();
    pqxx::read_transaction tx{db};
    CHECK(tx.exec1("SELECT count(*) FROM support_requests")[0].as<int>() == 1);
    CHECK(tx.exec1("SELECT count(*) FROM conversation_log")[0].as<int>() == 1);
  }

  // What the bot's role can reach: its own database, never another project's.
  auto other = p.s.create("Other")["id"].get<std::string>();
  REQUIRE(p.s.wait_status(other, "active"));
  auto mine = p.s.database_of(p.project);
  auto theirs = p.s.database_of(other);
  CHECK_THROWS_WITH(pqxx::connection{paige::storage::project_conninfo(
                        cluster_conninfo(), {theirs.name, mine.role, mine.password})},
                    Catch::Contains("permission denied for database"));
  CHECK_NOTHROW(pqxx::connection{
      paige::storage::project_conninfo(cluster_conninfo(), {mine.name, mine.role, mine.password})});
}

TEST_CASE("the business-hours example reads its hours from a table at each message",
          "[integration][code_bot]") {
  pipeline p({}, loopback_bots);
  starter_bot bot{p, "./examples/business-hours"};
  auto db = p.project_db();
  {
    // Open only on another weekday than today's, from 09:00.
    pqxx::work tx{db};
    tx.exec(
        "INSERT INTO business_hours (weekday, opens, closes) "
        "VALUES ((extract(dow FROM now() AT TIME ZONE 'UTC')::int + 2) % 7, '09:00', '17:00')");
    tx.commit();
  }
  p.say("15550202", "hello", "Bea");
  auto closed = body_of(p.replies("15550202", 1)[0]);
  CHECK(closed.rfind("We're closed now. We're back ", 0) == 0);
  CHECK(closed.find(" 09:00;") != std::string::npos);
  {
    // Open all day, every day: the starter bot answers, with no restart of the bot.
    pqxx::work tx{db};
    tx.exec("DELETE FROM business_hours");
    tx.exec(
        "INSERT INTO business_hours (weekday, opens, closes) "
        "SELECT d, '00:00', '23:59:59.999999' FROM generate_series(0, 6) d");
    tx.commit();
  }
  p.say("15550202", "hello again", "Bea");
  CHECK(body_of(p.replies("15550202", 2)[1]) == "Hi Bea! How can I help?");
}

TEST_CASE(
    "an event in flight at a graceful stop is not answered with the fallback: it is posted "
    "again after the restart",
    "[integration][code_bot]") {
  std::atomic<bool> hang{true};
  code_bot_server bot([&](const json& e) {
    if (hang) return bot_answer{200, "", true};
    return actions(json::array({text_reply("got " + e["message"]["text"].get<std::string>())}));
  });
  pipeline p({}, loopback_bots);
  put_code_bot(p, bot, {{"fallback", {{"type", "text"}, {"text", {{"body", "Sorry."}}}}}});
  p.say("15550105", "during the stop");
  REQUIRE(wait_until([&] { return bot.events().size() == 1; }));
  REQUIRE(p.s.server->terminate() == 0);
  CHECK(unhandled(p) == 1);  // neither the fallback nor anything else was applied
  CHECK(p.message_error("during the stop").is_null());
  hang = false;
  p.s.start(master_hex);
  p.meta.target(p.s.server->port());
  auto r = p.replies("15550105", 1);
  INFO(p.message_error("during the stop").dump());
  CHECK(body_of(r[0]) == "got during the stop");
  REQUIRE(wait_until([&] { return unhandled(p) == 0; }));
  CHECK(p.records("15550105", "out").size() == 1);  // no "Sorry." before or after
  CHECK(bot.events().size() == 2);
}
