#include "actors/core/flow_send.hpp"
#include "actors/core/flow_exchange.hpp"

#include <set>

#include <catch2/catch.hpp>

using namespace paige::actors;
using namespace paige::actors::flows;
using json = nlohmann::json;

namespace {

catalog booking_catalog(const std::string& status = "PUBLISHED", json answers = nullptr) {
  catalog c;
  c.add("booking", {"1234", status, std::move(answers), nullptr, nullptr});
  c.add("a:b", {"5678", "PUBLISHED", nullptr, nullptr, nullptr});
  return c;
}

json flow_send(const std::string& name) {
  return {{"type", "interactive"},
          {"interactive",
           {{"type", "flow"},
            {"body", {{"text", "Book a visit"}}},
            {"action",
             {{"name", "flow"},
              {"parameters",
               {{"flow_name", name}, {"flow_cta", "Book"}, {"flow_action", "navigate"}}}}}}}};
}

json params(const prepared_send& p) { return p.message["interactive"]["action"]["parameters"]; }

}  // namespace

TEST_CASE("a flow send goes by Meta's id with a token of its own", "[flows]") {
  auto p = prepare_send(booking_catalog(), flow_send("booking"), "f00d");
  REQUIRE_FALSE(p.refusal);
  CHECK(params(p)["flow_id"] == "1234");
  CHECK_FALSE(params(p).contains("flow_name"));
  CHECK(params(p)["flow_token"] == "booking:f00d");
  CHECK(params(p)["flow_message_version"] == "3");
  CHECK_FALSE(params(p).contains("mode"));
  CHECK(params(p)["flow_cta"] == "Book");
  CHECK(bot::flow_name_of_token("booking:f00d") == "booking");
  CHECK(bot::flow_name_of_token("a:b:f00d") == "a:b");
  CHECK(bot::flow_name_of_token("booking") == "booking");

  // A token given stays; a draft goes in draft mode; other messages are not touched.
  auto given = flow_send("booking");
  given["interactive"]["action"]["parameters"]["flow_token"] = "booking:mine";
  CHECK(params(prepare_send(booking_catalog("DRAFT"), given, "x"))["flow_token"] == "booking:mine");
  CHECK(params(prepare_send(booking_catalog("DRAFT"), flow_send("booking"), "x"))["mode"] ==
        "draft");
  json text{{"type", "text"}, {"text", {{"body", "hi"}}}};
  CHECK(prepare_send(booking_catalog(), text, "x").message == text);
}

TEST_CASE("a flow send is refused for a flow the project does not have or Meta does not send",
          "[flows]") {
  auto unknown = prepare_send(booking_catalog(), flow_send("survey"), "x", "/send");
  REQUIRE(unknown.refusal);
  CHECK(unknown.not_found);
  CHECK(unknown.refusal->pointer == "/send/interactive/action/parameters/flow_name");
  auto deprecated = prepare_send(booking_catalog("DEPRECATED"), flow_send("booking"), "x");
  REQUIRE(deprecated.refusal);
  CHECK_FALSE(deprecated.not_found);
  CHECK(deprecated.refusal->message.find("DEPRECATED") != std::string::npos);
  auto nameless = flow_send("booking");
  nameless["interactive"]["action"]["parameters"].erase("flow_name");
  CHECK(prepare_send(booking_catalog(), nameless, "x").refusal);
  nameless["interactive"]["action"]["parameters"]["flow_id"] = "999";
  auto by_id = prepare_send(booking_catalog(), nameless, "ab");
  REQUIRE_FALSE(by_id.refusal);
  CHECK(params(by_id)["flow_token"] == "999:ab");
}

TEST_CASE("an answer is stored with its flow and as a row of the mapped table", "[flows]") {
  auto answers = json{{"table", "bookings"},
                      {"columns",
                       {{"name", "{{flow.name}}"},
                        {"service", "{{flow.service}}"},
                        {"date", "{{flow.date}}"},
                        {"phone", "{{contact.wa_id}}"}}}};
  auto c = booking_catalog("PUBLISHED", answers);
  bot::conversation_view conv{"15550001", "Ana", "7", "waiting", json::object()};
  bot::inbound_view msg;
  msg.id = "wamid.1";
  msg.type = "interactive";
  msg.flow_token = "booking:f00d";
  msg.flow = {
      {"name", "Ana"}, {"service", "cut"}, {"date", "2026-12-24"}, {"flow_token", "booking:f00d"}};
  auto saves = answer_saves(c, conv, msg);
  REQUIRE(saves.size() == 2);
  CHECK(saves[0].what == bot::save_op::kind::flow_answer);
  CHECK(saves[0].values[0] == std::pair<std::string, std::string>{"flow_name", "booking"});
  CHECK(saves[0].values[1].second == "1234");
  CHECK(json::parse(saves[0].values[3].second)["service"] == "cut");
  CHECK(saves[0].values[4].second == "wamid.1");
  CHECK(saves[1].table == "bookings");
  std::map<std::string, std::string> row(saves[1].values.begin(), saves[1].values.end());
  CHECK(row ==
        std::map<std::string, std::string>{
            {"name", "Ana"}, {"service", "cut"}, {"date", "2026-12-24"}, {"phone", "15550001"}});
  // Without a mapping only the answer is stored; an unknown flow or no answer: nothing.
  CHECK(answer_saves(booking_catalog(), conv, msg).size() == 1);
  msg.flow_token = "survey:1";
  CHECK(answer_saves(c, conv, msg).empty());
  msg.flow_token.clear();
  CHECK(answer_saves(c, conv, msg).empty());
}

TEST_CASE("an answers mapping is checked, and its table's columns fit the flow's fields",
          "[flows]") {
  CHECK(check_answers(nullptr, "/answers").empty());
  auto problems = check_answers(
      {{"table", "messages"}, {"columns", {{"bad name", "x"}, {"ok", 1}}}, {"colour", 1}},
      "/answers");
  REQUIRE(problems.size() == 4);
  CHECK(problems[0].pointer == "/answers/colour");
  CHECK(problems[1].pointer == "/answers/table");
  CHECK(problems[2].pointer == "/answers/columns/bad name");
  CHECK(problems[3].pointer == "/answers/columns/ok");
  CHECK(check_answers({{"table", "bookings"}, {"columns", json::object()}}, "")[0].pointer ==
        "/columns");

  auto flow = json::parse(R"({"version": "7.3", "screens": [
    {"id": "A", "layout": {"type": "SingleColumnLayout", "children": [{"type": "Form", "name": "f", "children": [
      {"type": "DatePicker", "name": "day", "label": "Day"},
      {"type": "TextInput", "name": "age", "label": "Age", "input-type": "number"},
      {"type": "Footer", "label": "Next", "on-click-action": {"name": "navigate",
        "next": {"type": "screen", "name": "B"}, "payload": {"day": "${form.day}", "age": "${form.age}"}}}]}]}},
    {"id": "B", "terminal": true, "data": {"day": {"type": "string", "__example__": "x"},
      "age": {"type": "number", "__example__": 1}, "vip": {"type": "boolean", "__example__": true}},
     "layout": {"type": "SingleColumnLayout", "children": [
      {"type": "OptIn", "name": "news", "label": "News"},
      {"type": "Footer", "label": "Done", "on-click-action": {"name": "complete", "payload": {
        "day": "${data.day}", "age": "${data.age}", "vip": "${data.vip}", "news": "${form.news}"}}}]}}]})");
  auto columns = answer_columns({{"table", "t"},
                                 {"columns",
                                  {{"day", "{{flow.day}}"},
                                   {"age", "{{ flow.age }}"},
                                   {"vip", "{{flow.vip}}"},
                                   {"news", "{{flow.news}}"},
                                   {"who", "{{contact.wa_id}}"},
                                   {"note", "on {{flow.day}}"}}}},
                                flow);
  std::map<std::string, std::string> types;
  for (const auto& c : columns) types[c["name"]] = c["type"];
  CHECK(types == std::map<std::string, std::string>{{"day", "date"},
                                                    {"age", "numeric"},
                                                    {"vip", "boolean"},
                                                    {"news", "boolean"},
                                                    {"who", "text"},
                                                    {"note", "text"}});
}

TEST_CASE("hostile flow sends and Flow JSON never throw", "[flows]") {
  auto answers = json{{"table", "t"}, {"columns", {{"a", "{{flow.a}}"}}}};
  for (const auto& v : {json(nullptr), json(1), json("x"), json::array(), json::object()}) {
    auto m = flow_send("booking");
    m["interactive"]["action"] = v;
    CHECK_NOTHROW(prepare_send(booking_catalog(), m, "x"));
    m = flow_send("booking");
    m["interactive"]["action"]["parameters"]["flow_name"] = v;
    CHECK_NOTHROW(prepare_send(booking_catalog(), m, "x"));
    CHECK_NOTHROW(answer_columns(answers, v));
    CHECK_NOTHROW(answer_columns(v, json::object()));
    CHECK_NOTHROW(check_answers(v, ""));
    CHECK_NOTHROW(answer_columns(answers, json{{"screens", {{{"id", "A"}, {"layout", v}}}}}));
  }
}

TEST_CASE("the endpoint's next screen and its data queries", "[flows]") {
  auto flow = json::parse(R"({"screens": [{"id": "A"}, {"id": "B"}, {"id": "C"}],
    "routing_model": {"A": ["B"], "B": ["C", "A"]}})");
  auto sources = json::parse(R"({"B": {"next": "SUCCESS", "data": {
    "slots": {"sql": "SELECT * FROM s WHERE d = $1 AND t = $2", "params": ["data.day", "flow_token"]},
    "me": {"sql": "SELECT 1 AS x", "one": true}}}})");
  CHECK(next_screen(flow, sources, "INIT", "") == "A");
  CHECK(next_screen(flow, sources, "BACK", "B") == "B");
  CHECK(next_screen(flow, sources, "data_exchange", "A") == "B");        // its only route
  CHECK(next_screen(flow, sources, "data_exchange", "B") == "SUCCESS");  // the source's next
  CHECK(next_screen(flow, json(), "data_exchange", "B") == "B");         // two routes: stays
  auto qs = queries_for(sources, "B", {{"flow_token", "t:1"}, {"data", {{"day", "mon"}}}});
  REQUIRE(qs.size() == 2);
  CHECK(qs[0].field == "me");
  CHECK(qs[0].one);
  CHECK(qs[1].params == json::array({"mon", "t:1"}));
  CHECK(queries_for(sources, "A", json::object()).empty());
  auto rows = json::parse(R"({"columns": ["id", "title"], "rows": [["a", "A"], ["b", "B"]]})");
  CHECK(value_of_rows(rows, false) ==
        json::parse(R"([{"id": "a", "title": "A"}, {"id": "b", "title": "B"}])"));
  CHECK(value_of_rows(rows, true) == json{{"id", "a"}, {"title", "A"}});
  CHECK(value_of_rows(json::parse(R"({"columns": ["x"], "rows": []})"), true).is_null());
  auto problems = check_data_sources(
      json::parse(
          R"({"Z": {"data": {}}, "A": {"next": "Q", "data": {"f": {"sql": 1, "params": ["env"], "one": 2}}}})"),
      flow, "/data_sources");
  std::set<std::string> at;
  for (const auto& p : problems) at.insert(p.pointer);
  CHECK(at == std::set<std::string>{"/data_sources/Z", "/data_sources/A/next",
                                    "/data_sources/A/data/f/sql", "/data_sources/A/data/f/params/0",
                                    "/data_sources/A/data/f/one"});
  CHECK(check_data_sources(sources, flow, "").empty());
}

TEST_CASE("a template's flow buttons get a token per send for the project's flows", "[flows]") {
  auto stored = json::parse(R"({"category": "UTILITY", "components": [
    {"type": "BODY", "text": "Your visit is due."},
    {"type": "BUTTONS", "buttons": [
      {"type": "QUICK_REPLY", "text": "Later"},
      {"type": "FLOW", "text": "Book", "flow_name": "booking"},
      {"type": "FLOW", "text": "Other", "flow_id": "5678"},
      {"type": "FLOW", "text": "Elsewhere", "flow_id": "999"}]}]})");
  json send{{"type", "template"},
            {"template", {{"name", "due"}, {"language", {{"code", "en_US"}}}}}};
  REQUIRE(has_flow_button(stored));
  auto out = prepare_template_flows(booking_catalog(), stored, send, "f00d");
  auto comps = out["template"]["components"];
  // Buttons 1 (by name) and 2 (by Meta's id) name the project's flows; 3 is not one of them.
  REQUIRE(comps.size() == 2);
  CHECK(comps[0]["index"] == "1");
  CHECK(comps[0]["sub_type"] == "flow");
  CHECK(comps[0]["parameters"][0]["type"] == "action");
  CHECK(comps[0]["parameters"][0]["action"]["flow_token"] == "booking:f00d");
  CHECK(comps[1]["index"] == "2");
  CHECK(comps[1]["parameters"][0]["action"]["flow_token"] == "a:b:f00d");

  // A parameter the sender gave keeps its data and its token; one without a token gets one.
  send["template"]["components"] = json::parse(R"([
    {"type": "button", "sub_type": "flow", "index": 1, "parameters": [{"type": "action",
      "action": {"flow_action_data": {"k": "v"}}}]},
    {"type": "button", "sub_type": "flow", "index": "2", "parameters": [{"type": "action",
      "action": {"flow_token": "a:b:mine"}}]}])");
  comps = prepare_template_flows(booking_catalog(), stored, send, "f00d")["template"]["components"];
  REQUIRE(comps.size() == 2);
  CHECK(comps[0]["parameters"][0]["action"]["flow_token"] == "booking:f00d");
  CHECK(comps[0]["parameters"][0]["action"]["flow_action_data"]["k"] == "v");
  CHECK(comps[1]["parameters"][0]["action"]["flow_token"] == "a:b:mine");

  // No flow button, or not a template: unchanged.
  auto plain = json::parse(R"({"components": [{"type": "BODY", "text": "Hi"}]})");
  CHECK_FALSE(has_flow_button(plain));
  CHECK(prepare_template_flows(booking_catalog(), plain, send, "x") == send);
  json text{{"type", "text"}, {"text", {{"body", "hi"}}}};
  CHECK(prepare_template_flows(booking_catalog(), stored, text, "x") == text);

  // Hostile shapes are left for the template checker, never thrown on.
  for (const auto& v : {json(nullptr), json(1), json("x"), json::array(), json::object()}) {
    auto m = send;
    m["template"]["components"] = v;
    CHECK_NOTHROW(prepare_template_flows(booking_catalog(), stored, m, "x"));
    m["template"]["components"] =
        json::array({{{"type", "button"}, {"index", "1"}, {"parameters", v}}});
    CHECK_NOTHROW(prepare_template_flows(booking_catalog(), stored, m, "x"));
    CHECK_NOTHROW(prepare_template_flows(booking_catalog(), v, send, "x"));
    CHECK_NOTHROW(has_flow_button(v));
    auto odd = stored;
    odd["components"][1]["buttons"][1]["flow_name"] = v;
    CHECK_NOTHROW(prepare_template_flows(booking_catalog(), odd, send, "x"));
  }
}

TEST_CASE("the flow tokens a message carries are recorded with the step", "[flows]") {
  auto interactive = params(prepare_send(booking_catalog(), flow_send("booking"), "f00d"));
  auto sent = prepare_send(booking_catalog(), flow_send("booking"), "f00d").message;
  CHECK(tokens_of(sent) ==
        std::vector<std::pair<std::string, std::string>>{{"booking:f00d", "booking"}});
  auto stored = json::parse(R"({"components": [{"type": "BUTTONS", "buttons": [
    {"type": "FLOW", "text": "Book", "flow_name": "booking"},
    {"type": "FLOW", "text": "Other", "flow_id": "5678"}]}]})");
  json t{{"type", "template"}, {"template", {{"name", "due"}, {"language", {{"code", "en"}}}}}};
  auto ready = prepare_template_flows(booking_catalog(), stored, t, "beef");
  CHECK(tokens_of(ready) == std::vector<std::pair<std::string, std::string>>{
                                {"booking:beef", "booking"}, {"a:b:beef", "a:b"}});
  CHECK(tokens_of(json{{"type", "text"}, {"text", {{"body", "hi"}}}}).empty());
  CHECK(tokens_of(t).empty());

  auto saves = token_saves({sent, json{{"type", "text"}}, ready}, "15550001");
  REQUIRE(saves.size() == 3);
  CHECK(saves[0].what == bot::save_op::kind::flow_token);
  CHECK(saves[0].values ==
        std::vector<std::pair<std::string, std::string>>{
            {"token", "booking:f00d"}, {"flow_name", "booking"}, {"wa_id", "15550001"}});
  CHECK(saves[2].values[0].second == "a:b:beef");
  for (const auto& v : {json(nullptr), json(1), json("x"), json::array(), json::object()}) {
    auto m = ready;
    m["template"]["components"] = v;
    CHECK_NOTHROW(tokens_of(m));
    m["template"]["components"] = json::array({{{"sub_type", "flow"}, {"parameters", v}}});
    CHECK_NOTHROW(tokens_of(m));
    CHECK_NOTHROW(tokens_of(v));
  }
  CHECK(interactive["flow_token"] == "booking:f00d");
}

TEST_CASE("a flow_token given by the sender is bounded", "[flows]") {
  auto long_token = flow_send("booking");
  long_token["interactive"]["action"]["parameters"]["flow_token"] = std::string(257, 'x');
  auto p = prepare_send(booking_catalog(), long_token, "x");
  REQUIRE(p.refusal);
  CHECK(p.refusal->pointer == "/interactive/action/parameters/flow_token");
  long_token["interactive"]["action"]["parameters"]["flow_token"] = std::string(256, 'x');
  CHECK_FALSE(prepare_send(booking_catalog(), long_token, "x").refusal);
}
