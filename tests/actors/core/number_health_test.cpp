#include "actors/core/number_health.hpp"

#include <catch2/catch.hpp>

using paige::actors::health::apply;
using paige::actors::health::held;
using paige::actors::health::held_until;
using paige::actors::health::iso_utc;
using paige::actors::health::parse_meta_time;
using paige::actors::health::refuse_sends;
using paige::actors::health::settle;
using paige::actors::health::target_of;
using json = nlohmann::json;

namespace {

constexpr std::int64_t t0 = 1765000000;  // 2025-12-06T05:46:40Z

json restriction(const char* type, std::int64_t until) {
  return {{"event", "ACCOUNT_RESTRICTION"},
          {"restriction_info", {{{"restriction_type", type}, {"expiration", until}}}}};
}

}  // namespace

TEST_CASE("Meta's times are read in all their forms", "[health]") {
  CHECK(iso_utc(t0) == "2025-12-06T05:46:40Z");
  CHECK(parse_meta_time(json(t0)) == t0);
  CHECK(parse_meta_time(json(std::to_string(t0))) == t0);
  CHECK(parse_meta_time(json("2025-12-06T05:46:40Z")) == t0);
  CHECK(parse_meta_time(json("2025-12-06T07:46:40+0200")) == t0);
  CHECK(parse_meta_time(json("2025-12-06T00:46:40-05:00")) == t0);
  CHECK_FALSE(parse_meta_time(json("tomorrow")));
  CHECK_FALSE(parse_meta_time(json("2025-12-06T05:46:40+2")));
  CHECK_FALSE(parse_meta_time(json::object()));
  // Malformed zones are refused, never thrown on.
  for (const char* bad :
       {"2025-12-06T05:46:40+::::", "2025-12-06T05:46:40+:::1",
        "2025-12-06T05:46:40+1:::", "2025-12-06T05:46:40+12345", "2025-12-06T05:46:40 Z"})
    CHECK_FALSE(parse_meta_time(json(bad)));
  // Far-future times stay within 4-digit years (they order as text).
  CHECK(iso_utc(*parse_meta_time(json(99999999999999))) == "9999-12-31T23:59:59Z");
  CHECK(*parse_meta_time(json(-5)) == 0);
}

TEST_CASE("a change names its number by id, by display digits, or names the account", "[health]") {
  auto alert =
      target_of("account_alerts", {{"entity_type", "PHONE_NUMBER"}, {"entity_id", "1061"}});
  CHECK(alert.phone_number_id == "1061");
  auto quality =
      target_of("phone_number_quality_update", {{"display_phone_number", "+1 555-078-3881"}});
  CHECK(quality.display_digits == "15550783881");
  auto account = target_of("account_update", {{"event", "DISABLED_UPDATE"}});
  CHECK(account.phone_number_id.empty());
  CHECK(account.display_digits.empty());
}

TEST_CASE("quality and messaging limit follow the newest change only", "[health]") {
  auto h = apply({}, "phone_number_quality_update", t0,
                 {{"event", "FLAGGED"}, {"current_limit", "TIER_1K"}}, t0);
  REQUIRE(h.changed);
  CHECK(h.health["quality_rating"] == "RED");
  CHECK(h.health["messaging_limit"] == "TIER_1K");
  auto newer = apply(h.health, "phone_number_quality_update", t0 + 60,
                     {{"event", "UNFLAGGED"}, {"current_limit", "TIER_10K"}}, t0 + 60);
  CHECK(newer.health["quality_rating"] == "GREEN");
  CHECK(newer.health["messaging_limit"] == "TIER_10K");
  // The older FLAGGED, redelivered late, changes nothing.
  auto late = apply(newer.health, "phone_number_quality_update", t0,
                    {{"event", "FLAGGED"}, {"current_limit", "TIER_1K"}}, t0 + 120);
  CHECK_FALSE(late.changed);
  CHECK(late.health["quality_rating"] == "GREEN");
  CHECK_FALSE(held(late.health));
}

TEST_CASE("a ban holds the sends until Meta reinstates the account", "[health]") {
  auto banned =
      apply({}, "account_update", t0,
            {{"event", "DISABLED_UPDATE"},
             {"ban_info", {{"waba_ban_state", "DISABLE"}, {"waba_ban_date", "2025-12-06"}}}},
            t0);
  REQUIRE(held(banned.health));
  CHECK_FALSE(held_until(banned.health));
  CHECK(banned.health["held"].get<std::string>().find("disabled") != std::string::npos);
  auto back = apply(banned.health, "account_update", t0 + 10,
                    {{"event", "DISABLED_UPDATE"}, {"ban_info", {{"waba_ban_state", "REINSTATE"}}}},
                    t0 + 10);
  CHECK_FALSE(held(back.health));
  // The DISABLE redelivered after the reinstatement does not ban again.
  auto stale =
      apply(back.health, "account_update", t0,
            {{"event", "DISABLED_UPDATE"}, {"ban_info", {{"waba_ban_state", "DISABLE"}}}}, t0 + 20);
  CHECK_FALSE(held(stale.health));
  // A scheduled disable warns and holds nothing yet.
  auto scheduled = apply(
      {}, "account_update", t0,
      {{"event", "DISABLED_UPDATE"}, {"ban_info", {{"waba_ban_state", "SCHEDULE_FOR_DISABLE"}}}},
      t0);
  CHECK(scheduled.changed);
  CHECK_FALSE(held(scheduled.health));
}

TEST_CASE("a restriction of replies holds the sends until it expires or is lifted", "[health]") {
  auto r = apply({}, "account_update", t0,
                 restriction("RESTRICTED_CUSTOMER_INITIATED_MESSAGING", t0 + 3600), t0);
  REQUIRE(held(r.health));
  CHECK(held_until(r.health) == t0 + 3600);
  CHECK(r.health["restrictions"][0]["until"] == iso_utc(t0 + 3600));
  // Past its expiration it no longer holds.
  CHECK_FALSE(held(settle(r.health, t0 + 3600)));
  CHECK(held(settle(r.health, t0 + 3599)));
  // Lifted: an ACCOUNT_RESTRICTION without restrictions.
  auto lifted =
      apply(r.health, "account_update", t0 + 5, {{"event", "ACCOUNT_RESTRICTION"}}, t0 + 5);
  CHECK_FALSE(held(lifted.health));
  CHECK(lifted.health["restrictions"].empty());
  // A restriction of business-initiated messages only (templates) holds no replies.
  auto biz = apply({}, "account_update", t0,
                   restriction("RESTRICTED_BIZ_INITIATED_MESSAGING", t0 + 3600), t0);
  CHECK(biz.changed);
  CHECK_FALSE(held(biz.health));
  // Times in ISO 8601 with an offset, as Meta also writes them.
  auto iso = apply({}, "account_update", t0,
                   {{"event", "ACCOUNT_RESTRICTION"},
                    {"restriction_info",
                     {{{"restriction_type", "RESTRICTED_CUSTOMER_INITIATED_MESSAGING"},
                       {"expiration", "2025-12-06T06:46:40+0000"}}}}},
                   t0);
  CHECK(held_until(iso.health) == t0 + 3600);
}

TEST_CASE("a send refused for the account holds the sends, each time twice as long", "[health]") {
  json error{{"code", 368}, {"message", "Temporarily blocked for policies violations"}};
  auto first = refuse_sends({}, error, t0);
  REQUIRE(held(first));
  CHECK(held_until(first) == t0 + 300);
  CHECK(first["held"].get<std::string>().find("368") != std::string::npos);
  CHECK_FALSE(held(settle(first, t0 + 300)));
  auto second = refuse_sends(settle(first, t0 + 300), error, t0 + 301);
  CHECK(held_until(second) == t0 + 301 + 600);
  json h = second;
  for (int i = 0; i < 10; ++i) h = refuse_sends(h, error, t0 + 302);
  CHECK(held_until(h) == t0 + 302 + 3600);  // at most an hour
  // Refused again weeks later: the first wait again.
  auto later = refuse_sends(h, error, t0 + 30 * 24 * 3600);
  CHECK(held_until(later) == t0 + 30 * 24 * 3600 + 300);
}

TEST_CASE("a display name's review ends approved or rejected with Meta's reason", "[health]") {
  auto pending = paige::actors::health::request_name({}, "Acme Support", t0);
  CHECK(pending["display_name"]["status"] == "pending_review");
  CHECK(pending["display_name"]["requested"] == "Acme Support");
  auto rejected = apply(pending, "phone_number_name_update", t0 + 5,
                        {{"decision", "REJECTED"},
                         {"requested_verified_name", "Acme Support"},
                         {"rejection_reason", "NAME_FORMAT_UNACCEPTABLE"}},
                        t0 + 5);
  CHECK(rejected.health["display_name"]["status"] == "rejected");
  CHECK(rejected.health["display_name"]["rejection_reason"] == "NAME_FORMAT_UNACCEPTABLE");
  CHECK_FALSE(rejected.name_approved);
  auto approved = apply(paige::actors::health::request_name(rejected.health, "Acme", t0 + 6),
                        "phone_number_name_update", t0 + 7,
                        {{"decision", "APPROVED"}, {"requested_verified_name", "Acme"}}, t0 + 7);
  CHECK(approved.name_approved);
  CHECK(approved.health["display_name"]["status"] == "approved");
  CHECK(approved.health["display_name"]["name"] == "Acme");
  CHECK_FALSE(approved.health["display_name"].contains("rejection_reason"));
  CHECK_FALSE(apply({}, "phone_number_name_update", t0, {{"decision", "MAYBE"}}, t0).changed);
}

TEST_CASE("a decision is applied whenever it arrives around the request", "[health]") {
  // Meta's decision carries Meta's time, which may be earlier than Paige's clock at the request.
  auto pending = paige::actors::health::request_name({}, "Acme", t0 + 100);
  auto decided = apply(pending, "phone_number_name_update", t0 + 50,
                       {{"decision", "APPROVED"}, {"requested_verified_name", "Acme"}}, t0 + 101);
  CHECK(decided.name_approved);
  CHECK(decided.health["display_name"]["status"] == "approved");
  // An older decision redelivered after a newer one changes nothing.
  auto newer = apply(decided.health, "phone_number_name_update", t0 + 60,
                     {{"decision", "REJECTED"}, {"requested_verified_name", "Acme"}}, t0 + 102);
  auto stale = apply(newer.health, "phone_number_name_update", t0 + 50,
                     {{"decision", "APPROVED"}, {"requested_verified_name", "Acme"}}, t0 + 103);
  CHECK_FALSE(stale.changed);
  CHECK(stale.health["display_name"]["status"] == "rejected");
}

TEST_CASE("display names are checked before Meta sees them", "[health]") {
  using paige::actors::health::display_name_problem;
  CHECK(display_name_problem("Acme").empty());
  CHECK(display_name_problem("Café Ñu").empty());
  CHECK_FALSE(display_name_problem("").empty());
  CHECK_FALSE(display_name_problem("   ").empty());
  CHECK_FALSE(display_name_problem("ab").empty());
  CHECK_FALSE(display_name_problem(std::string(513, 'a')).empty());
  CHECK_FALSE(display_name_problem("tab\there").empty());
}

TEST_CASE("fields the health does not follow change nothing", "[health]") {
  auto h = apply({{"quality_rating", "GREEN"}}, "message_template_status_update", t0,
                 {{"event", "APPROVED"}}, t0);
  CHECK_FALSE(h.changed);
  CHECK(h.health == json{{"quality_rating", "GREEN"}});
}
