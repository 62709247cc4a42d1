#include "actors/core/bot_definition.hpp"
#include "actors/core/bot_interpreter.hpp"

#include "tests/actors/core/problems.hpp"

#include "tests/actors/core/inbound_text.hpp"

#include <catch2/catch.hpp>

using namespace paige::actors;
using namespace paige::actors::bot;
using json = nlohmann::json;
using paige::actors::test::has_problem;
using paige::actors::test::text;

namespace {

const std::set<std::string> system_tables{"contacts", "conversations", "messages"};

std::variant<definition, std::vector<problem>> compile_text(const char* text) {
  return compile(json::parse(text), system_tables);
}

definition compiled(const char* text) {
  auto r = compile_text(text);
  if (auto* problems = std::get_if<std::vector<problem>>(&r)) {
    for (const auto& p : *problems) UNSCOPED_INFO(p.pointer << ": " << p.message);
    FAIL("definition did not compile");
  }
  return std::get<definition>(r);
}

std::vector<problem> problems_of(const char* text) {
  auto r = compile_text(text);
  REQUIRE(std::holds_alternative<std::vector<problem>>(r));
  return std::get<std::vector<problem>>(r);
}

fetch_result rows(json list) { return {true, std::move(list), ""}; }
fetch_result failed(std::string why) { return {false, json::array(), std::move(why)}; }

/// A bot that looks up today's opening hours and answers in or out of them.
const char* hours_bot = R"json({
  "initial_state": "start",
  "queries": {
    "open_now": {"sql": "SELECT closes FROM hours WHERE day = $1 AND now()::time < closes",
                 "params": ["{{message.text}}"], "timeout_ms": 1500}
  },
  "states": {
    "start": {"kind": "await", "routes": [{"when": "always", "then": [
      {"query": {"name": "open_now",
        "then": [{"send": {"type": "text", "text": {"body": "Open until {{query.open_now.0.closes}} ({{query.open_now.count}})"}}}],
        "else": [{"send": {"type": "text", "text": {"body": "Closed now"}}}, {"goto": "closed"}],
        "on_error": [{"send": {"type": "text", "text": {"body": "Try again later"}}}]}},
      {"set": {"last": "{{query.open_now.0.closes}}"}}
    ]}]},
    "closed": {"kind": "await", "routes": []}
  }
})json";

}  // namespace

TEST_CASE("a step with a query asks for it, then runs the branch its rows choose", "[bot][query]") {
  auto bot = compiled(hours_bot);
  CHECK(bot.waits_outside());
  conversation_view conv{"15550001", "Ada", "7", "start", json::object()};

  auto first = run_step(bot, conv, text("mon"));
  REQUIRE(first.fetch);
  CHECK(first.fetch->name == "open_now");
  CHECK(first.fetch->sql.find("FROM hours") != std::string::npos);
  CHECK(first.fetch->params == std::vector<std::string>{"mon"});
  CHECK(first.fetch->timeout == std::chrono::milliseconds{1500});
  CHECK(first.sends.empty());

  auto open = run_step(bot, conv, text("mon"), {rows(json::parse(R"([{"closes": "18:00"}])"))});
  CHECK_FALSE(open.fetch);
  REQUIRE(open.sends.size() == 1);
  CHECK(open.sends[0]["text"]["body"] == "Open until 18:00 (1)");
  CHECK(open.state == "start");
  CHECK(open.vars == json{{"last", "18:00"}});  // the rows stay readable after the branch

  auto closed = run_step(bot, conv, text("sun"), {rows(json::array())});
  REQUIRE(closed.sends.size() == 1);
  CHECK(closed.sends[0]["text"]["body"] == "Closed now");
  CHECK(closed.state == "closed");
  CHECK(closed.vars == json{{"last", ""}});

  auto broken = run_step(bot, conv, text("mon"), {failed("relation \"hours\" does not exist")});
  REQUIRE(broken.sends.size() == 1);
  CHECK(broken.sends[0]["text"]["body"] == "Try again later");
}

TEST_CASE("a failed query without on_error refuses the step, with the database's reason",
          "[bot][query]") {
  auto bot = compiled(R"({"initial_state": "s", "queries": {"q": {"sql": "SELECT 1"}},
    "states": {"s": {"kind": "await", "routes": [{"when": "always", "then": [
      {"query": {"name": "q"}}, {"send": {"type": "text", "text": {"body": "after"}}}]}]}}})");
  conversation_view conv{"1", "", "1", "s", json::object()};
  auto asked = run_step(bot, conv, text("x"));
  REQUIRE(asked.fetch);
  CHECK(asked.fetch->params.empty());
  CHECK(asked.fetch->timeout == default_query_timeout);
  try {
    run_step(bot, conv, text("x"), {failed("canceling statement due to statement timeout")});
    FAIL("the step ran");
  } catch (const step_refused& e) {
    CHECK(e.code == "query_failed");
    CHECK(std::string{e.what()}.find("statement timeout") != std::string::npos);
  }
  // Found or not, without branches the actions after the query run.
  auto done = run_step(bot, conv, text("x"), {rows(json::array())});
  REQUIRE(done.sends.size() == 1);
  CHECK(done.sends[0]["text"]["body"] == "after");
}

TEST_CASE("queries run in order, each one's parameters reading the rows before it",
          "[bot][query]") {
  auto bot = compiled(R"({"initial_state": "s",
    "queries": {"contact": {"sql": "SELECT id FROM customers WHERE phone = $1",
                            "params": ["{{contact.wa_id}}"]},
                "orders": {"sql": "SELECT total FROM orders WHERE customer = $1 AND note = $2",
                           "params": ["{{query.contact.0.id}}", "{{vars.note}}"]}},
    "states": {"s": {"kind": "await", "routes": [{"when": "always", "then": [
      {"query": {"name": "contact", "then": [{"query": {"name": "orders", "then": [
        {"send": {"type": "text", "text": {"body": "{{query.orders.count}} orders, last {{query.orders.0.total}}, row {{query.orders.0}}"}}}]}}]}}]}]}}})");
  conversation_view conv{"15550001", "", "1", "s", json{{"note", "n"}}};
  std::vector<fetch_result> fetched;
  auto round = run_step(bot, conv, text("hi"), fetched);
  REQUIRE(round.fetch);
  CHECK(round.fetch->params == std::vector<std::string>{"15550001"});
  fetched.push_back(rows(json::parse(R"([{"id": 42}])")));
  round = run_step(bot, conv, text("hi"), fetched);
  REQUIRE(round.fetch);
  CHECK(round.fetch->name == "orders");
  CHECK(round.fetch->params == std::vector<std::string>{"42", "n"});
  fetched.push_back(rows(json::parse(R"([{"total": 9.5}, {"total": 3}])")));
  round = run_step(bot, conv, text("hi"), fetched);
  CHECK_FALSE(round.fetch);
  REQUIRE(round.sends.size() == 1);
  CHECK(round.sends[0]["text"]["body"] == R"(2 orders, last 9.5, row {"total":9.5})");
}

TEST_CASE("query placeholders that name nothing are empty", "[bot][query]") {
  json results = {{"q", json::parse(R"([{"a": "x"}])")}};
  conversation_view conv{"1", "", "1", "s", json::object()};
  auto msg = text("t");
  CHECK(interpolate("{{query.q.0.a}}|{{query.q.1.a}}|{{query.q.0.b}}|{{query.nope.0.a}}|"
                    "{{query.q}}|{{query.q.x.a}}|{{query.q.99999999999.a}}|{{query.q.count}}",
                    conv, msg, "s", conv.vars, &results) == "x|||||||1");
  // Without a step's results (flows' mappings, say), nothing is read.
  CHECK(interpolate("[{{query.q.0.a}}]", conv, msg, "s", conv.vars) == "[]");
}

TEST_CASE("one step runs at most max_queries_per_step queries", "[bot][query]") {
  json then = json::array();
  for (std::size_t i = 0; i <= max_queries_per_step; ++i)
    then.push_back({{"query", {{"name", "q"}}}});
  json doc = {
      {"initial_state", "s"},
      {"queries", {{"q", {{"sql", "SELECT 1"}}}}},
      {"states", {{"s", {{"kind", "await"}, {"routes", {{{"when", "always"}, {"then", then}}}}}}}}};
  auto bot = std::get<definition>(compile(doc, system_tables));
  conversation_view conv{"1", "", "1", "s", json::object()};
  std::vector<fetch_result> fetched(max_queries_per_step, rows(json::array()));
  try {
    run_step(bot, conv, text("x"), fetched);
    FAIL("the step ran");
  } catch (const step_refused& e) {
    CHECK(e.code == "too_many_queries");
  }
}

TEST_CASE("queries and query actions are checked with their pointers", "[bot][query]") {
  auto problems = problems_of(R"({"initial_state": "s",
    "queries": {"bad name": {"sql": "SELECT 1"},
                "no_sql": {"params": ["{{message.text}}"]},
                "params": {"sql": "SELECT $1", "params": [1]},
                "slow": {"sql": "SELECT 1", "timeout_ms": 60000},
                "extra": {"sql": "SELECT 1", "cache": true}},
    "states": {"s": {"kind": "await", "routes": [{"when": "always", "then": [
      {"query": {"name": "missing"}},
      {"query": {"name": "slow", "then": [{"goto": "nowhere"}], "finally": []}},
      {"query": "slow"}]}]}}})");
  CHECK(has_problem(problems, "/queries/bad name", "not a valid query name"));
  CHECK(has_problem(problems, "/queries/no_sql/sql", "required"));
  CHECK(has_problem(problems, "/queries/params/params/0", "template"));
  CHECK(has_problem(problems, "/queries/slow/timeout_ms", "1 to 5000"));
  CHECK(has_problem(problems, "/queries/extra/cache", "unknown key"));
  CHECK(has_problem(problems, "/states/s/routes/0/then/1/query/finally", "unknown key"));
  CHECK(has_problem(problems, "/states/s/routes/0/then/2/query", "takes"));

  // References are checked once the rest is valid, inside branches too.
  auto refs = problems_of(R"({"initial_state": "s", "queries": {"q": {"sql": "SELECT 1"}},
    "states": {"s": {"kind": "await", "routes": [{"when": "always", "then": [
      {"query": {"name": "missing"}},
      {"query": {"name": "q", "else": [{"goto": "nowhere"}]}}]}]}}})");
  CHECK(has_problem(refs, "/states/s/routes/0/then/0/query/name", "unknown query 'missing'"));
  CHECK(has_problem(refs, "/states/s/routes/0/then/1/query/else/0/goto", "unknown state"));
}

TEST_CASE("query branches nest at most max_branch_depth deep", "[bot][query]") {
  json actions = json::array({{{"send", {{"type", "text"}, {"text", {{"body", "deep"}}}}}}});
  for (int i = 0; i < max_branch_depth + 2; ++i)
    actions = json::array({{{"query", {{"name", "q"}, {"then", actions}}}}});
  json doc = {
      {"initial_state", "s"},
      {"queries", {{"q", {{"sql", "SELECT 1"}}}}},
      {"states",
       {{"s", {{"kind", "await"}, {"routes", {{{"when", "always"}, {"then", actions}}}}}}}}};
  auto r = compile(doc, system_tables);
  REQUIRE(std::holds_alternative<std::vector<problem>>(r));
  CHECK(std::get<std::vector<problem>>(r).front().message.find("nest at most") !=
        std::string::npos);
}

TEST_CASE("a goto in a query branch chains send states, and its loops are refused",
          "[bot][query]") {
  auto loop = problems_of(R"({"initial_state": "a", "queries": {"q": {"sql": "SELECT 1"}},
    "states": {"a": {"kind": "await", "routes": []},
      "x": {"kind": "send", "then": [{"query": {"name": "q", "else": [{"goto": "y"}]}}], "next": "a"},
      "y": {"kind": "send", "then": [{"goto": "x"}], "next": "a"}}})");
  CHECK(has_problem(loop, "/states/x", "loop"));

  auto bot = compiled(R"({"initial_state": "s", "queries": {"q": {"sql": "SELECT 1"}},
    "states": {"s": {"kind": "await", "routes": [{"when": "always", "then": [{"goto": "x"}]}]},
      "x": {"kind": "send", "then": [{"query": {"name": "q", "else": [{"goto": "y"}]}}], "next": "s"},
      "y": {"kind": "send", "then": [{"send": {"type": "text", "text": {"body": "none"}}}], "next": "done"},
      "done": {"kind": "await", "routes": []}}})");
  conversation_view conv{"1", "", "1", "s", json::object()};
  auto found = run_step(bot, conv, text("x"), {rows(json::parse(R"([{"a": 1}])"))});
  CHECK(found.state == "s");  // x's entry did not move: its next
  CHECK(found.sends.empty());
  auto none = run_step(bot, conv, text("x"), {rows(json::array())});
  CHECK(none.state == "done");
  REQUIRE(none.sends.size() == 1);
}
