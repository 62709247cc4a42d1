#include "actors/core/code_bot_target.hpp"
#include "actors/core/bot_definition.hpp"
#include "actors/core/bot_interpreter.hpp"

#include "tests/actors/core/problems.hpp"

#include <catch2/catch.hpp>

using namespace paige::actors;
using namespace paige::actors::bot;
using json = nlohmann::json;
using paige::actors::test::has_problem;

namespace {

std::vector<problem> problems_of(const json& doc, code_target_rules rules = {}) {
  std::string initial;
  auto r = read_code_target(doc, rules, initial);
  if (auto* problems = std::get_if<std::vector<problem>>(&r)) return *problems;
  FAIL("the definition was accepted");
  return {};
}

json external(const std::string& url) { return {{"kind", "external"}, {"url", url}}; }

}  // namespace

TEST_CASE("a code bot's definition takes an https URL, a time box and a fallback", "[code_bot]") {
  std::string initial;
  auto r = read_code_target(external("https://bot.example.com/paige/events"), {}, initial);
  REQUIRE(std::holds_alternative<code_target>(r));
  const auto& t = std::get<code_target>(r);
  CHECK(t.url == "https://bot.example.com/paige/events");
  CHECK(t.timeout == std::chrono::seconds{default_timeout_seconds});
  CHECK(t.fallback.is_null());
  CHECK(t.secret.empty());
  CHECK(initial == "unstructured");

  auto doc = external("https://bot.example.com:8443/events?v=1");
  doc["initial_state"] = "welcome";
  doc["timeout_seconds"] = 3;
  doc["fallback"] = json::parse(R"({"type": "text", "text": {"body": "One moment, please."}})");
  r = read_code_target(doc, {}, initial);
  REQUIRE(std::holds_alternative<code_target>(r));
  CHECK(std::get<code_target>(r).timeout == std::chrono::seconds{3});
  CHECK(std::get<code_target>(r).fallback["text"]["body"] == "One moment, please.");
  CHECK(initial == "welcome");
}

TEST_CASE("a code bot's URL is https without credentials, or http to loopback when allowed",
          "[code_bot]") {
  CHECK(has_problem(problems_of(external("http://127.0.0.1:9000/events")), "/url", "https://"));
  CHECK(has_problem(problems_of(external("http://bot.example.com/events"), {true}), "/url",
                    "only to 127.0.0.1"));
  CHECK(has_problem(problems_of(external("http://127.0.0.1.evil.example/events"), {true}), "/url",
                    "only to 127.0.0.1"));
  CHECK(has_problem(problems_of(external("ftp://bot.example.com/")), "/url", "https://"));
  CHECK(has_problem(problems_of(external("https://user:pw@bot.example.com/")), "/url",
                    "without user or password"));
  CHECK(has_problem(problems_of(external("https://bot.example.com/#x")), "/url", "fragment"));
  CHECK(has_problem(problems_of(external("https://bot.example.com/a b")), "/url", "spaces"));
  CHECK(has_problem(problems_of(external("https:///events")), "/url", "host"));
  CHECK(has_problem(problems_of(external("https://b.example/" + std::string(max_url_bytes, 'a'))),
                    "/url", "bytes"));
  CHECK(has_problem(problems_of({{"kind", "external"}, {"url", 7}}), "/url", "https://"));
  std::string initial;
  for (auto url : {"http://127.0.0.1:9000/events", "http://localhost/e", "http://[::1]:80/e"})
    CHECK(std::holds_alternative<code_target>(read_code_target(external(url), {true}, initial)));
}

TEST_CASE("a code bot's time box, initial state, fallback and keys are checked", "[code_bot]") {
  auto doc = external("https://bot.example.com/");
  doc["timeout_seconds"] = 0;
  CHECK(has_problem(problems_of(doc), "/timeout_seconds", "from 1 to 30"));
  doc["timeout_seconds"] = max_timeout_seconds + 1;
  CHECK(has_problem(problems_of(doc), "/timeout_seconds", "from 1 to 30"));
  doc["timeout_seconds"] = 2.5;
  CHECK(has_problem(problems_of(doc), "/timeout_seconds", "whole number"));

  doc = external("https://bot.example.com/");
  doc["initial_state"] = "";
  CHECK(has_problem(problems_of(doc), "/initial_state", "state name"));
  doc["initial_state"] = std::string(max_state_name + 1, 's');
  CHECK(has_problem(problems_of(doc), "/initial_state", "state name"));

  doc = external("https://bot.example.com/");
  doc["fallback"] = json::parse(R"({"type": "text", "text": {"body": ""}})");
  CHECK(!problems_of(doc).empty());
  CHECK(problems_of(doc).front().pointer.rfind("/fallback", 0) == 0);
  doc["fallback"] = json::parse(R"({"type": "template", "template": {"name": "x",
                                    "language": {"code": "en"}}})");
  CHECK(has_problem(problems_of(doc), "/fallback/type", "not a template"));

  doc = external("https://bot.example.com/");
  doc["states"] = json::object();
  CHECK(has_problem(problems_of(doc), "/states", "unknown key"));
}

TEST_CASE("compile() gives a code bot's definition its target and no states", "[code_bot]") {
  auto doc = external("https://bot.example.com/events");
  auto compiled = compile(doc, {});
  REQUIRE(std::holds_alternative<definition>(compiled));
  const auto& d = std::get<definition>(compiled);
  REQUIRE(d.code);
  CHECK(d.code->url == "https://bot.example.com/events");
  CHECK(d.states.empty());
  CHECK(d.initial_state == "unstructured");
  CHECK(d.source == doc);
  CHECK_FALSE(std::get<definition>(compile(starter_bot(), {})).code);

  // A URL the server allowed when it was stored still loads if the server no longer does.
  auto loopback = external("http://127.0.0.1:9000/events");
  CHECK(std::holds_alternative<std::vector<problem>>(compile(loopback, {})));
  CHECK(std::holds_alternative<definition>(compile(loopback, {}, compile_mode::stored)));
  CHECK(std::holds_alternative<definition>(
      compile(loopback, {}, compile_mode::submitted, code_target_rules{true})));
}
