#include "actors/core/template_send.hpp"
#include "actors/core/broadcast_rules.hpp"
#include "actors/core/template_events.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace paige::actors;
using nlohmann::json;

namespace {

/// An approved positional template: text header with a parameter, body with two, a URL button
/// with a suffix, a quick reply, a phone button.
json order_template() {
  return {{"name", "order_update"},
          {"language", "en_US"},
          {"status", "APPROVED"},
          {"category", "UTILITY"},
          {"parameter_format", "positional"},
          {"components",
           {{{"type", "HEADER"}, {"format", "TEXT"}, {"text", "Order {{1}}"}},
            {{"type", "BODY"}, {"text", "Hi {{1}}, your order ships on {{2}}."}},
            {{"type", "BUTTONS"},
             {"buttons",
              {{{"type", "URL"}, {"text", "Track"}, {"url", "https://x.example/t/{{1}}"}},
               {{"type", "QUICK_REPLY"}, {"text", "Stop"}},
               {{"type", "PHONE_NUMBER"}, {"text", "Call"}, {"phone_number", "+15550001"}}}}}}}};
}

json text(const std::string& s) { return {{"type", "text"}, {"text", s}}; }

json order_send() {
  return {{"name", "order_update"},
          {"language", {{"code", "en_US"}}},
          {"components",
           {{{"type", "header"}, {"parameters", {text("A-17")}}},
            {{"type", "body"}, {"parameters", {text("Ana"), text("Friday")}}},
            {{"type", "button"},
             {"sub_type", "url"},
             {"index", "0"},
             {"parameters", {text("A-17")}}}}}};
}

bool has_pointer(const std::vector<problem>& ps, const std::string& pointer) {
  return std::any_of(ps.begin(), ps.end(), [&](const problem& p) { return p.pointer == pointer; });
}

}  // namespace

TEST_CASE("a send giving every parameter of the approved template passes", "[templates]") {
  CHECK(templates::check_send(order_template(), order_send()).empty());
  // A quick reply's payload is optional; given, it is checked.
  auto with_payload = order_send();
  with_payload["components"].push_back(
      {{"type", "button"},
       {"sub_type", "quick_reply"},
       {"index", 1},
       {"parameters", {{{"type", "payload"}, {"payload", "STOP"}}}}});
  CHECK(templates::check_send(order_template(), with_payload).empty());
}

TEST_CASE("a send's parameters are checked against the template", "[templates]") {
  auto t = order_template();
  SECTION("a missing body parameter") {
    auto s = order_send();
    s["components"][1]["parameters"].erase(1);
    auto ps = templates::check_send(t, s);
    REQUIRE(ps.size() == 1);
    CHECK(ps[0].pointer == "/components/1/parameters");
    CHECK(ps[0].message.find("takes 2 parameters here, 1 given") != std::string::npos);
  }
  SECTION("no body at all") {
    auto s = order_send();
    s["components"].erase(1);
    CHECK(has_pointer(templates::check_send(t, s), "/components"));
  }
  SECTION("the URL button's suffix is required") {
    auto s = order_send();
    s["components"].erase(2);
    auto ps = templates::check_send(t, s);
    REQUIRE(ps.size() == 1);
    CHECK(ps[0].message.find("button 0 needs its parameter") != std::string::npos);
  }
  SECTION("a button the template does not have, or of another kind") {
    auto s = order_send();
    s["components"][2]["index"] = "7";
    CHECK(has_pointer(templates::check_send(t, s), "/components/2/index"));
    s["components"][2]["index"] = "2";  // the phone button takes nothing
    CHECK(has_pointer(templates::check_send(t, s), "/components/2"));
    s["components"][2]["index"] = "1";
    CHECK(has_pointer(templates::check_send(t, s), "/components/2/sub_type"));
  }
  SECTION("texts Meta refuses in parameters") {
    auto s = order_send();
    s["components"][1]["parameters"][0] = text("Ana\nB");
    CHECK(has_pointer(templates::check_send(t, s), "/components/1/parameters/0/text"));
    s["components"][1]["parameters"][0] = text("A     B");
    CHECK(has_pointer(templates::check_send(t, s), "/components/1/parameters/0/text"));
    s["components"][1]["parameters"][0] = text("");
    CHECK(has_pointer(templates::check_send(t, s), "/components/1/parameters/0/text"));
  }
  SECTION("the body as sent is at most 1024 characters") {
    auto s = order_send();
    s["components"][1]["parameters"][0] = text(std::string(1010, 'x'));
    CHECK(has_pointer(templates::check_send(t, s), "/components/1/parameters"));
  }
  SECTION("a header parameter for a template whose header has none") {
    t["components"][0]["text"] = "Your order";
    CHECK(has_pointer(templates::check_send(t, order_send()), "/components/0"));
  }
  SECTION("currency and date_time parameters") {
    auto s = order_send();
    s["components"][1]["parameters"][1] = {
        {"type", "currency"},
        {"currency", {{"fallback_value", "$1.00"}, {"code", "USD"}, {"amount_1000", 1000}}}};
    CHECK(templates::check_send(t, s).empty());
    s["components"][1]["parameters"][1] = {{"type", "currency"},
                                           {"currency", {{"fallback_value", "$1.00"}}}};
    CHECK(has_pointer(templates::check_send(t, s), "/components/1/parameters/1/currency/code"));
    s["components"][1]["parameters"][1] = {{"type", "date_time"}, {"date_time", json::object()}};
    CHECK(has_pointer(templates::check_send(t, s),
                      "/components/1/parameters/1/date_time/fallback_value"));
  }
}

TEST_CASE("named parameters are matched by name", "[templates]") {
  json t{{"status", "APPROVED"},
         {"category", "MARKETING"},
         {"parameter_format", "NAMED"},
         {"components", {{{"type", "BODY"}, {"text", "Hi {{first_name}}, {{deal}} ends soon"}}}}};
  auto named = [](const std::string& n, const std::string& v) {
    return json{{"type", "text"}, {"parameter_name", n}, {"text", v}};
  };
  json s{{"components",
          {{{"type", "body"},
            {"parameters", {named("deal", "20% off"), named("first_name", "Ana")}}}}}};
  CHECK(templates::check_send(t, s).empty());
  s["components"][0]["parameters"][0] = named("discount", "20% off");
  CHECK(has_pointer(templates::check_send(t, s), "/components/0/parameters/0/parameter_name"));
  s["components"][0]["parameters"][0] = named("first_name", "Bo");
  auto twice = templates::check_send(t, s);
  CHECK(has_pointer(twice, "/components/0/parameters/1/parameter_name"));
  CHECK(has_pointer(twice, "/components/0/parameters"));  // {{deal}} is not given
}

TEST_CASE("media headers, copy codes and authentication codes", "[templates]") {
  json media{{"category", "MARKETING"},
             {"components",
              {{{"type", "HEADER"}, {"format", "IMAGE"}},
               {{"type", "BODY"}, {"text", "New in"}},
               {{"type", "BUTTONS"}, {"buttons", {{{"type", "COPY_CODE"}, {"example", "X"}}}}}}}};
  json s{
      {"components",
       {{{"type", "header"},
         {"parameters", {{{"type", "image"}, {"image", {{"link", "https://x.example/a.jpg"}}}}}}},
        {{"type", "button"},
         {"sub_type", "copy_code"},
         {"index", 0},
         {"parameters", {{{"type", "coupon_code"}, {"coupon_code", "SAVE10"}}}}}}}};
  CHECK(templates::check_send(media, s).empty());
  s["components"][0]["parameters"][0] = {{"type", "video"}, {"video", {{"id", "1"}}}};
  CHECK(has_pointer(templates::check_send(media, s), "/components/0/parameters/0/type"));
  s["components"][0]["parameters"][0] = {{"type", "image"}, {"image", json::object()}};
  CHECK(has_pointer(templates::check_send(media, s), "/components/0/parameters/0/image"));
  s["components"][0]["parameters"][0] = {{"type", "image"}, {"image", {{"id", "1"}}}};
  s["components"][1]["parameters"][0]["coupon_code"] = std::string(16, 'C');
  CHECK(has_pointer(templates::check_send(media, s), "/components/1/parameters/0"));

  json otp{{"category", "AUTHENTICATION"},
           {"components",
            {{{"type", "BODY"}},
             {{"type", "BUTTONS"}, {"buttons", {{{"type", "OTP"}, {"otp_type", "COPY_CODE"}}}}}}}};
  json code{{"components",
             {{{"type", "body"}, {"parameters", {text("123456")}}},
              {{"type", "button"},
               {"sub_type", "url"},
               {"index", "0"},
               {"parameters", {text("123456")}}}}}};
  CHECK(templates::check_send(otp, code).empty());
  code["components"].erase(1);
  CHECK(has_pointer(templates::check_send(otp, code), "/components"));
}

TEST_CASE("a send is judged by the project's templates", "[templates]") {
  templates::book b;
  b.add(order_template());
  auto pending = order_template();
  pending["name"] = "promo";
  pending["status"] = "REJECTED";
  pending["reason"] = "INVALID_FORMAT";
  b.add(pending);
  json msg{{"type", "template"}, {"template", order_send()}};
  CHECK(templates::judge_send(b, msg).what == templates::send_verdict::kind::ok);
  CHECK(templates::judge_send(b, {{"type", "text"}}).what == templates::send_verdict::kind::ok);
  msg["template"]["language"]["code"] = "pt_BR";
  CHECK(templates::judge_send(b, msg).what == templates::send_verdict::kind::not_found);
  msg["template"]["language"]["code"] = "en_US";
  msg["template"]["name"] = "promo";
  auto v = templates::judge_send(b, msg);
  CHECK(v.what == templates::send_verdict::kind::not_approved);
  CHECK(v.status == "REJECTED");
  CHECK(v.message.find("INVALID_FORMAT") != std::string::npos);
  msg["template"]["name"] = "order_update";
  msg["template"]["components"].erase(0);
  v = templates::judge_send(b, msg);
  CHECK(v.what == templates::send_verdict::kind::invalid);
  CHECK(has_pointer(v.problems, "/template/components"));
}

TEST_CASE("template webhooks become changes of the stored template", "[templates]") {
  json status{{"event", "REJECTED"},
              {"message_template_id", 1259544702043867},
              {"message_template_name", "order_update"},
              {"message_template_language", "en_US"},
              {"reason", "INVALID_FORMAT"}};
  auto c = templates::change_of("message_template_status_update", status);
  REQUIRE(c);
  CHECK(c->meta_id == "1259544702043867");
  CHECK(c->status == "REJECTED");
  CHECK(c->reason == "INVALID_FORMAT");
  status["event"] = "APPROVED";
  status["reason"] = "NONE";
  c = templates::change_of("message_template_status_update", status);
  CHECK(c->status == "APPROVED");
  CHECK(c->reason.empty());
  status["event"] = "REINSTATED";
  CHECK(templates::change_of("message_template_status_update", status)->status == "APPROVED");
  status["event"] = "DELETED";
  CHECK(templates::change_of("message_template_status_update", status)->deleted);
  status["event"] = "UNARCHIVED";
  CHECK(templates::change_of("message_template_status_update", status)->resync);
  status["event"] = "FLAGGED";
  c = templates::change_of("message_template_status_update", status);
  CHECK_FALSE(c->status);
  CHECK(c->quality == "FLAGGED");

  auto q = templates::change_of("message_template_quality_update",
                                {{"message_template_id", "77"}, {"new_quality_score", "RED"}});
  REQUIRE(q);
  CHECK(q->quality == "RED");
  auto cat = templates::change_of("template_category_update",
                                  {{"message_template_id", 77}, {"new_category", "MARKETING"}});
  REQUIRE(cat);
  CHECK(cat->category == "MARKETING");
  CHECK_FALSE(templates::change_of("account_update", {{"message_template_id", 77}}));
  CHECK_FALSE(templates::change_of("message_template_status_update", {{"event", "APPROVED"}}));
  CHECK_FALSE(templates::change_of("message_template_status_update", "hostile"));
}

TEST_CASE("a broadcast's shape, its values per recipient, and Meta's tiers", "[broadcasts]") {
  std::int64_t at = 0;
  json ok{{"template", {{"name", "offer"}, {"language", "en_US"}}},
          {"audience", {{"table", "customers"}, {"phone_column", "phone"}}},
          {"components",
           {{{"type", "body"},
             {"parameters", {{{"type", "text"}, {"text", {{"column", "first_name"}}}}}}}}}};
  CHECK(broadcasts::check_broadcast(ok, 1000, at).empty());
  CHECK(at == 0);
  ok["schedule_at"] = "2030-01-01T00:00:00Z";
  CHECK(broadcasts::check_broadcast(ok, 1000, at).empty());
  CHECK(at == 1893456000);
  ok["schedule_at"] = "2030-01-01T00:00:00.250Z";  // as JavaScript writes it
  CHECK(broadcasts::check_broadcast(ok, 1000, at).empty());
  CHECK(at == 1893456000);
  ok["schedule_at"] = "2030-01-01T00:00:00.Z";
  CHECK(has_pointer(broadcasts::check_broadcast(ok, 1000, at), "/schedule_at"));
  ok["schedule_at"] = "1999-01-01T00:00:00Z";
  CHECK(has_pointer(broadcasts::check_broadcast(ok, 1000000000, at), "/schedule_at"));
  ok.erase("schedule_at");
  CHECK(broadcasts::columns_of(ok["components"]) == std::vector<std::string>{"first_name"});
  auto resolved = broadcasts::resolve(ok["components"], {{"first_name", "Ana"}});
  CHECK(resolved[0]["parameters"][0]["text"] == "Ana");
  CHECK(broadcasts::resolve(ok["components"], json::object())[0]["parameters"][0]["text"] == "");
  // A contacts audience has name and wa_id only; one kind at a time; lists of digits.
  json contacts = ok;
  contacts["audience"] = {{"all_contacts", true}};
  CHECK(has_pointer(broadcasts::check_broadcast(contacts, 0, at),
                    "/components/0/parameters/0/text/column"));
  contacts["audience"] = {{"all_contacts", true}, {"states", {"a"}}};
  CHECK(has_pointer(broadcasts::check_broadcast(contacts, 0, at), "/audience"));
  contacts["audience"] = {{"wa_ids", {"15550100", "+1555"}}};
  contacts.erase("components");
  CHECK(has_pointer(broadcasts::check_broadcast(contacts, 0, at), "/audience/wa_ids/1"));
  contacts["audience"] = {{"table", "x; drop"}, {"phone_column", "phone"}};
  CHECK(has_pointer(broadcasts::check_broadcast(contacts, 0, at), "/audience/table"));
  CHECK(broadcasts::message_of({{"name", "offer"}, {"language", "en"}}, json::array()) ==
        json{{"type", "template"},
             {"template", {{"name", "offer"}, {"language", {{"code", "en"}}}}}});
  CHECK(broadcasts::daily_limit_of("TIER_250") == 250);
  CHECK(broadcasts::daily_limit_of("TIER_1K") == 1000);
  CHECK(broadcasts::daily_limit_of("TIER_100K") == 100000);
  CHECK(broadcasts::daily_limit_of("TIER_UNLIMITED") == 0);
  CHECK(broadcasts::daily_limit_of("") == 0);
}

TEST_CASE("a flow button's token is bounded", "[templates]") {
  auto stored = json::parse(R"({"category": "UTILITY", "components": [
    {"type": "BODY", "text": "Due"},
    {"type": "BUTTONS", "buttons": [{"type": "FLOW", "text": "Book", "flow_name": "booking"}]}]})");
  auto send = [](std::size_t n) {
    return json{{"components",
                 {{{"type", "button"},
                   {"sub_type", "flow"},
                   {"index", "0"},
                   {"parameters",
                    {{{"type", "action"}, {"action", {{"flow_token", std::string(n, 't')}}}}}}}}}};
  };
  CHECK(templates::check_send(stored, send(256)).empty());
  auto ps = templates::check_send(stored, send(257));
  REQUIRE(ps.size() == 1);
  CHECK(ps[0].pointer == "/components/0/parameters/0/action/flow_token");
}
