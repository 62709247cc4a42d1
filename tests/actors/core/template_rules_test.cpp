// A message template is checked against Meta's limits before Meta sees it (issue 30's first
// piece: the rules alone).
#include "actors/core/template_rules.hpp"

#include <catch2/catch.hpp>

using namespace paige::actors;
using json = nlohmann::json;

namespace {

std::vector<std::string> pointers(const json& t) {
  std::vector<std::string> out;
  for (const auto& p : templates::check_template(t)) out.push_back(p.pointer);
  return out;
}

json order_confirmation() {
  return json::parse(R"({
    "name": "order_confirmation", "language": "en_US", "category": "UTILITY",
    "parameter_format": "named",
    "components": [
      {"type": "HEADER", "format": "TEXT", "text": "Order {{order_id}}",
       "example": {"header_text_named_params": [{"param_name": "order_id", "example": "860198"}]}},
      {"type": "BODY", "text": "Thank you, {{first_name}}! Your order number is {{order_number}}.",
       "example": {"body_text_named_params": [{"param_name": "first_name", "example": "Pablo"},
                                              {"param_name": "order_number", "example": "860198-230332"}]}},
      {"type": "FOOTER", "text": "Reply STOP to opt out"},
      {"type": "BUTTONS", "buttons": [
        {"type": "QUICK_REPLY", "text": "Talk to support"},
        {"type": "URL", "text": "Track", "url": "https://example.com/track/{{1}}", "example": ["https://example.com/track/abc"]},
        {"type": "PHONE_NUMBER", "text": "Call us", "phone_number": "+15550051310"},
        {"type": "FLOW", "text": "Open flow", "flow_id": "123", "flow_action": "navigate", "navigate_screen": "WELCOME"}
      ]}
    ]})");
}

}  // namespace

TEST_CASE("Meta's own example template passes", "[templates]") {
  CHECK(pointers(order_confirmation()).empty());
  auto positional = json::parse(R"({
    "name": "hello_2", "language": "en", "category": "MARKETING",
    "components": [{"type": "BODY", "text": "Hi {{1}}, your code is {{2}}.",
                    "example": {"body_text": [["Ada", "42"]]}},
                   {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1h"]}}]})");
  CHECK(pointers(positional).empty());
  auto otp = json::parse(R"({
    "name": "login_code", "language": "en_US", "category": "AUTHENTICATION",
    "components": [{"type": "BODY", "add_security_recommendation": true},
                   {"type": "FOOTER", "code_expiration_minutes": 10},
                   {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]}]})");
  CHECK(pointers(otp).empty());
}

TEST_CASE("parameters are read in both formats and malformed ones are told", "[templates]") {
  bool bad = false;
  CHECK(templates::parameters_of("Hi {{1}} and {{2}}, {{1}}", false, bad) ==
        std::vector<std::string>{"1", "2"});
  CHECK_FALSE(bad);
  CHECK(templates::parameters_of("Hi {{first_name}}", true, bad) ==
        std::vector<std::string>{"first_name"});
  templates::parameters_of("Hi {{First}}", true, bad);
  CHECK(bad);
  templates::parameters_of("Hi {{1", false, bad);
  CHECK(bad);
  templates::parameters_of("Hi {{01}}", false, bad);
  CHECK(bad);
}

TEST_CASE("each problem is told at its pointer", "[templates]") {
  auto t = order_confirmation();
  t["name"] = "Order Confirmation";
  t["language"] = "english";
  t["category"] = "PROMO";
  CHECK(pointers(t) == std::vector<std::string>{"/name", "/language", "/category"});

  t = order_confirmation();
  t["components"][1]["example"]["body_text_named_params"].erase(1);  // an example missing
  t["components"][2]["text"] = "Bye {{first_name}}";                 // a parameter in a footer
  t["components"][0]["text"] = "{{order_id}} {{other}}";             // two in a text header
  CHECK(pointers(t) == std::vector<std::string>{
                           "/components/0/text", "/components/0/example/header_text_named_params",
                           "/components/1/example/body_text_named_params", "/components/2/text"});

  t = order_confirmation();
  t["components"][1]["text"] = "{{first_name}} ordered {{order_number}}";  // starts with one
  CHECK(pointers(t) == std::vector<std::string>{"/components/1/text"});

  auto positional = json::parse(R"({"name": "p", "language": "en", "category": "UTILITY",
    "components": [{"type": "BODY", "text": "Hi {{2}} and {{1}}.", "example": {"body_text": [["a", "b"]]}}]})");
  CHECK(pointers(positional) == std::vector<std::string>{"/components/0/text"});
  positional["components"][0]["text"] = "Hi {{1}} and {{2}}.";
  positional["components"][0]["example"]["body_text"] = json::parse(R"([["a"]])");
  CHECK(pointers(positional) == std::vector<std::string>{"/components/0/example/body_text"});
}

TEST_CASE("buttons are counted and checked by type", "[templates]") {
  auto t = order_confirmation();
  auto& buttons = t["components"][3]["buttons"];
  buttons[0]["text"] = std::string(26, 'x');
  buttons[1]["url"] = "https://example.com/{{1}}/track";
  buttons[2]["phone_number"] = "555-1234";
  buttons[3].erase("flow_id");
  buttons.push_back({{"type", "URL"}, {"text", "a"}, {"url", "https://a.example"}});
  buttons.push_back({{"type", "URL"}, {"text", "b"}, {"url", "https://b.example"}});
  buttons.push_back({{"type", "SHARE"}});
  CHECK(pointers(t) ==
        std::vector<std::string>{"/components/3/buttons/0/text", "/components/3/buttons/1/url",
                                 "/components/3/buttons/2/phone_number", "/components/3/buttons/3",
                                 "/components/3/buttons/6/type", "/components/3/buttons"});
  json many = json::array();
  for (int i = 0; i < 11; ++i) many.push_back({{"type", "QUICK_REPLY"}, {"text", "q"}});
  t = order_confirmation();
  t["components"][3]["buttons"] = many;
  CHECK(pointers(t) == std::vector<std::string>{"/components/3/buttons"});
}

TEST_CASE("components: one body, each kind once, a media header with its example", "[templates]") {
  auto t = order_confirmation();
  t["components"].erase(1);  // no body
  CHECK(pointers(t) == std::vector<std::string>{"/components"});
  t = order_confirmation();
  t["components"].push_back(t["components"][2]);  // a second footer
  CHECK(pointers(t) == std::vector<std::string>{"/components/4/type"});
  t = order_confirmation();
  t["components"][0] = {{"type", "HEADER"}, {"format", "VIDEO"}};
  CHECK(pointers(t) == std::vector<std::string>{"/components/0/example/header_handle"});
  CHECK(pointers(json::array()) == std::vector<std::string>{""});
  CHECK(pointers({{"name", "x"}, {"language", "en"}, {"category", "UTILITY"}}) ==
        std::vector<std::string>{"/components"});
}

TEST_CASE("an authentication template has one OTP button and no header", "[templates]") {
  auto otp = json::parse(R"({
    "name": "login_code", "language": "en_US", "category": "AUTHENTICATION",
    "components": [{"type": "HEADER", "format": "TEXT", "text": "Code"},
                   {"type": "BODY"},
                   {"type": "FOOTER", "code_expiration_minutes": 120},
                   {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "x"}]}]})");
  CHECK(pointers(otp) == std::vector<std::string>{
                             "/components/0", "/components/2/code_expiration_minutes",
                             "/components/3/buttons/0/type", "/components/3/buttons/0/otp_type"});
}
