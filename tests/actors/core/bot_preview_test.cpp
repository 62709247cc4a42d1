#include "actors/core/bot_preview.hpp"
#include "actors/core/code_bot_contract.hpp"
#include "tests/actors/core/problems.hpp"

#include <catch2/catch.hpp>

using namespace paige::actors;
using namespace paige::actors::bot;
using paige::actors::test::has_problem;
using json = nlohmann::json;

namespace {

preview_request read_ok(const json& body) {
  auto read = read_preview_request(body);
  if (auto* problems = std::get_if<std::vector<problem>>(&read))
    for (const auto& p : *problems) UNSCOPED_INFO(p.pointer << ": " << p.message);
  REQUIRE(std::holds_alternative<preview_request>(read));
  return std::get<preview_request>(read);
}

std::vector<problem> read_bad(const json& body) {
  auto read = read_preview_request(body);
  REQUIRE(std::holds_alternative<std::vector<problem>>(read));
  return std::get<std::vector<problem>>(read);
}

}  // namespace

TEST_CASE("a preview's messages become the Cloud API's inbound messages", "[bot_preview]") {
  auto r = read_ok(json::parse(R"({"messages": [
    "hi",
    {"text": "a <b>text</b>"},
    {"button_id": "support", "text": "Support"},
    {"list_id": "row-2"}
  ]})"));
  REQUIRE(r.messages.size() == 4);
  CHECK(r.messages[0] == json::parse(R"({"type": "text", "text": {"body": "hi"}})"));
  CHECK(r.messages[1]["text"]["body"] == "a <b>text</b>");
  CHECK(r.messages[2] == json::parse(R"({"type": "interactive", "interactive": {
    "type": "button_reply", "button_reply": {"id": "support", "title": "Support"}}})"));
  CHECK(r.messages[3]["interactive"]["list_reply"]["id"] == "row-2");
  // Defaults: the current version, the sandbox contact, the initial state.
  CHECK_FALSE(r.version);
  CHECK(r.wa_id == preview_wa_id);
  CHECK(r.name == "Preview");
  CHECK_FALSE(r.state);
  CHECK(r.vars == json::object());
  CHECK(preview_wamid(0) != preview_wamid(1));
}

TEST_CASE("a preview may name its version, contact, start state and vars", "[bot_preview]") {
  auto r = read_ok(json::parse(R"({"messages": ["x"], "version": 3,
    "contact": {"wa_id": "4915112345678", "name": "Ana"}, "state": "menu", "vars": {"n": "1"}})"));
  CHECK(r.version == 3);
  CHECK(r.wa_id == "4915112345678");
  CHECK(r.name == "Ana");
  CHECK(r.state == "menu");
  CHECK(r.vars == json{{"n", "1"}});
}

TEST_CASE("a preview request's every problem is located", "[bot_preview]") {
  CHECK(has_problem(read_bad(json::array()), "", "object"));
  CHECK(has_problem(read_bad(json::object()), "/messages", "1 to 20"));
  json many{{"messages", json::array()}};
  for (int i = 0; i < 21; ++i) many["messages"].push_back("m");
  CHECK(has_problem(read_bad(many), "/messages", "1 to 20"));
  auto ps = read_bad(json::parse(R"({"messages": [
      7, {"text": 1}, {"button_id": "a", "list_id": "b"}, {}, {"image": "x"}],
    "version": "2", "contact": {"wa_id": "+1 555", "who": 1}, "state": "", "vars": [],
    "extra": true})"));
  CHECK(has_problem(ps, "/messages/0", "a text, or an object"));
  CHECK(has_problem(ps, "/messages/1/text", "string"));
  CHECK(has_problem(ps, "/messages/2", "not both"));
  CHECK(has_problem(ps, "/messages/3", "text, button_id or list_id"));
  CHECK(has_problem(ps, "/messages/4/image", "unknown key"));
  CHECK(has_problem(ps, "/version", "version number"));
  CHECK(has_problem(ps, "/contact/wa_id", "digits"));
  CHECK(has_problem(ps, "/contact/who", "unknown key"));
  CHECK(has_problem(ps, "/state", "state name"));
  CHECK(has_problem(ps, "/vars", "object"));
  CHECK(has_problem(ps, "/extra", "unknown key"));
  CHECK(has_problem(read_bad({{"messages", {std::string(4097, 'a')}}}), "/messages/0", "4096"));
  CHECK(has_problem(read_bad({{"messages", {"x"}}, {"version", 0}}), "/version", "version"));
}

TEST_CASE("a preview step's record shows its state change, replies, rows and fetches",
          "[bot_preview]") {
  preview_step step;
  step.message = {{"type", "text"}, {"text", {{"body", "hi"}}}};
  step.from_state = "start";
  step.result.state = "menu";
  step.result.vars = {{"n", "2"}};
  step.result.sends.push_back({{"type", "text"}, {"text", {{"body", "Hello"}}}});
  step.result.saves.emplace_back("leads", std::vector<std::pair<std::string, std::string>>{
                                              {"wa_id", "1555"}, {"name", "Ana"}});
  save_op out;
  out.what = save_op::kind::opt_out;
  out.opted_out = true;
  step.result.saves.push_back(out);
  fetch_request q;
  q.name = "hours";
  step.fetches.push_back(fetch_record(q, {true, json::array({{{"open", "9"}}}), ""}));
  fetch_request h;
  h.what = fetch_request::kind::http;
  h.name = "crm";
  h.method = "GET";
  h.url = "https://crm.example/x";
  step.fetches.push_back(fetch_record(h, {false, json::array(), "no answer in time"}));
  auto r = preview_record(step);
  CHECK(r["state"] == json{{"from", "start"}, {"to", "menu"}});
  CHECK(r["vars"] == json{{"n", "2"}});
  CHECK(r["replies"][0]["text"]["body"] == "Hello");
  CHECK(r["rows"][0] == json{{"table", "leads"}, {"values", {{"wa_id", "1555"}, {"name", "Ana"}}}});
  CHECK(r["rows"][1] == json{{"opt_out", true}});
  CHECK(r["closed"] == false);
  CHECK(r["fetches"][0] == json::parse(R"({"kind": "query", "name": "hours", "ok": true,
                                           "rows": [{"open": "9"}]})"));
  CHECK(r["fetches"][1] == json::parse(R"({"kind": "http", "name": "crm", "ok": false,
    "method": "GET", "url": "https://crm.example/x", "error": "no answer in time"})"));
  CHECK_FALSE(r.contains("skipped"));
  step.skipped = "bot_timeout";
  step.skipped_detail = "late";
  CHECK(preview_record(step)["skipped"] == json{{"code", "bot_timeout"}, {"message", "late"}});
}

TEST_CASE("a code bot's failed exchange gives the fallback and says why", "[bot_preview]") {
  conversation_view conv{"1555", "Ana", "7", "support", {{"n", "1"}}};
  code_target target;
  target.timeout = std::chrono::milliseconds{2500};
  target.fallback = {{"type", "text"}, {"text", {{"body", "Back soon"}}}};
  std::string code, detail;
  auto ok = step_of_exchange({200, false, "", R"({"actions": [{"goto": "done"}]})"}, conv, target,
                             {}, code, detail);
  CHECK(ok.state == "done");
  CHECK(code.empty());
  auto late = step_of_exchange({0, true, "", ""}, conv, target, {}, code, detail);
  CHECK(code == "bot_timeout");
  CHECK(detail.find("2500 ms") != std::string::npos);
  CHECK(late.state == "support");
  CHECK(late.vars == json{{"n", "1"}});
  REQUIRE(late.sends.size() == 1);
  CHECK(late.sends[0]["text"]["body"] == "Back soon");
  step_of_exchange({500, false, "", "oops"}, conv, target, {}, code, detail);
  CHECK(code == "bot_status");
  step_of_exchange({0, false, "refused", ""}, conv, target, {}, code, detail);
  CHECK(code == "bot_unreachable");
  CHECK(detail.find("refused") != std::string::npos);
  step_of_exchange({200, false, "", "[]"}, conv, target, {}, code, detail);
  CHECK(code == "bot_answer_invalid");
}

TEST_CASE("a preview's event says it is one", "[bot_preview]") {
  conversation_view conv{"1555", "Ana", "0", "start", json::object()};
  inbound_view msg;
  msg.id = preview_wamid(0);
  msg.type = "text";
  msg.text = "hi";
  event_context live{"p1", 9, false, json::object()};
  CHECK_FALSE(json::parse(event_body(live, conv, msg)).contains("preview"));
  event_context preview{"p1", 0, false, json::object(), true};
  CHECK(json::parse(event_body(preview, conv, msg))["preview"] == true);
}
