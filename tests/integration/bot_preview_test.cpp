// Bot previews (`POST .../bot/preview`, docs/bot-preview.md) through real HTTP against a real
// Postgres: messages run against the current or a kept version for a sandbox contact, with
// the replies, state changes, rows and queries they would give, and nothing written, sent or
// opened. Hosted code bots' previews are in hosted_bot_test, the starter's in code_bot_test.
#include "tests/support/code_bot_server.hpp"
#include "tests/support/pipeline.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

using namespace paige::test;

namespace {

json text_send(const std::string& body) {
  return {{"send", {{"type", "text"}, {"text", {{"body", body}}}}}};
}

/// A lead bot: a tap on "lead" saves a row and moves on, "broken" saves into a missing table,
/// anything else answers with the opening hours it reads; in `done`, it says bye and closes.
json lead_bot(const std::string& greeting) {
  return {
      {"initial_state", "start"},
      {"queries",
       {{"hours", {{"sql", "SELECT open FROM hours WHERE day = $1"}, {"params", {"mon"}}}}}},
      {"states",
       {{"start",
         {{"kind", "await"},
          {"routes",
           json::array(
               {{{"when", {{"button_id", "lead"}}},
                 {"then", json::array({{{"save",
                                         {{"table", "leads"},
                                          {"values",
                                           {{"wa_id", "{{contact.wa_id}}"},
                                            {"name", "{{contact.name}}"}}}}}},
                                       text_send("saved {{contact.name}}"),
                                       {{"goto", "done"}}})}},
                {{"when", {{"text_matches", "(?i)^broken"}}},
                 {"then", json::array({{{"save", {{"table", "missing"}, {"values", {{"x", "y"}}}}}},
                                       text_send("never sent"),
                                       {{"goto", "done"}}})}},
                {{"when", "always"},
                 {"then",
                  json::array(
                      {{{"query",
                         {{"name", "hours"},
                          {"then", {text_send(greeting + ", open {{query.hours.0.open}}")}}}}},
                       {{"set", {{"seen", "{{message.text}}"}}}}})}}})}}},
        {"done",
         {{"kind", "await"},
          {"routes", json::array({{{"when", "always"},
                                   {"then", json::array({text_send("bye"),
                                                         {{"close", json::object()}}})}}})}}}}}};
}

void exec(pipeline& p, const std::string& sql) {
  auto db = p.project_db();
  pqxx::work tx{db};
  tx.exec0(sql);
  tx.commit();
}

long count(pipeline& p, const std::string& sql) {
  auto db = p.project_db();
  pqxx::read_transaction tx{db};
  return tx.exec1(sql)[0].as<long>();
}

json_reply preview(pipeline& p, const json& body, const std::string& key = admin_key) {
  return p.s.call("POST", "/v1/projects/" + p.project + "/bot/preview", body.dump(), key);
}

}  // namespace

TEST_CASE("a declarative bot's preview runs its steps and writes, sends and opens nothing",
          "[integration][bot_preview]") {
  pipeline p;
  exec(p,
       "CREATE TABLE hours (day text PRIMARY KEY, open text);"
       "INSERT INTO hours VALUES ('mon', '9-17');"
       "CREATE TABLE leads (id bigserial PRIMARY KEY, wa_id text NOT NULL, name text NOT NULL)");
  p.put_bot(lead_bot("v1"));
  p.put_bot(lead_bot("v2"));
  auto current = p.s.call("GET", "/v1/projects/" + p.project + "/bot").body["version"];

  auto r = preview(p, json::parse(R"({"messages": ["hello", {"button_id": "lead", "text": "Me"},
      "anything", "after the close", "broken"], "contact": {"name": "Ana <b>"}})"));
  REQUIRE(r.status == 200);
  CHECK(r.body["version"] == current);
  CHECK(r.body["kind"] == "declarative");
  CHECK(r.body["contact"] == json{{"wa_id", "15550100000"}, {"name", "Ana <b>"}});
  auto steps = r.body["steps"];
  REQUIRE(steps.size() == 5);
  // A query of the real table, and a set.
  CHECK(steps[0]["state"] == json{{"from", "start"}, {"to", "start"}});
  CHECK(steps[0]["replies"][0]["text"]["body"] == "v2, open 9-17");
  CHECK(steps[0]["vars"] == json{{"seen", "hello"}});
  CHECK(steps[0]["fetches"] ==
        json::parse(
            R"([{"kind": "query", "name": "hours", "ok": true, "rows": [{"open": "9-17"}]}])"));
  // A row it would write, and a state change.
  CHECK(steps[1]["message"]["interactive"]["button_reply"]["id"] == "lead");
  CHECK(steps[1]["rows"] ==
        json::parse(
            R"([{"table": "leads", "values": {"wa_id": "15550100000", "name": "Ana <b>"}}])"));
  CHECK(steps[1]["replies"][0]["text"]["body"] == "saved Ana <b>");
  CHECK(steps[1]["state"]["to"] == "done");
  CHECK_FALSE(steps[1].contains("skipped"));
  // A close: the next message opens a new conversation in the initial state, without vars.
  CHECK(steps[2]["replies"][0]["text"]["body"] == "bye");
  CHECK(steps[2]["closed"] == true);
  CHECK(steps[3]["state"]["from"] == "start");
  CHECK(steps[3]["vars"] == json{{"seen", "after the close"}});
  // A write that would fail skips its step, as it would live: no replies, no state change.
  CHECK(steps[4]["skipped"]["code"] == "step_failed");
  CHECK(steps[4]["skipped"]["message"].get<std::string>().find("42P01") != std::string::npos);
  CHECK(steps[4]["replies"].empty());
  CHECK(steps[4]["state"] == json{{"from", "start"}, {"to", "start"}});
  CHECK(r.body["state"] == "start");
  CHECK(r.body["vars"] == json{{"seen", "after the close"}});

  // Nothing was written: no row, no contact, no conversation, no message, nothing to Meta.
  CHECK(count(p, "SELECT count(*) FROM leads") == 0);
  CHECK(count(p, "SELECT count(*) FROM contacts") == 0);
  CHECK(count(p, "SELECT count(*) FROM conversations") == 0);
  CHECK(count(p, "SELECT count(*) FROM messages") == 0);
  CHECK(p.records("15550100000", "out").empty());

  // A kept version, and where the conversation starts.
  auto v1 = preview(p, {{"messages", {"hi"}}, {"version", current.get<int>() - 1}});
  REQUIRE(v1.status == 200);
  CHECK(v1.body["version"] == current.get<int>() - 1);
  CHECK(v1.body["steps"][0]["replies"][0]["text"]["body"] == "v1, open 9-17");
  auto from_done = preview(p, {{"messages", {"x"}}, {"state", "done"}, {"vars", {{"k", "v"}}}});
  CHECK(from_done.body["steps"][0]["replies"][0]["text"]["body"] == "bye");
  CHECK(from_done.body["steps"][0]["state"]["from"] == "done");

  // A live contact's conversation goes on as before, untouched by the previews.
  p.say("15550401", "live");
  CHECK(body_of(p.replies("15550401", 1)[0]) == "v2, open 9-17");
  CHECK(count(p, "SELECT count(*) FROM conversations") == 1);
}

TEST_CASE("a preview's bad input is refused with its problems, and another project's is not found",
          "[integration][bot_preview]") {
  pipeline p;
  auto problems = [&](const std::string& body) {
    auto r = p.s.call("POST", "/v1/projects/" + p.project + "/bot/preview", body);
    CHECK(r.status == 422);
    CHECK(r.body["error"]["code"] == "invalid_preview");
    std::vector<std::string> at;
    for (const auto& problem : r.body["error"]["details"]["problems"])
      at.push_back(problem["pointer"]);
    return at;
  };
  CHECK(problems("{}") == std::vector<std::string>{"/messages"});
  CHECK(problems(R"({"messages": [{"button_id": 7}], "contact": {"wa_id": "x"}})") ==
        std::vector<std::string>{"/messages/0/button_id", "/contact/wa_id"});
  CHECK(problems(R"({"messages": ["x"], "state": "nowhere"})") ==
        std::vector<std::string>{"/state"});
  CHECK(p.s.call("POST", "/v1/projects/" + p.project + "/bot/preview", "{").body["error"]["code"] ==
        "invalid_json");
  auto missing = preview(p, {{"messages", {"x"}}, {"version", 99}});
  CHECK(missing.status == 404);
  CHECK(missing.body["error"]["code"] == "bot_version_not_found");
  CHECK(p.s.call("POST", "/v1/projects/prj_0000000000000000/bot/preview",
                 json{{"messages", {"x"}}}.dump())
            .status == 404);

  // A key of another project finds neither the project nor its bot.
  auto other = p.s.create("Other")["id"].get<std::string>();
  REQUIRE(p.s.wait_status(other, "active"));
  auto key =
      p.s.call("POST", "/v1/projects/" + other + "/keys", json{{"name", "k"}}.dump()).body["key"];
  CHECK(preview(p, {{"messages", {"x"}}}, key.get<std::string>()).status == 404);
  CHECK(p.s.call("POST", "/v1/projects/" + other + "/bot/preview", json{{"messages", {"x"}}}.dump(),
                 key.get<std::string>())
            .status == 200);
}

TEST_CASE("an external code bot's preview: events marked preview, answers applied to nothing",
          "[integration][bot_preview]") {
  pipeline p({}, {"--bot-http-loopback", "on"});
  exec(p, "CREATE TABLE notes (id bigserial PRIMARY KEY, note text NOT NULL)");
  code_bot_server bot([](const json& e) {
    const auto text = e["message"]["text"].get<std::string>();
    if (text == "hang") return bot_answer{200, "", true};
    return actions(json::array({{{"send", {{"type", "text"}, {"text", {{"body", "got " + text}}}}}},
                                {{"save", {{"table", "notes"}, {"values", {{"note", text}}}}}},
                                {{"goto", "noted"}}}));
  });
  auto put = p.s.call("PUT", "/v1/projects/" + p.project + "/bot",
                      json{{"kind", "external"},
                           {"url", bot.url()},
                           {"timeout_seconds", 1},
                           {"fallback", {{"type", "text"}, {"text", {{"body", "sorry"}}}}}}
                          .dump());
  REQUIRE(put.status == 201);
  bot.set_secret(put.body["secret"]);

  auto r = preview(p, {{"messages", {"one", "hang"}}});
  REQUIRE(r.status == 200);
  CHECK(r.body["kind"] == "code");
  auto steps = r.body["steps"];
  REQUIRE(steps.size() == 2);
  CHECK(steps[0]["replies"][0]["text"]["body"] == "got one");
  CHECK(steps[0]["rows"][0] == json{{"table", "notes"}, {"values", {{"note", "one"}}}});
  CHECK(steps[0]["state"]["to"] == "noted");
  // The bot's time box runs out: the fallback, as live.
  CHECK(steps[1]["skipped"]["code"] == "bot_timeout");
  CHECK(steps[1]["replies"][0]["text"]["body"] == "sorry");
  CHECK(steps[1]["state"] == json{{"from", "noted"}, {"to", "noted"}});

  auto events = bot.events();
  REQUIRE(events.size() == 2);
  CHECK(events[0].signature_valid);
  CHECK(events[0].body["preview"] == true);
  CHECK(events[0].body["contact"]["wa_id"] == "15550100000");
  CHECK(events[1].body["conversation"]["state"] == "noted");
  CHECK(count(p, "SELECT count(*) FROM notes") == 0);
  CHECK(count(p, "SELECT count(*) FROM messages") == 0);
}
