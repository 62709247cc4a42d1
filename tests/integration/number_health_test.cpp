// What Meta says about the number's account (quality, restrictions, bans, alerts, the display
// name's review) reaches its project through the webhook: recorded once, shown, published;
// a number Meta restricted keeps its replies waiting, and sends them once each when it may.
#include "common/secrets.hpp"
#include "tests/support/event_stream.hpp"
#include "tests/support/pipeline.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace paige::test;

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Meta sends `field` with `value` for the number's WABA; answered once Paige acknowledged it.
void meta_says(pipeline& p, const std::string& field, const json& value) {
  auto r = p.meta.call("POST", "/control/numbers/" + number_id + "/webhooks",
                       json{{"field", field}, {"value", value}}.dump());
  REQUIRE(r.status == 200);
  REQUIRE(r.body["delivered"] == true);
}

/// A signed webhook POSTed to Paige as Meta would, these exact bytes.
unsigned post_webhook(pipeline& p, const std::string& body) {
  return http_request(p.s.server->port(), "POST", "/webhook", body,
                      {{"X-Hub-Signature-256",
                        "sha256=" + paige::secrets::hmac_sha256_hex(test_app_secret, body)}})
      .status;
}

std::string account_body(const std::string& waba, std::int64_t time, const std::string& field,
                         const json& value) {
  return json{
      {"object", "whatsapp_business_account"},
      {"entry",
       {{{"id", waba}, {"time", time}, {"changes", {{{"field", field}, {"value", value}}}}}}}}
      .dump();
}

json whatsapp_of(pipeline& p) {
  return p.s.call("GET", "/v1/projects/" + p.project).body["whatsapp"];
}

json restriction(std::int64_t until) {
  return {
      {"event", "ACCOUNT_RESTRICTION"},
      {"restriction_info",
       {{{"restriction_type", "RESTRICTED_CUSTOMER_INITIATED_MESSAGING"}, {"expiration", until}}}}};
}

}  // namespace

TEST_CASE("Meta's account changes are recorded once each, shown on the project and published",
          "[integration][whatsapp][health]") {
  pipeline p;
  auto base = "/v1/projects/" + p.project;
  event_stream events{p.s.server->port(), base + "/events", admin_key};

  meta_says(
      p, "phone_number_quality_update",
      {{"display_phone_number", "15551001"}, {"event", "FLAGGED"}, {"current_limit", "TIER_1K"}});
  auto w = whatsapp_of(p);
  CHECK(w["status"] == "connected");
  CHECK(w["health"]["quality_rating"] == "RED");
  CHECK(w["health"]["messaging_limit"] == "TIER_1K");
  // Published live: the change itself and the health it made.
  bool saw_event = false, saw_health = false;
  while (!(saw_event && saw_health)) {
    auto e = events.next();
    REQUIRE(e);
    if (e->type == "whatsapp.event") saw_event = e->data["field"] == "phone_number_quality_update";
    if (e->type == "whatsapp.health") saw_health = e->data["health"]["quality_rating"] == "RED";
  }

  // Meta redelivers the same change (the same bytes): recorded once.
  auto alert = account_body("2001", 1765000000, "account_alerts",
                            {{"entity_type", "PHONE_NUMBER"},
                             {"entity_id", number_id},
                             {"alert_severity", "WARNING"},
                             {"alert_status", "ACTIVE"},
                             {"alert_type", "INCREASED_TEMPLATE_REJECTIONS"},
                             {"alert_description", "<b>Too many</b> rejections"}});
  CHECK(post_webhook(p, alert) == 200);
  CHECK(post_webhook(p, alert) == 200);
  auto listed = p.s.call("GET", base + "/whatsapp/events");
  REQUIRE(listed.status == 200);
  REQUIRE(listed.body["items"].size() == 2);
  CHECK(listed.body["items"][0]["field"] == "account_alerts");  // newest first
  CHECK(listed.body["items"][0]["value"]["alert_description"] == "<b>Too many</b> rejections");
  CHECK(listed.body["items"][1]["field"] == "phone_number_quality_update");
  auto alerts = p.s.call("GET", base + "/whatsapp/events?field=account_alerts&limit=1");
  REQUIRE(alerts.body["items"].size() == 1);
  auto rest = p.s.call("GET", base + "/whatsapp/events?field=account_alerts&limit=1&cursor=" +
                                  alerts.body["next_cursor"].get<std::string>());
  CHECK(rest.body["items"].empty());
  CHECK(p.metric("paige_whatsapp_account_events_total{field=\"account_alerts\"}") == 1);

  // An older quality change delivered late changes nothing; a template change is recorded (its
  // issue will act on it) and changes no health.
  CHECK(post_webhook(p, account_body("2001", 1000, "phone_number_quality_update",
                                     {{"display_phone_number", "15551001"},
                                      {"event", "UNFLAGGED"}})) == 200);
  CHECK(whatsapp_of(p)["health"]["quality_rating"] == "RED");
  CHECK(post_webhook(p, account_body("2001", unix_now(), "message_template_status_update",
                                     {{"event", "APPROVED"}, {"message_template_id", 7}})) == 200);
  CHECK(p.s.call("GET", base + "/whatsapp/events").body["items"].size() == 4);

  // Changes of numbers and WABAs no project owns are answered (Meta stops) and dropped.
  CHECK(post_webhook(
            p, account_body("2001", unix_now(), "phone_number_quality_update",
                            {{"display_phone_number", "15559999"}, {"event", "FLAGGED"}})) == 200);
  CHECK(post_webhook(p, account_body("9999", unix_now(), "account_update",
                                     {{"event", "DISABLED_UPDATE"}})) == 200);
  CHECK(p.metric("paige_webhook_unknown_account_events_total") == 2);
  CHECK(p.s.call("GET", base + "/whatsapp/events").body["items"].size() == 4);

  // Bad input: a change without its WABA, a bad field filter, a forged cursor.
  CHECK(post_webhook(p, R"({"object":"whatsapp_business_account","entry":[{"changes":[)"
                        R"({"field":"account_update","value":{}}]}]})") == 400);
  CHECK(p.s.call("GET", base + "/whatsapp/events?field=DROP%20TABLE").body["error"]["code"] ==
        "invalid_field");
  CHECK(p.s.call("GET", base + "/whatsapp/events?cursor=zzz").body["error"]["code"] ==
        "invalid_cursor");

  // Another project's key sees no such project.
  auto other = p.s.create("Other")["id"].get<std::string>();
  REQUIRE(p.s.wait_status(other, "active"));
  auto other_key = p.s.call("POST", "/v1/projects/" + other + "/keys", R"({"name":"k"})")
                       .body["key"]
                       .get<std::string>();
  CHECK(p.s.call("GET", base + "/whatsapp/events", "", other_key).status == 404);
  CHECK(p.s.call("GET", "/v1/projects/" + other + "/whatsapp/events", "", other_key)
            .body["items"]
            .empty());
}

TEST_CASE(
    "a restricted number keeps its replies waiting, across a restart, and sends each once "
    "when the restriction is lifted",
    "[integration][whatsapp][health]") {
  pipeline p;
  p.say("15550500", "hello", "Ada");
  REQUIRE(p.replies("15550500", 1).size() == 1);

  meta_says(p, "account_update", restriction(unix_now() + 3600));
  auto w = whatsapp_of(p);
  CHECK(w["status"] == "restricted");
  CHECK(w["status_detail"].get<std::string>().find("restricted") != std::string::npos);

  p.say("15550500", "again");
  p.say("15550501", "hi", "Grace");
  REQUIRE(wait_until([&] { return p.count_out("queued") == 2; }));
  CHECK(p.metric("paige_whatsapp_holds_total") == 1);

  // Still held after a restart: the hold is stored, not only in memory.
  p.restart();
  p.say("15550501", "still there?");
  REQUIRE(wait_until([&] { return p.count_out("queued") == 3; }));
  CHECK(whatsapp_of(p)["status"] == "restricted");
  CHECK(p.records("15550500", "out").size() == 1);
  CHECK(p.records("15550501", "out").empty());
  CHECK(p.count_out("failed") == 0);

  // Lifted: every waiting reply goes out once, in order.
  meta_says(p, "account_update",
            {{"event", "ACCOUNT_RESTRICTION"}, {"restriction_info", json::array()}});
  CHECK(whatsapp_of(p)["status"] == "connected");
  REQUIRE(p.replies("15550500", 2).size() == 2);
  REQUIRE(p.replies("15550501", 2).size() == 2);
  REQUIRE(wait_until([&] { return p.count_out("queued") == 0; }));
  CHECK(p.records("15550500", "out").size() == 2);
  CHECK(p.records("15550501", "out").size() == 2);
  CHECK(p.count_out("failed") == 0);
}

TEST_CASE("a restriction that expires releases the number's sends by itself",
          "[integration][whatsapp][health]") {
  pipeline p;
  meta_says(p, "account_update", restriction(unix_now() + 2));
  CHECK(whatsapp_of(p)["status"] == "restricted");
  p.say("15550510", "hello", "Ada");
  // Sent once the expiration passed, without anyone lifting it.
  REQUIRE(p.replies("15550510", 1).size() == 1);
  REQUIRE(wait_until([&] { return whatsapp_of(p)["status"] == "connected"; }));
}

TEST_CASE("a ban holds the sends until Meta reinstates the account",
          "[integration][whatsapp][health]") {
  pipeline p;
  meta_says(p, "account_update",
            {{"event", "DISABLED_UPDATE"}, {"ban_info", {{"waba_ban_state", "DISABLE"}}}});
  auto w = whatsapp_of(p);
  CHECK(w["status"] == "restricted");
  CHECK(w["health"]["ban"]["state"] == "DISABLE");
  p.say("15550520", "hello", "Ada");
  REQUIRE(wait_until([&] { return p.count_out("queued") == 1; }));
  meta_says(p, "account_update",
            {{"event", "DISABLED_UPDATE"}, {"ban_info", {{"waba_ban_state", "REINSTATE"}}}});
  REQUIRE(p.replies("15550520", 1).size() == 1);
  CHECK(whatsapp_of(p)["status"] == "connected");
}

TEST_CASE("sends Meta refuses for the account wait instead of failing, and go once after",
          "[integration][whatsapp][health]") {
  pipeline p;
  REQUIRE(p.meta.call("PUT", "/control/faults", R"({"error_rate": 1, "error_code": 368})").status ==
          200);
  p.say("15550530", "hello", "Ada");
  p.say("15550531", "hello", "Grace");
  REQUIRE(wait_until([&] { return whatsapp_of(p)["status"] == "restricted"; }));
  auto w = whatsapp_of(p);
  CHECK(w["status_detail"].get<std::string>().find("368") != std::string::npos);
  CHECK(w["health"]["send_refusal"]["error"]["code"] == 368);
  REQUIRE(wait_until([&] { return p.count_out("queued") == 2; }));
  CHECK(p.count_out("failed") == 0);
  CHECK(p.metric("paige_outbound_account_refused_total") == 1);

  // Meta accepts again; connecting the number again tries at once (rather than at the hold's end).
  REQUIRE(p.meta.call("PUT", "/control/faults", R"({"error_rate": 0})").status == 200);
  auto again = p.s.call(
      "PUT", "/v1/projects/" + p.project + "/whatsapp",
      json{{"phone_number_id", number_id}, {"waba_id", "2001"}, {"access_token", "token-1001"}}
          .dump());
  REQUIRE(again.status == 200);
  CHECK(again.body["whatsapp"]["status"] == "connected");
  REQUIRE(p.replies("15550530", 1).size() == 1);
  REQUIRE(p.replies("15550531", 1).size() == 1);
  REQUIRE(wait_until([&] { return p.count_out("queued") == 0; }));
  CHECK(p.records("15550530", "out").size() == 1);
  CHECK(p.records("15550531", "out").size() == 1);
}

TEST_CASE(
    "a display name is reviewed by Meta: rejected with its reason, or approved and the "
    "number registered again",
    "[integration][whatsapp][health]") {
  pipeline p;
  auto path = "/v1/projects/" + p.project + "/whatsapp/display-name";
  auto review = "/control/numbers/" + number_id + "/name_review";

  // Checked before Meta sees it.
  for (const auto* bad : {R"({"name":"ab"})", R"({"name":"   "})", R"({"name":7})", R"({})"}) {
    auto r = p.s.call("POST", path, bad);
    CHECK(r.status == 422);
    CHECK(r.body["error"]["code"] == "invalid_display_name");
  }
  CHECK(p.s.call("POST", path, R"({"name":"Acme","extra":1})").status == 422);
  CHECK(p.meta.call("GET", "/control/stats").body.value("name_requests", 0) == 0);

  REQUIRE(
      p.meta
          .call(
              "PUT", review,
              R"({"decision":"REJECTED","rejection_reason":"NAME_FORMAT_UNACCEPTABLE","delay_ms":50})")
          .status == 200);
  auto asked = p.s.call("POST", path, R"({"name":"ACME!!! BEST"})");
  REQUIRE(asked.status == 200);
  CHECK(asked.body["health"]["display_name"]["status"] == "pending_review");
  CHECK(asked.body["health"]["display_name"]["requested"] == "ACME!!! BEST");
  REQUIRE(
      wait_until([&] { return whatsapp_of(p)["health"]["display_name"]["status"] == "rejected"; }));
  CHECK(whatsapp_of(p)["health"]["display_name"]["rejection_reason"] == "NAME_FORMAT_UNACCEPTABLE");
  CHECK(whatsapp_of(p)["verified_name"] == "Business 1001");

  REQUIRE(p.meta.call("PUT", review, R"({"decision":"APPROVED","delay_ms":50})").status == 200);
  REQUIRE(p.s.call("POST", path, R"({"name":"Acme Clinic"})").status == 200);
  REQUIRE(
      wait_until([&] { return whatsapp_of(p)["health"]["display_name"]["status"] == "approved"; }));
  auto w = whatsapp_of(p);
  CHECK(w["verified_name"] == "Acme Clinic");
  CHECK(w["health"]["display_name"]["name"] == "Acme Clinic");
  // Registered again after the approval, as Meta requires (once on connect, once now).
  REQUIRE(wait_until([&] {
    return p.meta.call("GET", "/control/numbers/" + number_id).body["register_calls"] == 2;
  }));
  // And messages still flow.
  p.say("15550540", "hello", "Ada");
  REQUIRE(p.replies("15550540", 1).size() == 1);

  // Without a number there is nothing to name.
  auto bare = p.s.create("Bare")["id"].get<std::string>();
  REQUIRE(p.s.wait_status(bare, "active"));
  CHECK(p.s.call("POST", "/v1/projects/" + bare + "/whatsapp/display-name", R"({"name":"Acme"})")
            .body["error"]["code"] == "whatsapp_not_connected");
}

TEST_CASE(
    "a change of the whole account reaches every project of the WABA, a number's its own only",
    "[integration][whatsapp][health]") {
  pipeline p;
  // A second project, with a second number of the same WABA.
  p.meta.add_number("1002", "2001", "token-1002");
  auto second = p.s.create("Same account")["id"].get<std::string>();
  REQUIRE(p.s.wait_status(second, "active"));
  REQUIRE(
      p.s.call(
             "PUT", "/v1/projects/" + second + "/whatsapp",
             json{{"phone_number_id", "1002"}, {"waba_id", "2001"}, {"access_token", "token-1002"}}
                 .dump())
          .status == 200);
  auto whatsapp = [&](const std::string& id) {
    return p.s.call("GET", "/v1/projects/" + id).body["whatsapp"];
  };
  // The second number's quality: its project only.
  CHECK(post_webhook(p, account_body("2001", unix_now(), "phone_number_quality_update",
                                     {{"display_phone_number", "+1 555-1002"},
                                      {"event", "FLAGGED"}})) == 200);
  CHECK(whatsapp(second)["health"]["quality_rating"] == "RED");
  CHECK(whatsapp(p.project)["health"]["quality_rating"] == "GREEN");
  // A ban of the account: both.
  meta_says(p, "account_update",
            {{"event", "DISABLED_UPDATE"}, {"ban_info", {{"waba_ban_state", "DISABLE"}}}});
  CHECK(whatsapp(p.project)["status"] == "restricted");
  CHECK(whatsapp(second)["status"] == "restricted");
  CHECK(p.s.call("GET", "/v1/projects/" + second + "/whatsapp/events").body["items"].size() == 2);
}

TEST_CASE("a large change is recorded whole and published without its value",
          "[integration][whatsapp][health]") {
  pipeline p;
  auto base = "/v1/projects/" + p.project;
  event_stream events{p.s.server->port(), base + "/events", admin_key};
  std::string description(20 * 1024, 'x');
  meta_says(p, "account_alerts",
            {{"entity_type", "PHONE_NUMBER"},
             {"entity_id", number_id},
             {"alert_type", "LONG"},
             {"alert_description", description}});
  for (;;) {
    auto e = events.next();
    REQUIRE(e);
    if (e->type != "whatsapp.event") continue;
    CHECK(e->data["value_omitted"] == true);
    CHECK_FALSE(e->data.contains("value"));
    break;
  }
  auto listed = p.s.call("GET", base + "/whatsapp/events?field=account_alerts");
  CHECK(listed.body["items"][0]["value"]["alert_description"] == description);
}

TEST_CASE("a refusal held across a restart is released by connecting the number again",
          "[integration][whatsapp][health]") {
  pipeline p;
  REQUIRE(
      p.meta.call("PUT", "/control/faults", R"({"error_rate": 1, "error_code": 131031})").status ==
      200);
  p.say("15550550", "hello", "Ada");
  REQUIRE(wait_until([&] { return whatsapp_of(p)["status"] == "restricted"; }));
  p.restart();
  CHECK(whatsapp_of(p)["status"] == "restricted");
  REQUIRE(p.meta.call("PUT", "/control/faults", R"({"error_rate": 0})").status == 200);
  REQUIRE(p.s.call("PUT", "/v1/projects/" + p.project + "/whatsapp",
                   json{{"phone_number_id", number_id},
                        {"waba_id", "2001"},
                        {"access_token", "token-1001"}}
                       .dump())
              .status == 200);
  REQUIRE(p.replies("15550550", 1).size() == 1);
  REQUIRE(wait_until([&] { return p.count_out("queued") == 0; }));
  CHECK(p.records("15550550", "out").size() == 1);
}
