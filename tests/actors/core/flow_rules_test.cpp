#include "actors/core/flow_rules.hpp"

#include "tests/support/booking_flow.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace paige::actors;
using namespace paige::actors::flows;
using json = nlohmann::json;

namespace {

json booking() { return paige::test::booking_flow_json(); }

/// Whether a problem is at `pointer` with `words` in its message.
bool has(const std::vector<problem>& problems, const std::string& pointer,
         const std::string& words = "") {
  return std::any_of(problems.begin(), problems.end(), [&](const problem& p) {
    return p.pointer == pointer && p.message.find(words) != std::string::npos;
  });
}

std::string listed(const std::vector<problem>& problems) {
  std::string out;
  for (const auto& p : problems) out += p.pointer + ": " + p.message + "\n";
  return out;
}

}  // namespace

TEST_CASE("the booking flow is a valid Flow JSON", "[flows]") {
  auto problems = check_flow_json(booking());
  INFO(listed(problems));
  CHECK(problems.empty());
  auto body =
      json{{"name", "booking"}, {"categories", {"APPOINTMENT_BOOKING"}}, {"flow_json", booking()}};
  CHECK(check_flow(body, false).empty());
}

TEST_CASE("a Flow JSON's version, screens and screen ids are checked", "[flows]") {
  auto f = booking();
  f["version"] = 7.3;
  CHECK(has(check_flow_json(f), "/version", "as text"));
  f["version"] = "2.1";
  CHECK(has(check_flow_json(f), "/version", "7.3"));
  f = booking();
  f["data_channel_uri"] = "https://x";
  CHECK(has(check_flow_json(f), "/data_channel_uri", "endpoint_uri"));
  f = booking();
  f["screens"] = json::array();
  CHECK(has(check_flow_json(f), "/screens", "one at least"));
  f = booking();
  f["screens"][1]["id"] = "BOOKING";
  CHECK(has(check_flow_json(f), "/screens/1/id", "unique"));
  f = booking();
  f["screens"][0]["id"] = "STEP_1";
  CHECK(has(check_flow_json(f), "/screens/0/id", "letters and underscores"));
  f = booking();
  f["screens"][1]["id"] = "success";
  CHECK(has(check_flow_json(f), "/screens/1/id", "reserved"));
  f = booking();
  f["screens"][0]["colour"] = "red";
  CHECK(has(check_flow_json(f), "/screens/0/colour"));
}

TEST_CASE("a flow ends on a terminal screen with a Footer", "[flows]") {
  auto f = booking();
  f["screens"][1].erase("terminal");
  auto problems = check_flow_json(f);
  CHECK(has(problems, "/screens", "terminal screen"));
  CHECK(has(problems, "/screens/1/layout/children/1/on-click-action/name", "terminal"));
  f = booking();
  f["screens"][1]["layout"]["children"].erase(1);
  CHECK(has(check_flow_json(f), "/screens/1/layout/children", "Footer"));
  f = booking();
  f["screens"][0]["success"] = true;
  CHECK(has(check_flow_json(f), "/screens/0/success", "terminal"));
}

TEST_CASE("components have their required properties, types and limits", "[flows]") {
  auto f = booking();
  auto& form = f["screens"][0]["layout"]["children"][0]["children"];
  form[0].erase("label");
  form[1]["label"] = std::string(21, 'x');
  form[2]["type"] = "DateInput";
  auto problems = check_flow_json(f);
  INFO(listed(problems));
  CHECK(has(problems, "/screens/0/layout/children/0/children/0/label", "required"));
  CHECK(has(problems, "/screens/0/layout/children/0/children/1/label", "20 characters"));
  CHECK(has(problems, "/screens/0/layout/children/0/children/2/type", "not a Flow component"));

  f = booking();
  auto& options = f["screens"][0]["layout"]["children"][0]["children"][1]["data-source"];
  options[1]["id"] = "cut";
  options.push_back({{"title", "No id"}});
  problems = check_flow_json(f);
  CHECK(has(problems, "/screens/0/layout/children/0/children/1/data-source/1/id", "unique"));
  CHECK(has(problems, "/screens/0/layout/children/0/children/1/data-source/2/id", "required"));

  f = booking();
  f["screens"][0]["layout"]["children"][0]["children"][0]["input-type"] = "colour";
  f["screens"][0]["layout"]["children"][0]["children"][0]["name"] = "service";
  problems = check_flow_json(f);
  CHECK(has(problems, "/screens/0/layout/children/0/children/0/input-type"));
  CHECK(has(problems, "/screens/0/layout/children/0/children/1/name", "another field"));

  f = booking();
  f["screens"][1]["layout"]["children"][1]["left-caption"] = "Back";
  f["screens"][1]["layout"]["children"].push_back(f["screens"][1]["layout"]["children"][1]);
  problems = check_flow_json(f);
  CHECK(has(problems, "/screens/1/layout/children/1/left-caption", "together"));
  CHECK(has(problems, "/screens/1/layout/children", "at most 1 Footer"));
}

TEST_CASE("fields of a screen with a Form are in it", "[flows]") {
  auto f = booking();
  f["screens"][0]["layout"]["children"].push_back(
      {{"type", "TextArea"}, {"name", "notes"}, {"label", "Notes"}});
  CHECK(has(check_flow_json(f), "/screens/0/layout/children/1", "outside the screen's Form"));
}

TEST_CASE("If branches and Switch cases agree on their Footer", "[flows]") {
  auto f = booking();
  auto footer = f["screens"][1]["layout"]["children"][1];
  f["screens"][1]["layout"]["children"][1] = {
      {"type", "If"},
      {"condition", "${data.name} != ''"},
      {"then", {footer}},
      {"else", {{{"type", "TextBody"}, {"text", "No name"}}}}};
  CHECK(has(check_flow_json(f), "/screens/1/layout/children/1", "both have one"));
  f["screens"][1]["layout"]["children"][1]["else"] = {footer};
  auto problems = check_flow_json(f);
  INFO(listed(problems));
  CHECK(problems.empty());  // one Footer shown whichever branch: within the limit of one
}

TEST_CASE("every reference resolves", "[flows]") {
  auto f = booking();
  f["screens"][1]["layout"]["children"][0]["text"] = "${data.nickname} ${form.name}";
  auto problems = check_flow_json(f);
  CHECK(has(problems, "/screens/1/layout/children/0/text", "'nickname' is not declared"));
  CHECK(has(problems, "/screens/1/layout/children/0/text", "has no field 'name'"));
  f["screens"][1]["layout"]["children"][0]["text"] =
      "${screen.BOOKING.form.name} ${screen.NOWHERE.data.x} ${screen.BOOKING.form.age}";
  problems = check_flow_json(f);
  CHECK(has(problems, "/screens/1/layout/children/0/text", "no screen 'NOWHERE'"));
  CHECK(has(problems, "/screens/1/layout/children/0/text", "has no field 'age'"));
  CHECK_FALSE(has(problems, "/screens/1/layout/children/0/text", "'name'"));
  f["screens"][1]["layout"]["children"][0]["text"] = "${name}";
  CHECK(has(check_flow_json(f), "/screens/1/layout/children/0/text", "is not a reference"));
}

TEST_CASE("navigate goes to another screen with the data it declares", "[flows]") {
  auto f = booking();
  auto& action = f["screens"][0]["layout"]["children"][0]["children"][3]["on-click-action"];
  action["payload"].erase("date");
  action["payload"]["age"] = "${form.name}";
  auto problems = check_flow_json(f);
  auto at = std::string{"/screens/0/layout/children/0/children/3/on-click-action"};
  CHECK(has(problems, at + "/payload", "expects 'date'"));
  CHECK(has(problems, at + "/payload/age", "does not declare 'age'"));
  action["next"]["name"] = "PAYMENT";
  CHECK(has(check_flow_json(f), at + "/next/name", "no screen 'PAYMENT'"));
  action["next"]["name"] = "BOOKING";
  CHECK(has(check_flow_json(f), at + "/next/name", "itself"));
  action.erase("next");
  CHECK(has(check_flow_json(f), at + "/next", "navigate needs next"));
}

TEST_CASE("an endpoint flow has its data API version and a forward routing model", "[flows]") {
  auto f = booking();
  auto& action = f["screens"][0]["layout"]["children"][0]["children"][3]["on-click-action"];
  action = {{"name", "data_exchange"}, {"payload", {{"name", "${form.name}"}}}};
  auto at = std::string{"/screens/0/layout/children/0/children/3/on-click-action/name"};
  CHECK(has(check_flow_json(f), at, "endpoint"));
  f["data_api_version"] = "3.0";
  CHECK(has(check_flow_json(f), "/routing_model", "required"));
  f["routing_model"] = {{"BOOKING", {"CONFIRM"}}, {"CONFIRM", json::array()}};
  auto problems = check_flow_json(f);
  INFO(listed(problems));
  CHECK(problems.empty());
  f["routing_model"] = {{"BOOKING", {"CONFIRM", "BOOKING"}}, {"CONFIRM", {"BOOKING", "LATER"}}};
  problems = check_flow_json(f);
  CHECK(has(problems, "/routing_model/BOOKING/1", "itself"));
  CHECK(has(problems, "/routing_model/BOOKING/0", "forward only"));
  CHECK(has(problems, "/routing_model/CONFIRM/1", "no screen 'LATER'"));
  CHECK(has(problems, "/routing_model", "no screen is an entry"));
  // A huge list of routes is refused at once (it is not compared pair by pair).
  json to_confirm = json::array(), to_booking = json::array();
  for (int i = 0; i < 200000; ++i) {
    to_confirm.push_back("CONFIRM");
    to_booking.push_back("BOOKING");
  }
  f["routing_model"] = {{"BOOKING", to_confirm}, {"CONFIRM", to_booking}};
  problems = check_flow_json(f);
  CHECK(has(problems, "/routing_model/BOOKING", "at most 10 routes"));
  CHECK(has(problems, "/routing_model/CONFIRM", "at most 10 routes"));
  CHECK(problems.size() < 5);
  f["data_api_version"] = "4.0";
  f["version"] = "7.2";
  CHECK(has(check_flow_json(f), "/data_api_version", "\"3.0\""));
}

TEST_CASE("a flow's name, categories and endpoint are checked", "[flows]") {
  auto problems = check_flow({{"name", ""},
                              {"categories", {"BOOKING", "OTHER", "OTHER"}},
                              {"endpoint_uri", "http://x"},
                              {"colour", 1}},
                             false);
  CHECK(has(problems, "/name", "required"));
  CHECK(has(problems, "/categories/0", "categories"));
  CHECK(has(problems, "/categories/2", "once"));
  CHECK(has(problems, "/endpoint_uri", "https"));
  CHECK(has(problems, "/flow_json", "required"));
  CHECK(has(problems, "/colour"));
  CHECK(has(check_flow(json::object(), true), "", "nothing to change"));
  CHECK(check_flow({{"categories", {"SURVEY"}}}, true).empty());
  auto f = booking();
  f["screens"][0]["id"] = "1";
  CHECK(has(check_flow({{"flow_json", f}}, true), "/flow_json/screens/0/id"));
}

TEST_CASE("Meta's validation errors point where the API's problems do", "[flows]") {
  CHECK(pointer_of_meta_path("screens[0].layout.children[1].type", "/flow_json") ==
        "/flow_json/screens/0/layout/children/1/type");
  CHECK(pointer_of_meta_path("routing_model.a/b", "") == "/routing_model/a~1b");
  CHECK(meta_path_of_pointer("/screens/0/layout/children/1/type") ==
        "screens[0].layout.children[1].type");
  CHECK(meta_path_of_pointer("") == "");
  auto meta = json::parse(R"([{"error": "INVALID_PROPERTY_VALUE", "error_type": "FLOW_JSON_ERROR",
    "message": "Invalid value found for property 'type'.", "line_start": 10,
    "pointers": [{"path": "screens[0].layout.children[0].type"}]},
    {"error": "MISSING_TERMINAL_SCREEN", "message": "A terminal screen is required."}])");
  auto problems = problems_of_meta(meta, "/flow_json");
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].pointer == "/flow_json/screens/0/layout/children/0/type");
  CHECK(problems[0].message ==
        "Invalid value found for property 'type'. (Meta: INVALID_PROPERTY_VALUE)");
  CHECK(problems[1].pointer == "/flow_json");
}

namespace {

/// Calls `f` with copies of `doc` where one value (at any depth) is replaced by each of a set
/// of values of other types.
template <class F>
void each_mutation(const json& doc, F f) {
  static const std::vector<json> others{
      1, -7.5, "x", "${data.", json::array(), json::object(), nullptr, true};
  auto flat = doc.flatten();
  for (const auto& [path, v] : flat.items()) {
    // The value, and each of its parents, replaced.
    for (auto p = json::json_pointer{path}; !p.empty(); p = p.parent_pointer())
      for (const auto& o : others) {
        auto copy = doc;
        copy[p] = o;
        f(copy);
      }
  }
}

}  // namespace

TEST_CASE("a hostile Flow JSON gets problems, never an exception", "[flows]") {
  std::size_t runs = 0;
  each_mutation(booking(), [&](const json& f) {
    ++runs;
    CHECK_NOTHROW(check_flow_json(f));
    CHECK_NOTHROW(check_flow({{"name", "x"}, {"categories", {"OTHER"}}, {"flow_json", f}}, false));
  });
  CHECK(runs > 500);
  for (const auto& f : {json(nullptr), json(1), json("x"), json::array(), json::object()})
    CHECK_FALSE(check_flow_json(f).empty());
}
