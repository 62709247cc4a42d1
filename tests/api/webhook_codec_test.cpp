#include "api/webhook_codec.hpp"
#include "common/json_text.hpp"
#include "common/secrets.hpp"
#include "tests/support/webhook_outcome.hpp"
#include "tests/support/webhooks.hpp"

#include <catch2/catch.hpp>

using namespace paige::api;
using paige::test::envelope;
using paige::test::outcome;
using json = nlohmann::json;

namespace {

webhook_events parsed(const json& doc) {
  auto r = parse_webhook(doc.dump());
  if (auto* why = std::get_if<std::string>(&r)) FAIL(*why);
  return std::get<webhook_events>(r);
}

std::string rejected(const std::string& body) {
  auto r = parse_webhook(body);
  REQUIRE(std::holds_alternative<std::string>(r));
  return std::get<std::string>(r);
}

}  // namespace

TEST_CASE("signatures are HMAC-SHA256 of the exact bytes under the app secret", "[webhook]") {
  std::string body = R"({"object":"whatsapp_business_account","entry":[]})";
  auto good = "sha256=" + paige::secrets::hmac_sha256_hex("app-secret", body);
  CHECK(valid_signature("app-secret", body, good));
  std::string upper = good;
  for (std::size_t i = 7; i < upper.size(); ++i)
    upper[i] = static_cast<char>(std::toupper(upper[i]));
  CHECK(valid_signature("app-secret", body, upper));
  CHECK_FALSE(valid_signature("other-secret", body, good));
  CHECK_FALSE(valid_signature("app-secret", body + " ", good));  // re-serialized bytes differ
  CHECK_FALSE(valid_signature("app-secret", body, good.substr(7)));
  CHECK_FALSE(valid_signature("app-secret", body, "sha1=" + good.substr(7)));
  CHECK_FALSE(valid_signature("app-secret", body, ""));
  // A known vector (RFC 4231 test case 2).
  CHECK(paige::secrets::hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("every inbound type of the Cloud API is parsed with its content", "[webhook]") {
  json messages = json::parse(R"([
    {"from": "16505551234", "id": "wamid.text", "timestamp": "1749416383", "type": "text", "text": {"body": "Hi"}},
    {"from": "16505551234", "id": "wamid.img", "timestamp": "1749416384", "type": "image",
     "image": {"caption": "look", "mime_type": "image/jpeg", "sha256": "abc", "id": "media1"}},
    {"from": "16505551234", "id": "wamid.btn", "timestamp": "1749416385", "type": "interactive",
     "context": {"from": "15550783881", "id": "wamid.out"},
     "interactive": {"type": "button_reply", "button_reply": {"id": "book", "title": "Book"}}},
    {"from": "16505551234", "id": "wamid.list", "timestamp": "1749416386", "type": "interactive",
     "interactive": {"type": "list_reply", "list_reply": {"id": "row_2", "title": "Two", "description": "d"}}},
    {"from": "16505551234", "id": "wamid.flow", "timestamp": "1749416387", "type": "interactive",
     "interactive": {"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent",
       "response_json": "{\"flow_token\":\"signup:1\",\"email\":\"a@b.c\"}"}}},
    {"from": "16505551234", "id": "wamid.tpl", "timestamp": "1749416388", "type": "button",
     "button": {"payload": "CONFIRM_42", "text": "Confirm"}},
    {"from": "16505551234", "id": "wamid.loc", "timestamp": "1749416389", "type": "location",
     "location": {"latitude": 38.9, "longitude": -77.0, "name": "Office"}},
    {"from": "16505551234", "id": "wamid.react", "timestamp": "1749416390", "type": "reaction",
     "reaction": {"message_id": "wamid.out", "emoji": "😀"}},
    {"from": "16505551234", "id": "wamid.unsup", "timestamp": "1749416391", "type": "unsupported",
     "errors": [{"code": 131051, "title": "Message type unknown"}], "unsupported": {"type": "poll_creation"}},
    {"from": "16505551234", "id": "wamid.sys", "timestamp": "1749416392", "type": "system",
     "system": {"body": "User changed number", "wa_id": "16505550000", "type": "user_changed_number"}}
  ])");
  auto events = parsed(envelope(
      "106540352242922",
      {{"contacts", {{{"profile", {{"name", "Sheena Nelson"}}}, {"wa_id", "16505551234"}}}},
       {"messages", messages}}));
  REQUIRE(events.numbers.size() == 1);
  const auto& batch = events.numbers[0];
  CHECK(batch.phone_number_id == "106540352242922");
  REQUIRE(batch.messages.size() == messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto& m = batch.messages[i];
    CHECK(m.wamid == messages[i]["id"]);
    CHECK(m.type == messages[i]["type"]);
    CHECK(m.from == "16505551234");
    CHECK(m.profile_name == "Sheena Nelson");
    CHECK(json::parse(m.content_json) == messages[i]);
  }
  using paige::actors::view_of;
  CHECK(view_of("w", messages[0]).text == "Hi");
  CHECK(view_of("w", messages[1]).text == "look");
  CHECK(view_of("w", messages[2]).button_id == "book");
  CHECK(view_of("w", messages[2]).text == "Book");
  CHECK(view_of("w", messages[3]).list_id == "row_2");
  auto flow = view_of("w", messages[4]);
  CHECK(flow.flow_token == "signup:1");
  CHECK(flow.flow["email"] == "a@b.c");
  CHECK(view_of("w", messages[5]).button_id == "CONFIRM_42");
  CHECK(view_of("w", messages[6]).type == "location");
}

TEST_CASE("statuses, errors, several entries, changes and numbers", "[webhook]") {
  auto a = envelope(
      "111", {{"statuses", json::parse(R"([
      {"id": "wamid.o1", "status": "sent", "timestamp": "1750263773", "recipient_id": "1650"},
      {"id": "wamid.o2", "status": "failed", "timestamp": "1750263800", "recipient_id": "1650",
       "errors": [{"code": 131047, "title": "Re-engagement message"}]}])")},
              {"errors", json::parse(R"([{"code": 131000, "title": "Something went wrong"}])")}});
  auto b = envelope("222", {{"messages", {paige::test::text_message("wamid.b1", "1777", "x")}}});
  a["entry"].push_back(b["entry"][0]);
  a["entry"][0]["changes"].push_back(
      {{"field", "message_template_status_update"}, {"value", {{"event", "APPROVED"}}}});
  a["entry"][0]["changes"].push_back(envelope(
      "111", {{"messages",
               {paige::test::text_message("wamid.a1", "1888", "y")}}})["entry"][0]["changes"][0]);
  auto events = parsed(a);
  REQUIRE(events.numbers.size() == 2);
  REQUIRE(events.account.size() == 1);
  CHECK(events.account[0].field == "message_template_status_update");
  CHECK(events.account[0].waba_id == "102290129340398");
  const auto& first = events.numbers[0];
  CHECK(first.phone_number_id == "111");
  REQUIRE(first.statuses.size() == 2);
  CHECK(first.statuses[0].status == "sent");
  CHECK(first.statuses[0].errors_json.empty());
  CHECK(json::parse(first.statuses[1].errors_json)[0]["code"] == 131047);
  REQUIRE(first.errors_json.size() == 1);
  REQUIRE(first.messages.size() == 1);
  CHECK(first.messages[0].wamid == "wamid.a1");
  CHECK(first.messages[0].profile_name.empty());
  CHECK(events.numbers[1].phone_number_id == "222");
}

TEST_CASE("bodies that are not Cloud API envelopes are refused with a reason", "[webhook]") {
  CHECK_THAT(rejected("not json"), Catch::Contains("not JSON"));
  CHECK_THAT(rejected(R"({"object":"page","entry":[]})"),
             Catch::Contains("whatsapp_business_account"));
  CHECK_THAT(rejected(R"({"object":"whatsapp_business_account"})"), Catch::Contains("'entry'"));
  CHECK_THAT(rejected(R"({"object":"whatsapp_business_account","entry":[{"changes":{}}]})"),
             Catch::Contains("changes"));
  CHECK_THAT(
      rejected(
          R"({"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{}}]}]})"),
      Catch::Contains("phone_number_id"));
  auto no_id = envelope("1", {{"messages", {{{"from", "1"}, {"type", "text"}}}}});
  CHECK_THAT(rejected(no_id.dump()), Catch::Contains("'id'"));
  auto bad_list = envelope("1", {{"messages", {{"from", "1"}}}});
  CHECK_THAT(rejected(bad_list.dump()), Catch::Contains("must be lists"));
  auto bad_status = envelope("1", {{"statuses", {{{"id", "w"}}}}});
  CHECK_THAT(rejected(bad_status.dump()), Catch::Contains("'status'"));
  CHECK(
      parsed(json::parse(R"({"object":"whatsapp_business_account","entry":[]})")).numbers.empty());
}

namespace {

/// Envelopes of every usual shape.
std::vector<json> usual_envelopes() {
  auto statuses = envelope(
      "111", {{"statuses", json::parse(R"([
      {"id": "wamid.o1", "status": "sent", "timestamp": "1750263773", "recipient_id": "1650",
       "conversation": {"id": "c1", "origin": {"type": "service"}}, "pricing": {"billable": true}},
      {"id": "wamid.o2", "status": "failed", "timestamp": 1750263800, "recipient_id": "1650",
       "errors": [{"code": 131047, "title": "Re-engagement message", "error_data": {"details": "x"}}]}])")},
              {"errors", json::parse(R"([{"code": 131000, "title": "Something went wrong"}])")}});
  auto message =
      envelope("222", {{"contacts", {{{"profile", {{"name", "Ada \"L\" é"}}}, {"wa_id", "1777"}}}},
                       {"messages",
                        {paige::test::text_message("wamid.b1", "1777", "x\ny"),
                         paige::test::text_message("wamid.b2", "1778", "z")}}});
  auto several = statuses;
  several["entry"].push_back(message["entry"][0]);
  several["entry"][0]["changes"].push_back(envelope(
      "111", {{"messages",
               {paige::test::text_message("wamid.a1", "1888", "y")}}})["entry"][0]["changes"][0]);
  auto numeric_ids = envelope(
      "333",
      {{"contacts", {{{"wa_id", 1999}, {"profile", {{"name", 5}}}}}},
       {"messages", {{{"id", "wamid.n"}, {"from", "1999"}, {"type", "text"}, {"timestamp", 17}}}}});
  numeric_ids["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = 333;
  return {statuses, message, several, numeric_ids,
          json::parse(R"({"object":"whatsapp_business_account","entry":[]})")};
}

/// Every value in `doc` with its JSON pointer.
void pointers(const json& doc, const json::json_pointer& at, std::vector<json::json_pointer>& out) {
  out.push_back(at);
  if (doc.is_object())
    for (const auto& [k, v] : doc.items()) pointers(v, at / k, out);
  if (doc.is_array())
    for (std::size_t i = 0; i < doc.size(); ++i) pointers(doc[i], at / i, out);
}

void check_agree(const std::string& body) {
  INFO(body);
  auto reference = parse_webhook_document(body);
  auto fast = scan_webhook(body);
  if (fast) CHECK(outcome(*fast) == outcome(reference));
  CHECK(outcome(parse_webhook(body)) == outcome(reference));
}

}  // namespace

TEST_CASE("the one-pass reading takes the usual envelopes and reads them as the document does",
          "[webhook]") {
  for (const auto& doc : usual_envelopes()) {
    INFO(doc.dump());
    auto fast = scan_webhook(doc.dump());
    REQUIRE(fast);
    CHECK(outcome(*fast) == outcome(parse_webhook_document(doc.dump())));
    CHECK(outcome(*fast) ==
          outcome(parse_webhook_document(doc.dump(2))));  // whitespace changes nothing
  }
}

TEST_CASE("the one-pass reading agrees with the document on every altered envelope", "[webhook]") {
  const std::vector<json> replacements{nullptr,
                                       true,
                                       7,
                                       -1,
                                       1.5,
                                       "s",
                                       "",
                                       json::object(),
                                       json::array(),
                                       {{"x", 1}},
                                       json::array({1, "a"}),
                                       json::array({json::object()})};
  std::size_t altered = 0;
  for (const auto& doc : usual_envelopes()) {
    std::vector<json::json_pointer> all;
    pointers(doc, json::json_pointer{}, all);
    for (const auto& at : all) {
      for (const auto& r : replacements) {
        auto changed = doc;
        changed[at] = r;
        check_agree(changed.dump());
        ++altered;
      }
      if (!at.empty()) {
        auto removed = doc;
        removed.at(at.parent_pointer()).is_object()
            ? removed.at(at.parent_pointer()).erase(at.back())
            : (removed.at(at.parent_pointer()).erase(std::stoul(at.back())), 0);
        check_agree(removed.dump());
        ++altered;
      }
    }
    // Cut short: never JSON.
    auto text = doc.dump();
    for (std::size_t n = 0; n < text.size(); n += 7) check_agree(text.substr(0, n));
  }
  CHECK(altered > 1000);
}

TEST_CASE("a repeated key is read as the document reads it: the last one wins", "[webhook]") {
  const std::string head =
      R"({"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},)";
  for (
      const std::string& body : std::vector<std::string>{
          head +
              R"("statuses":[{"id":"w1","status":"sent"}],"statuses":[{"id":"w2","status":"read"}]}}]}]})",
          head + R"("statuses":[{"id":"w1","status":"sent","status":"read"}]}}]}]})",
          R"({"object":"page","object":"whatsapp_business_account","entry":[]})",
          R"({"object":"whatsapp_business_account","entry":[{"changes":[{"field":"x","field":"messages","value":{"metadata":{"phone_number_id":"1"}}}]}]})"}) {
    check_agree(body);
    CHECK_FALSE(scan_webhook(body));
  }
}

TEST_CASE("unusual field types are refused or ignored with a reason and never throw", "[webhook]") {
  const std::string tail = R"(,"value":{"metadata":{"phone_number_id":"1"}}}]}]})";
  CHECK_NOTHROW(parse_webhook(R"({"object":7,"entry":[]})"));
  CHECK_THAT(rejected(R"({"object":7,"entry":[]})"), Catch::Contains("whatsapp_business_account"));
  CHECK_THAT(
      rejected(R"({"object":"whatsapp_business_account","entry":[{"changes":[{"field":{})" + tail),
      Catch::Contains("'field'"));
  auto contacts = envelope("1", {{"contacts", {1, {{"wa_id", "2"}, {"profile", "x"}}}}});
  CHECK_NOTHROW(parse_webhook(contacts.dump()));
  check_agree(contacts.dump());
}

TEST_CASE("NUL characters, which Postgres cannot store, are replaced in both readings",
          "[webhook]") {
  const std::string nul{"a\0b", 3};
  const std::string replaced =
      "a\xEF\xBF\xBD"
      "b";
  auto message = paige::test::text_message("wamid.n1", "1555", nul);
  message[nul] = {{"k", nul}};
  auto doc = envelope("111", {{"messages", {message}},
                              {"contacts", {{{"wa_id", "1555"}, {"profile", {{"name", nul}}}}}},
                              {"statuses",
                               {{{"id", "wamid.o" + nul},
                                 {"status", "failed"},
                                 {"timestamp", "1"},
                                 {"errors", {{{"code", 1}, {"title", nul}}}}}}}});
  auto check = [&](const webhook_events& events) {
    const auto& batch = events.numbers.at(0);
    const auto& m = batch.messages.at(0);
    CHECK(m.content_json.find("\\u0000") == std::string::npos);
    auto content = json::parse(m.content_json);
    CHECK(content["text"]["body"] == replaced);
    CHECK(content[replaced]["k"] == replaced);
    CHECK(m.profile_name == replaced);
    CHECK(batch.statuses.at(0).wamid == "wamid.o" + replaced);
    CHECK(json::parse(batch.statuses.at(0).errors_json)[0]["title"] == replaced);
  };
  auto fast = scan_webhook(doc.dump());
  REQUIRE(fast);
  check(*fast);
  auto reference = parse_webhook_document(doc.dump());
  REQUIRE(std::holds_alternative<webhook_events>(reference));
  check(std::get<webhook_events>(reference));
}

TEST_CASE("a body nested deeper than Meta's envelopes is refused before it is parsed",
          "[webhook]") {
  // A message object 100 000 levels deep crashed paige: copying and printing it recurse.
  std::string deep(100000, '['), close(100000, ']');
  auto message = paige::test::text_message("wamid.deep", "1", "x").dump();
  message.insert(message.size() - 1, ",\"deep\":" + deep + close);
  auto body = envelope("1", json::object()).dump();
  body.replace(body.find("\"metadata\""), 0, "\"messages\":[" + message + "],");
  CHECK_THAT(rejected(body), Catch::Contains("nested deeper than 64"));
  CHECK_FALSE(scan_webhook(body));
  // Brackets inside strings do not count; 64 levels are fine.
  using paige::json_text::nested_deeper_than;
  CHECK_FALSE(nested_deeper_than("{\"a\":\"" + deep + "\"}", 64));
  CHECK_FALSE(nested_deeper_than(std::string(64, '[') + std::string(64, ']'), 64));
  CHECK(nested_deeper_than(std::string(65, '[') + std::string(65, ']'), 64));
  CHECK_FALSE(nested_deeper_than(R"({"a":"\"[[[[","b":[]})", 2));
}

TEST_CASE("changes of other fields keep their WABA, time and value, keyed for deduplication",
          "[webhook]") {
  auto body = [](const json& value, std::int64_t time) {
    return json{{"object", "whatsapp_business_account"},
                {"entry",
                 {{{"id", "4242"},
                   {"time", time},
                   {"changes", {{{"field", "phone_number_quality_update"}, {"value", value}}}}}}}}
        .dump();
  };
  json value{
      {"display_phone_number", "15550783881"}, {"event", "FLAGGED"}, {"current_limit", "TIER_1K"}};
  auto first = std::get<webhook_events>(parse_webhook(body(value, 1765000000)));
  REQUIRE(first.account.size() == 1);
  const auto& c = first.account[0];
  CHECK(c.waba_id == "4242");
  CHECK(c.field == "phone_number_quality_update");
  CHECK(c.time == 1765000000);
  CHECK(json::parse(c.value_json) == value);
  CHECK(c.dedupe_key.size() == 64);
  // Rare: the one-pass reading leaves them to the document.
  CHECK_FALSE(scan_webhook(body(value, 1765000000)));

  // A redelivery has the same key; a change sent at another time, or saying something else,
  // another one.
  auto again = std::get<webhook_events>(parse_webhook(body(value, 1765000000)));
  CHECK(again.account[0].dedupe_key == c.dedupe_key);
  auto later = std::get<webhook_events>(parse_webhook(body(value, 1765000001)));
  CHECK(later.account[0].dedupe_key != c.dedupe_key);
  value["event"] = "UNFLAGGED";
  auto other = std::get<webhook_events>(parse_webhook(body(value, 1765000000)));
  CHECK(other.account[0].dedupe_key != c.dedupe_key);

  // The entry's id is how such a change reaches its project: without it, it is refused.
  CHECK_THAT(rejected(R"({"object":"whatsapp_business_account","entry":[{"changes":[)"
                      R"({"field":"account_update","value":{"event":"X"}}]}]})"),
             Catch::Contains("WABA 'id'"));
}
