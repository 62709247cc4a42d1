// Declarative bots that read the project database (`queries` and the `query` action, spec in
// docs/bot-queries.md) end to end: the simulator's users write, Paige runs the bot's queries as
// the project's role, read only and time-boxed, and commits the step they chose.
#include "tests/support/pipeline.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

using namespace paige::test;

namespace {

json text_send(const std::string& body) {
  return {{"send", {{"type", "text"}, {"text", {{"body", body}}}}}};
}

/// A bot of one await state whose every message runs `then`, with `queries`.
json query_bot(const json& queries, const json& then) {
  return {
      {"initial_state", "s"},
      {"queries", queries},
      {"states",
       {{"s",
         {{"kind", "await"}, {"routes", json::array({{{"when", "always"}, {"then", then}}})}}}}}};
}

void exec(pipeline& p, const std::string& sql) {
  auto db = p.project_db();
  pqxx::work tx{db};
  tx.exec0(sql);
  tx.commit();
}

}  // namespace

TEST_CASE("a declarative bot answers from its project's tables, read only, as its role",
          "[integration][bot_query]") {
  pipeline p;
  exec(p,
       "CREATE TABLE menu (item text PRIMARY KEY, price numeric(6,2));"
       "INSERT INTO menu VALUES ('coffee', 2.50), ('tea', 1.80)");
  p.put_bot(query_bot(
      {{"price",
        {{"sql", "SELECT item, price FROM menu WHERE item = lower($1)"},
         {"params", {"{{message.text}}"}}}},
       {"sneaky", {{"sql", "INSERT INTO menu VALUES ('free', 0) RETURNING item"}}},
       {"who", {{"sql", "SELECT current_user AS role, current_database() AS db"}}}},
      json::array(
          {{{"query",
             {{"name", "price"},
              {"then",
               {text_send("{{query.price.0.item}} costs {{query.price.0.price}}"),
                {{"set", {{"last_item", "{{query.price.0.item}}"}}}}}},
              {"else", json::array({{{"query",
                                      {{"name", "sneaky"},
                                       {"then", {text_send("wrote a row")}},
                                       {"on_error", {text_send("we don't sell that")}}}}}})}}}},
           {{"query",
             {{"name", "who"},
              {"then", {text_send("{{query.who.0.role}}@{{query.who.0.db}}")}}}}}})));

  p.say("15550201", "Coffee");
  auto r = p.replies("15550201", 2);
  REQUIRE(r.size() == 2);
  CHECK(body_of(r[0]) == "coffee costs 2.50");
  // The queries run as the project's own role, in its own database.
  auto d = p.s.database_of(p.project);
  CHECK(body_of(r[1]) == d.role + "@" + d.name);

  // Not on the menu: the write the else branch tries is refused (a read-only transaction), so
  // its on_error answers; the table is unchanged.
  p.say("15550201", "cake");
  r = p.replies("15550201", 4);
  REQUIRE(r.size() == 4);
  CHECK(body_of(r[2]) == "we don't sell that");
  CHECK(body_of(r[3]) == d.role + "@" + d.name);
  auto db = p.project_db();
  pqxx::read_transaction tx{db};
  CHECK(tx.exec1("SELECT count(*) FROM menu")[0].as<int>() == 2);
  CHECK(tx.exec1("SELECT vars->>'last_item' FROM conversations")[0].as<std::string>() == "coffee");
  CHECK(tx.exec1("SELECT count(*) FROM messages WHERE direction = 'in' AND handled_at IS NULL")[0]
            .as<int>() == 0);
  CHECK(p.message_error("cake").is_null());  // its on_error handled the failure
  CHECK(p.metric("paige_bot_query_seconds_count{outcome=\"ok\"}") == 4);
  CHECK(p.metric("paige_bot_query_seconds_count{outcome=\"failed\"}") == 1);
}

TEST_CASE("a failed or slow query without on_error skips its step and keeps the order",
          "[integration][bot_query]") {
  pipeline p;
  p.put_bot(query_bot(
      {{"slow",
        {{"sql", "SELECT pg_sleep(CASE WHEN $1 = 'slow' THEN 5 ELSE 0 END)::text AS x"},
         {"params", {"{{message.text}}"}},
         {"timeout_ms", 300}}},
       {"divide",
        {{"sql", "SELECT 1 / (CASE WHEN $1 = 'broken' THEN 0 ELSE 1 END) AS x"},
         {"params", {"{{message.text}}"}}}}},
      json::array({{{"query", {{"name", "slow"}}}},
                   text_send("echo: {{message.text}}"),
                   {{"query", {{"name", "divide"}, {"else", {text_send("unreachable")}}}}}})));
  // The first two messages fail on one query or the other: each is handled (skipped), none is
  // lost, and the third is answered after them.
  p.say("15550202", "slow");
  p.say("15550202", "broken");
  p.say("15550202", "third");
  auto r = p.replies("15550202", 1);
  REQUIRE(r.size() == 1);
  CHECK(body_of(r[0]) == "echo: third");
  auto slow = p.message_error("slow");
  CHECK(slow["code"] == "query_failed");
  CHECK(slow["message"].get<std::string>().find("'slow'") != std::string::npos);
  auto broken = p.message_error("broken");
  CHECK(broken["code"] == "query_failed");
  CHECK(broken["message"].get<std::string>().find("'divide'") != std::string::npos);
  CHECK(p.message_error("third").is_null());
  // A skipped step sends nothing, not even the replies before its failed query.
  CHECK(p.records("15550202", "out").size() == 1);
  CHECK(p.metric("paige_bot_steps_skipped_total{reason=\"query_failed\"}") == 2);
}

TEST_CASE("a bot's query sees its own project's tables only", "[integration][bot_query]") {
  pipeline p;
  exec(p, "CREATE TABLE secrets_of_a (v text); INSERT INTO secrets_of_a VALUES ('mine')");
  auto other = p.s.create("Other")["id"].get<std::string>();
  REQUIRE(p.s.wait_status(other, "active"));
  // The other project's bot names project A's table: its query runs in its own database.
  auto bot = query_bot({{"peek", {{"sql", "SELECT v FROM secrets_of_a"}}}},
                       json::array({{{"query",
                                      {{"name", "peek"},
                                       {"then", {text_send("saw {{query.peek.0.v}}")}},
                                       {"on_error", {text_send("nothing to see")}}}}}}));
  REQUIRE(p.s.call("PUT", "/v1/projects/" + other + "/bot", bot.dump()).status == 201);
  p.put_bot(bot);
  p.say("15550203", "hi");
  auto r = p.replies("15550203", 1);
  REQUIRE(r.size() == 1);
  CHECK(body_of(r[0]) == "saw mine");
  // Project B, connected to its own number, asks the same: refused by Postgres (no such table
  // in its database; no right to connect to A's).
  p.meta.add_number("1002", "2002", "token-1002");
  REQUIRE(
      p.s.call(
             "PUT", "/v1/projects/" + other + "/whatsapp",
             json{{"phone_number_id", "1002"}, {"waba_id", "2002"}, {"access_token", "token-1002"}}
                 .dump())
          .status == 200);
  auto sent = p.meta.call("POST", "/control/numbers/1002/users/15550204/messages",
                          json{{"message", {{"type", "text"}, {"text", {{"body", "hi"}}}}}}.dump());
  REQUIRE(sent.status == 200);
  json out;
  wait_until([&] {
    out = p.meta.call("GET", "/control/numbers/1002/users/15550204/messages?after=0").body["items"];
    return std::count_if(out.begin(), out.end(),
                         [](const json& m) { return m["direction"] == "out"; }) >= 1;
  });
  json reply;
  for (const auto& m : out)
    if (m["direction"] == "out") reply = m;
  CHECK(body_of(reply) == "nothing to see");
}
