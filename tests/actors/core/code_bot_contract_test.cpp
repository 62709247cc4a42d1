#include "actors/core/code_bot_contract.hpp"

#include "tests/actors/core/problems.hpp"

#include <catch2/catch.hpp>

using namespace paige::actors;
using namespace paige::actors::bot;
using json = nlohmann::json;
using paige::actors::test::has_problem;

namespace {

const std::set<std::string> system_tables{"contacts", "conversations", "messages"};

conversation_view conversation() {
  return {"15550001111", "Ana", "12", "collect_info", json{{"step", 2}}};
}

step_result step_of(const json& answer) {
  auto r = read_answer(answer.dump(), conversation(), system_tables);
  if (auto* problems = std::get_if<std::vector<problem>>(&r)) {
    for (const auto& p : *problems) UNSCOPED_INFO(p.pointer << ": " << p.message);
    FAIL("the answer was refused");
  }
  return std::get<step_result>(std::move(r));
}

std::vector<problem> problems_of(std::string_view body) {
  auto r = read_answer(body, conversation(), system_tables);
  REQUIRE(std::holds_alternative<std::vector<problem>>(r));
  return std::get<std::vector<problem>>(r);
}

}  // namespace

TEST_CASE("a code bot's event holds the contract, the conversation and the message", "[code_bot]") {
  event_context ctx{"p_1", 4711, true, json{{"id", "wamid.1"}, {"type", "text"}}};
  inbound_view msg{"wamid.1", "text", "hi \xff", "", "", "", json::object()};
  auto event = json::parse(event_body(ctx, conversation(), msg));
  CHECK(event["contract"] == contract_version);
  CHECK(event["event_id"] == "4711");
  CHECK(event["project_id"] == "p_1");
  CHECK(event["contact"] == json{{"wa_id", "15550001111"}, {"name", "Ana"}, {"opted_out", true}});
  CHECK(event["conversation"] ==
        json{{"id", "12"}, {"state", "collect_info"}, {"vars", {{"step", 2}}}});
  CHECK(event["message"]["type"] == "text");
  CHECK(event["message"]["text"] == "hi \xef\xbf\xbd");  // invalid UTF-8 replaced, not refused
  CHECK(event["message"]["raw"]["id"] == "wamid.1");
  CHECK_FALSE(event["message"].contains("flow"));

  inbound_view answer{"wamid.2", "interactive", "", "", "", "order:ab12", json{{"size", "L"}}};
  auto flow = json::parse(event_body(ctx, conversation(), answer))["message"]["flow"];
  CHECK(flow == json{{"name", "order"}, {"response", {{"size", "L"}}}});
}

TEST_CASE("a code bot's actions become its step, in order", "[code_bot]") {
  auto step = step_of(json::parse(R"({"actions": [
    {"send": {"type": "text", "text": {"body": "Thanks {{vars.x}}"}}},
    {"set": {"order": {"items": [1, 2]}, "step": null}},
    {"goto": "support"},
    {"save": {"table": "orders",
              "values": {"qty": 3, "paid": true, "note": "x", "meta": {"a": 1}, "skip": null}}},
    {"opt_out": true},
    {"close": {}}]})"));
  REQUIRE(step.sends.size() == 1);
  // A code bot's text is sent as written: no interpolation.
  CHECK(step.sends[0]["text"]["body"] == "Thanks {{vars.x}}");
  CHECK(step.state == "support");
  CHECK(step.vars == json{{"order", {{"items", {1, 2}}}}});  // null removed "step"
  REQUIRE(step.saves.size() == 2);
  CHECK(step.saves[0].table == "orders");
  CHECK(step.saves[0].values ==
        std::vector<std::pair<std::string, std::string>>{
            {"meta", R"({"a":1})"}, {"note", "x"}, {"paid", "true"}, {"qty", "3"}});
  CHECK(step.saves[1].what == save_op::kind::opt_out);
  CHECK(step.saves[1].opted_out);
  CHECK(step.saves[1].wa_id == "15550001111");
  CHECK(step.close);
  CHECK(step.matched);
}

TEST_CASE("a code bot that answers no actions keeps the conversation as it is", "[code_bot]") {
  auto step = step_of({{"actions", json::array()}});
  CHECK(step.state == "collect_info");
  CHECK(step.vars == json{{"step", 2}});
  CHECK(step.sends.empty());
  CHECK(step.saves.empty());
  CHECK_FALSE(step.close);
}

TEST_CASE("a code bot's answer with any problem is refused whole, each problem located",
          "[code_bot]") {
  CHECK(has_problem(problems_of("not json"), "", "not a JSON object"));
  CHECK(has_problem(problems_of("[]"), "", "not a JSON object"));
  CHECK(has_problem(problems_of("{}"), "/actions", "must be a list"));
  CHECK(has_problem(problems_of(R"({"actions": [], "reply": "hi"})"), "/reply", "unknown key"));

  auto ps = problems_of(R"({"actions": [
    {"send": {"type": "text", "text": {"body": "fine"}}},
    {"send": {"type": "text"}},
    {"goto": ""},
    {"jump": "x"},
    {"set": {"": 1}},
    {"save": {"table": "messages", "values": {"body": "x"}}},
    {"save": {"table": "orders", "values": {"Bad Column": "x"}}},
    {"close": true},
    {"opt_out": "yes"},
    {"send": {}, "goto": "x"}]})");
  CHECK(has_problem(ps, "/actions/1/send/text", "needs"));
  CHECK(has_problem(ps, "/actions/2/goto", "state name"));
  CHECK(has_problem(ps, "/actions/3/jump", "unknown action"));
  CHECK(has_problem(ps, "/actions/4/set/", "1 to 64"));
  CHECK(has_problem(ps, "/actions/5/save/table", "system table"));
  CHECK(has_problem(ps, "/actions/6/save/values/Bad Column", "not a valid column"));
  CHECK(has_problem(ps, "/actions/7/close", "takes {}"));
  CHECK(has_problem(ps, "/actions/8/opt_out", "true"));
  CHECK(has_problem(ps, "/actions/9", "exactly one key"));
  for (const auto& p : ps) CHECK(p.pointer.rfind("/actions/0", 0) != 0);  // the valid send
}

TEST_CASE("a code bot's answer is bounded in size, depth, actions and variables", "[code_bot]") {
  std::string big = R"({"actions": [], "pad": ")" + std::string(max_answer_bytes, 'x') + "\"}";
  CHECK(has_problem(problems_of(big), "", "bytes"));

  std::string deep =
      R"({"actions": [{"set": {"v": )" + std::string(100, '[') + std::string(100, ']') + "}}]}";
  CHECK(has_problem(problems_of(deep), "", "nests deeper"));

  json many = json::array();
  for (std::size_t i = 0; i <= max_answer_actions; ++i) many.push_back({{"goto", "a"}});
  CHECK(has_problem(problems_of(json{{"actions", many}}.dump()), "/actions", "at most"));

  auto huge = R"({"actions": [{"set": {"v": ")" + std::string(max_vars_bytes, 'x') + "\"}}]}";
  CHECK(has_problem(problems_of(huge), "/actions", "bytes of variables"));
}
