#include "actors/core/number_health.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

namespace paige::actors::health {
namespace {

using json = nlohmann::json;

constexpr std::int64_t first_refusal_wait = 5 * 60;
constexpr std::int64_t longest_refusal_wait = 60 * 60;

/// Restrictions that stop the replies Paige sends: it waits while one is in force. (A
/// restriction of business-initiated messaging stops templates and broadcasts only.)
constexpr const char* reply_restriction = "RESTRICTED_CUSTOMER_INITIATED_MESSAGING";

std::string text(const json& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  if (it == obj.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return it->dump();
  return {};
}

/// Whether a change sent at `at` is not older than the part it changes (last changed at
/// `part_at`, "" when never).
bool fresh(const std::string& part_at, const std::string& at) { return part_at <= at; }

/// The quality and messaging limit (phone_number_quality_update).
bool apply_quality(json& h, const std::string& at, const json& value) {
  if (!fresh(text(h, "quality_at"), at)) return false;
  auto event = text(value, "event");
  if (auto rating = text(value, "quality_rating"); !rating.empty())
    h["quality_rating"] = rating;
  else if (event == "FLAGGED")
    h["quality_rating"] = "RED";
  else if (event == "UNFLAGGED")
    h["quality_rating"] = "GREEN";
  if (auto limit = text(value, "current_limit"); !limit.empty()) h["messaging_limit"] = limit;
  if (!event.empty()) h["quality_event"] = event;
  h["quality_at"] = at;
  return true;
}

/// Bans, restrictions and violations (account_update).
bool apply_account(json& h, const std::string& at, const json& value) {
  bool changed = false;
  auto event = text(value, "event");
  const auto ban = value.is_object() ? value.value("ban_info", json{}) : json{};
  if (ban.is_object() && fresh(text(h.value("ban", json{}), "at"), at)) {
    auto state = text(ban, "waba_ban_state");
    // A reinstatement is kept too (it holds nothing): it dates the ban's last change.
    if (!state.empty())
      h["ban"] = {{"state", state}, {"date", text(ban, "waba_ban_date")}, {"at", at}};
    changed = !state.empty();
  }
  const auto restrictions = value.is_object() ? value.value("restriction_info", json{}) : json{};
  if ((restrictions.is_array() || event == "ACCOUNT_RESTRICTION") &&
      fresh(text(h, "restrictions_at"), at)) {
    json list = json::array();
    if (restrictions.is_array())
      for (const auto& r : restrictions) {
        json item{{"type", text(r, "restriction_type")}};
        if (auto until = r.is_object() && r.contains("expiration")
                             ? parse_meta_time(r["expiration"])
                             : std::nullopt)
          item["until"] = iso_utc(*until);
        list.push_back(std::move(item));
      }
    h["restrictions"] = std::move(list);
    h["restrictions_at"] = at;
    changed = true;
  }
  const auto violation = value.is_object() ? value.value("violation_info", json{}) : json{};
  if (violation.is_object() && fresh(text(h.value("violation", json{}), "at"), at)) {
    h["violation"] = {{"type", text(violation, "violation_type")}, {"at", at}};
    changed = true;
  }
  return changed;
}

/// The review of a display name (phone_number_name_update).
bool apply_name(json& h, const std::string& at, const json& value, bool& approved) {
  auto& name = h["display_name"];
  if (!name.is_object()) name = json::object();
  if (!fresh(text(name, "decided_at"), at)) return false;  // an older decision, redelivered
  auto decision = text(value, "decision");
  auto requested = text(value, "requested_verified_name");
  if (!requested.empty()) name["requested"] = requested;
  if (decision == "APPROVED") {
    name["status"] = "approved";
    if (!requested.empty()) name["name"] = requested;
    name.erase("rejection_reason");
    approved = true;
  } else if (decision == "REJECTED") {
    name["status"] = "rejected";
    auto reason = text(value, "rejection_reason");
    name["rejection_reason"] = reason.empty() ? "UNKNOWN" : reason;
  } else if (decision == "PENDING" || decision == "DEFERRED") {
    name["status"] = "pending_review";
  } else {
    return false;
  }
  name["decided_at"] = at;
  return true;
}

}  // namespace

std::string iso_utc(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<std::int64_t> parse_meta_time(const json& v) {
  // Within 4-digit years: times compare as text, and timers are made of them.
  static constexpr std::int64_t latest = 253402300799;  // 9999-12-31T23:59:59Z
  auto bounded = [](std::int64_t t) { return std::clamp<std::int64_t>(t, 0, latest); };
  auto all_digits = [](const std::string& x) {
    return !x.empty() &&
           std::all_of(x.begin(), x.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
  };
  if (v.is_number_integer()) return bounded(v.get<std::int64_t>());
  if (!v.is_string()) return std::nullopt;
  const auto s = v.get<std::string>();
  if (s.size() <= 15 && all_digits(s)) return bounded(std::stoll(s));
  std::tm tm{};
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return std::nullopt;
  std::int64_t offset = 0;
  std::string zone{rest};
  // Fractions of a second ("...:00.000Z", as JavaScript writes times) are dropped.
  if (!zone.empty() && zone[0] == '.') {
    auto digits_end = zone.find_first_not_of("0123456789", 1);
    if (digits_end == 1) return std::nullopt;
    zone.erase(0, digits_end == std::string::npos ? zone.size() : digits_end);
  }
  if (zone != "Z" && !zone.empty()) {
    // "+hhmm" or "+hh:mm"
    std::string digits = zone.substr(1);
    if (digits.size() == 5 && digits[2] == ':') digits.erase(2, 1);
    if ((zone[0] != '+' && zone[0] != '-') || digits.size() != 4 || !all_digits(digits))
      return std::nullopt;
    offset = (std::stoll(digits.substr(0, 2)) * 60 + std::stoll(digits.substr(2, 2))) * 60;
    if (zone[0] == '-') offset = -offset;
  }
  return bounded(static_cast<std::int64_t>(timegm(&tm)) - offset);
}

std::string digits_of(std::string_view phone) {
  std::string out;
  for (char c : phone)
    if (std::isdigit(static_cast<unsigned char>(c))) out += c;
  return out;
}

target target_of(const std::string& field, const json& value) {
  if (field == "account_alerts" && text(value, "entity_type") == "PHONE_NUMBER")
    return {text(value, "entity_id"), {}};
  for (const char* key : {"display_phone_number", "phone_number"})
    if (auto number = digits_of(text(value, key)); !number.empty()) return {{}, number};
  return {};
}

outcome apply(json health, const std::string& field, std::int64_t event_time, const json& value,
              std::int64_t now) {
  if (!health.is_object()) health = json::object();
  outcome out;
  const auto at = iso_utc(event_time);
  if (field == "phone_number_quality_update")
    out.changed = apply_quality(health, at, value);
  else if (field == "account_update")
    out.changed = apply_account(health, at, value);
  else if (field == "phone_number_name_update")
    out.changed = apply_name(health, at, value, out.name_approved);
  if (health.contains("display_name") && health["display_name"].empty())
    health.erase("display_name");  // created by the look-up only
  out.health = settle(std::move(health), now);
  return out;
}

json refuse_sends(json health, const json& meta_error, std::int64_t now) {
  if (!health.is_object()) health = json::object();
  // Twice the last wait when the last refusal is recent (a day): an account blocked again
  // weeks later starts from the first wait.
  std::int64_t wait = first_refusal_wait;
  if (health.contains("send_refusal") &&
      text(health["send_refusal"], "since") > iso_utc(now - 24 * 60 * 60))
    wait = std::min(longest_refusal_wait,
                    2 * health["send_refusal"].value("interval_s", first_refusal_wait));
  health["send_refusal"] = {{"error", meta_error},
                            {"since", iso_utc(now)},
                            {"retry_at", iso_utc(now + wait)},
                            {"interval_s", wait}};
  return settle(std::move(health), now);
}

std::string display_name_problem(const std::string& name) {
  std::size_t characters = 0;
  bool blank = true;
  for (unsigned char c : name) {
    if ((c & 0xC0) != 0x80) ++characters;
    if (c < 0x20 || c == 0x7F) return "a display name has no control characters";
    if (c != ' ') blank = false;
  }
  if (blank) return "a display name is required";
  if (characters < 3 || characters > 512) return "a display name has 3 to 512 characters";
  return {};
}

json request_name(json health, const std::string& name, std::int64_t now) {
  if (!health.is_object()) health = json::object();
  auto& entry = health["display_name"];
  if (!entry.is_object()) entry = json::object();
  entry["requested"] = name;
  entry["status"] = "pending_review";
  entry.erase("rejection_reason");
  entry["requested_at"] = iso_utc(now);
  return health;
}

json settle(json health, std::int64_t now) {
  if (!health.is_object()) health = json::object();
  const auto at_now = iso_utc(now);
  std::string why;
  std::string until;
  if (health.contains("ban") && text(health["ban"], "state") == "DISABLE") {
    why = "Meta disabled the WhatsApp Business account";
  }
  if (why.empty() && health.contains("restrictions"))
    for (const auto& r : health["restrictions"]) {
      if (text(r, "type") != reply_restriction) continue;
      auto ends = text(r, "until");
      if (!ends.empty() && ends <= at_now) continue;
      why = "Meta restricted this number's messaging with customers";
      if (!ends.empty()) {
        why += " until " + ends;
        until = ends;
      }
      break;
    }
  if (why.empty() && health.contains("send_refusal")) {
    const auto& refusal = health["send_refusal"];
    auto retry = text(refusal, "retry_at");
    if (retry > at_now) {
      auto error = refusal.value("error", json::object());
      why = "Meta refused sends for the account (" + text(error, "code") +
            "): " + text(error, "message") + "; one is tried again at " + retry;
      until = retry;
    }
  }
  if (why.empty()) {
    health.erase("held");
    health.erase("held_until");
  } else {
    health["held"] = why;
    if (until.empty())
      health.erase("held_until");
    else
      health["held_until"] = until;
  }
  return health;
}

bool held(const json& health) { return health.is_object() && health.contains("held"); }

std::optional<std::int64_t> held_until(const json& health) {
  if (!held(health) || !health.contains("held_until")) return std::nullopt;
  return parse_meta_time(health["held_until"]);
}

}  // namespace paige::actors::health
