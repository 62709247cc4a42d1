/// @file
/// @brief A WhatsApp number's health as Meta reports it (quality, messaging limit, account
/// bans, restrictions and violations, the display name's review) and whether its sends are
/// held because of it. Pure logic over the stored JSON (spec/meta-cloud-api.md §2, §10).
///
/// The health object is stored on the number and shown as `whatsapp.health`:
///   {"quality_rating"?, "messaging_limit"?, "quality_event"?, "quality_at"?,
///    "ban"?: {"state", "date"?, "at"}, "restrictions"?: [{"type", "until"?}], "restrictions_at"?,
///    "violation"?: {"type", "at"}, "send_refusal"?: {"error", "since", "retry_at", "interval_s"},
///    "display_name"?: {"name"?, "requested"?, "status", "rejection_reason"?, "requested_at"?,
///                      "decided_at"?},
///    "held"?: "why sends wait", "held_until"?}
/// Times are ISO 8601 in UTC ("2026-12-06T17:00:00Z"): compared as text they order by time.
/// Each part remembers when Meta said it: an older change, redelivered late, changes nothing.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace paige::actors::health {

/// Unix seconds as "YYYY-MM-DDTHH:MM:SSZ".
std::string iso_utc(std::int64_t unix_seconds);

/// A time as Meta writes it: Unix seconds (a number or digits) or ISO 8601 with a zone
/// ("2026-04-19T13:59:20+0000", "...+00:00", "...Z", fractions of a second dropped); nullopt
/// when it is neither. Kept within
/// years 1970 to 9999. (A restriction whose end cannot be read holds until Meta lifts it.)
std::optional<std::int64_t> parse_meta_time(const nlohmann::json& v);

/// The digits of a phone number as Meta displays it ("+1 555-078-3881" → "15550783881").
std::string digits_of(std::string_view phone);

/// Which of a WABA's numbers a change of `field` concerns: the one with this phone_number_id,
/// or with these display digits; both empty when it concerns the whole account.
struct target {
  std::string phone_number_id;
  std::string display_digits;
};
target target_of(const std::string& field, const nlohmann::json& value);

/// What a change did to the health.
struct outcome {
  nlohmann::json health;
  bool changed = false;
  bool name_approved = false;  ///< a requested display name was approved: register again
};

/// The health after Meta's change of `field` (`value`, sent at `event_time`, Unix seconds),
/// judged at `now`. Fields other than phone_number_quality_update, account_update and
/// phone_number_name_update, and changes older than the part they change, change nothing.
outcome apply(nlohmann::json health, const std::string& field, std::int64_t event_time,
              const nlohmann::json& value, std::int64_t now);

/// Meta refused a send because of the account (368 blocked for policy, 131031 locked): the
/// number's sends wait until `retry_at` (5 minutes after the first refusal, twice as long
/// after each next one, at most an hour), then one is tried.
nlohmann::json refuse_sends(nlohmann::json health, const nlohmann::json& meta_error,
                            std::int64_t now);

/// Why `name` cannot be requested as a display name ("" when it can): Meta wants 3 to 512
/// characters, not all blank, without control characters.
std::string display_name_problem(const std::string& name);

/// A display-name change is asked of Meta (stored before Meta is called, so a decision that
/// arrives however early is applied after it).
nlohmann::json request_name(nlohmann::json health, const std::string& name, std::int64_t now);

/// "held" and "held_until" recomputed at `now` (a restriction or refusal that ended no longer
/// holds): the number's sends wait while Meta disabled the account, restricted replies to
/// customers, or refused sends for the account.
nlohmann::json settle(nlohmann::json health, std::int64_t now);

/// Whether the number's sends wait (settled health).
bool held(const nlohmann::json& health);

/// When the hold ends by itself, Unix seconds (settled health).
std::optional<std::int64_t> held_until(const nlohmann::json& health);

}  // namespace paige::actors::health
