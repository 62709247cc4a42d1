// A declarative bot's `http` action (docs/bot-http.md): the definition's `requests` checked,
// and a step's rounds through its requests.
#include "actors/core/bot_definition.hpp"
#include "actors/core/bot_interpreter.hpp"

#include "tests/actors/core/inbound_text.hpp"
#include "tests/actors/core/problems.hpp"

#include <catch2/catch.hpp>

using namespace paige::actors;
using namespace paige::actors::bot;
using json = nlohmann::json;
using paige::actors::test::has_problem;
using paige::actors::test::text;

namespace {

std::variant<definition, std::vector<problem>> compile_json(const json& doc,
                                                            code_target_rules rules = {}) {
  return compile(doc, {}, compile_mode::submitted, rules);
}

definition compiled(const json& doc) {
  auto r = compile_json(doc, {true});
  if (auto* problems = std::get_if<std::vector<problem>>(&r)) {
    for (const auto& p : *problems) UNSCOPED_INFO(p.pointer << ": " << p.message);
    FAIL("definition did not compile");
  }
  return std::get<definition>(r);
}

std::vector<problem> problems_of(const json& doc, code_target_rules rules = {}) {
  auto r = compile_json(doc, rules);
  REQUIRE(std::holds_alternative<std::vector<problem>>(r));
  return std::get<std::vector<problem>>(r);
}

json say(const std::string& body) {
  return {{"send", {{"type", "text"}, {"text", {{"body", body}}}}}};
}

/// A bot that looks an order up in the shop's API, and files a ticket.
json order_bot() {
  return {{"initial_state", "start"},
          {"requests",
           {{"order",
             {{"url", "https://shop.example/orders/{{message.text}}?who={{contact.wa_id}}"},
              {"headers",
               {{"Authorization", {{"secret", "SHOP_TOKEN"}, {"prefix", "Bearer "}}},
                {"X-Contact", "{{contact.name}}"}}},
              {"timeout_ms", 2500}}},
            {"ticket",
             {{"method", "POST"},
              {"url", "https://desk.example/tickets"},
              {"body", {{"order", "{{http.order.body.id}}"}, {"from", "{{contact.wa_id}}"}}}}}}},
          {"states",
           {{"start",
             {{"kind", "await"},
              {"routes",
               json::array(
                   {{{"when", "always"},
                     {"then",
                      json::array(
                          {{{"http",
                             {{"name", "order"},
                              {"then", json::array({say("{{http.order.body.id}} is "
                                                        "{{http.order.body.status}}, first item "
                                                        "{{http.order.body.items.0.name}}"),
                                                    {{"http", {{"name", "ticket"}}}}})},
                              {"else", json::array({say("No order ({{http.order.status}})")})},
                              {"on_error", json::array({say("The shop is away")})}}}},
                           {{"set", {{"last", "{{http.order.status}}"}}}}})}}})}}}}}};
}

fetch_result answer(unsigned status, const std::string& body) {
  return {true, answer_of(status, body), ""};
}

}  // namespace

TEST_CASE("a step with a request asks for it filled in, then runs the branch its answer chooses",
          "[bot][http]") {
  auto bot = compiled(order_bot());
  CHECK(bot.waits_outside());
  conversation_view conv{"15550001", "Ada\r\nX-Evil: 1", "7", "start", json::object()};

  auto first = run_step(bot, conv, text("A7 b/c?d"));
  REQUIRE(first.fetch);
  CHECK(first.fetch->what == fetch_request::kind::http);
  CHECK(first.fetch->name == "order");
  CHECK(first.fetch->method == "GET");
  // Values in a URL are %-encoded: they cannot change its path or query.
  CHECK(first.fetch->url == "https://shop.example/orders/A7%20b%2Fc%3Fd?who=15550001");
  REQUIRE(first.fetch->headers.size() == 2);
  CHECK(first.fetch->headers[0].name == "Authorization");
  CHECK(first.fetch->headers[0].value == "Bearer ");
  CHECK(first.fetch->headers[0].secret == "SHOP_TOKEN");
  // A header cannot be split by a value.
  CHECK(first.fetch->headers[1].value == "Ada  X-Evil: 1");
  CHECK(first.fetch->headers[1].secret.empty());
  CHECK(first.fetch->body.empty());
  CHECK(first.fetch->timeout == std::chrono::milliseconds{2500});

  auto found = answer(200, R"({"id": "A7", "status": "shipped", "items": [{"name": "tea"}]})");
  auto second = run_step(bot, conv, text("A7"), {found});
  REQUIRE(second.fetch);
  CHECK(second.fetch->name == "ticket");
  CHECK(second.fetch->method == "POST");
  CHECK(json::parse(second.fetch->body) == json{{"order", "A7"}, {"from", "15550001"}});

  auto done = run_step(bot, conv, text("A7"), {found, answer(201, "created")});
  CHECK_FALSE(done.fetch);
  REQUIRE(done.sends.size() == 1);
  CHECK(done.sends[0]["text"]["body"] == "A7 is shipped, first item tea");
  CHECK(done.vars["last"] == "200");

  auto missing = run_step(bot, conv, text("A8"), {answer(404, "not here")});
  REQUIRE(missing.sends.size() == 1);
  CHECK(missing.sends[0]["text"]["body"] == "No order (404)");
  CHECK(missing.vars["last"] == "404");

  auto away = run_step(bot, conv, text("A9"), {fetch_result{false, json::array(), "timeout"}});
  REQUIRE(away.sends.size() == 1);
  CHECK(away.sends[0]["text"]["body"] == "The shop is away");
  CHECK(away.vars["last"] == "");
}

TEST_CASE("a failed request without on_error skips the step", "[bot][http]") {
  auto bot = order_bot();
  bot["states"]["start"]["routes"][0]["then"][0]["http"].erase("on_error");
  auto compiled_bot = compiled(bot);
  conversation_view conv{"15550001", "Ada", "7", "start", json::object()};
  try {
    run_step(compiled_bot, conv, text("A7"), {fetch_result{false, json::array(), "refused"}});
    FAIL("the step ran");
  } catch (const step_refused& e) {
    CHECK(e.code == "http_failed");
    CHECK(std::string{e.what()}.find("refused") != std::string::npos);
  }
}

TEST_CASE("an answer's fields read in templates", "[bot][http]") {
  json answers{{"a", answer_of(200, R"({"x": {"y": [1, {"z": "deep"}]}, "n": null})")},
               {"t", answer_of(500, "plain text")}};
  CHECK(answer_value(answers, "a.status") == "200");
  CHECK(answer_value(answers, "a.body.x.y.1.z") == "deep");
  CHECK(answer_value(answers, "a.body.x.y.0") == "1");
  CHECK(answer_value(answers, "a.body.x.y") == R"([1,{"z":"deep"}])");
  CHECK(answer_value(answers, "a.body.n").empty());
  CHECK(answer_value(answers, "a.body.x.y.7").empty());
  CHECK(answer_value(answers, "a.body.missing.z").empty());
  CHECK(answer_value(answers, "t.body") == "plain text");
  CHECK(answer_value(answers, "t.body.x").empty());
  CHECK(answer_value(answers, "nope.status").empty());
  CHECK(answer_value(answers, "a").empty());
}

TEST_CASE("requests are checked before the bot is stored", "[bot][http]") {
  auto with = [](json request) {
    auto bot = order_bot();
    bot["requests"]["order"] = std::move(request);
    return bot;
  };
  const std::string at = "/requests/order";
  CHECK(
      has_problem(problems_of(with({{"url", "http://shop.example/x"}})), at + "/url", "https://"));
  CHECK(has_problem(problems_of(with({{"url", "https://{{vars.host}}/x"}})), at + "/url",
                    "fixed text"));
  CHECK(has_problem(problems_of(with({{"url", "https://shop.example{{vars.p}}"}})), at + "/url",
                    "fixed text"));
  CHECK(has_problem(problems_of(with({{"url", "https://user:pw@shop.example/"}})), at + "/url",
                    "without user"));
  CHECK(
      has_problem(problems_of(with({{"url", "https://shop.example/a b"}})), at + "/url", "spaces"));
  // Loopback over http only where the server allows it.
  CHECK(has_problem(problems_of(with({{"url", "http://127.0.0.1:9/x"}})), at + "/url", "https://"));
  CHECK(std::holds_alternative<definition>(
      compile_json(with({{"url", "http://127.0.0.1:9/{{message.text}}"}}), {true})));
  CHECK(has_problem(problems_of(with({{"url", "https://a.example/"}, {"method", "TRACE"}})),
                    at + "/method", "GET, POST"));
  CHECK(has_problem(problems_of(with({{"url", "https://a.example/"}, {"body", {{"a", 1}}}})),
                    at + "/body", "GET request has no body"));
  CHECK(has_problem(problems_of(with({{"url", "https://a.example/"}, {"timeout_ms", 10001}})),
                    at + "/timeout_ms", "1 to 10000"));
  CHECK(has_problem(problems_of(with({{"url", "https://a.example/"}, {"retries", 3}})),
                    at + "/retries", "unknown key"));
  CHECK(has_problem(
      problems_of(with({{"url", "https://a.example/"}, {"headers", {{"Host", "evil"}}}})),
      at + "/headers/Host", "set by Paige"));
  CHECK(has_problem(
      problems_of(with({{"url", "https://a.example/"}, {"headers", {{"X-A", "a\r\nb"}}}})),
      at + "/headers/X-A", "line break"));
  CHECK(has_problem(problems_of(with({{"url", "https://a.example/"}, {"headers", {{"X A", "a"}}}})),
                    at + "/headers/X A", "letters, digits"));
  CHECK(has_problem(problems_of(with({{"url", "https://a.example/"},
                                      {"headers", {{"X-A", {{"secret", "PAIGE_API_KEY"}}}}}})),
                    at + "/headers/X-A/secret", "Paige's own"));
  CHECK(has_problem(problems_of(with({{"url", "https://a.example/"},
                                      {"headers", {{"X-A", {{"secret", "lower"}}}}}})),
                    at + "/headers/X-A/secret", "capital letters"));

  auto unknown = order_bot();
  unknown["states"]["start"]["routes"][0]["then"][0]["http"]["name"] = "nope";
  CHECK(has_problem(problems_of(unknown, {true}), "/states/start/routes/0/then/0/http/name",
                    "unknown request 'nope'"));
  auto bad_name = order_bot();
  bad_name["requests"]["no-dash"] = {{"url", "https://a.example/"}};
  CHECK(has_problem(problems_of(bad_name, {true}), "/requests/no-dash", "valid request name"));
}

TEST_CASE("queries and requests share a step's limit", "[bot][http]") {
  json then = json::array();
  for (int i = 0; i < 9; ++i) then.push_back({{"http", {{"name", "ping"}}}});
  json bot{
      {"initial_state", "s"},
      {"requests", {{"ping", {{"url", "https://a.example/ping"}}}}},
      {"states", {{"s", {{"kind", "await"}, {"routes", {{{"when", "always"}, {"then", then}}}}}}}}};
  auto compiled_bot = compiled(bot);
  conversation_view conv{"15550001", "Ada", "7", "s", json::object()};
  std::vector<fetch_result> got(8, answer(200, "{}"));
  try {
    run_step(compiled_bot, conv, text("x"), got);
    FAIL("the step ran");
  } catch (const step_refused& e) {
    CHECK(e.code == "too_many_queries");
  }
}
