/// @file
/// @brief The two readings of a webhook (one pass, document) as comparable text; shared by
/// the codec's tests and its fuzz target.
#pragma once

#include "api/webhook_codec.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <variant>

namespace paige::test {

/// The refusal, or every field of every event, as text.
inline std::string outcome(const std::variant<api::webhook_events, std::string>& r) {
  using json = nlohmann::json;
  if (auto* why = std::get_if<std::string>(&r)) return "refused: " + *why;
  const auto& events = std::get<api::webhook_events>(r);
  json out{{"account", json::array()}, {"numbers", json::array()}};
  for (const auto& c : events.account)
    out["account"].push_back({c.waba_id, c.field, c.time, c.value_json, c.dedupe_key});
  for (const auto& n : events.numbers) {
    json number{{"id", n.phone_number_id},
                {"errors", n.errors_json},
                {"messages", json::array()},
                {"statuses", json::array()}};
    for (const auto& m : n.messages)
      number["messages"].push_back(
          {m.wamid, m.from, m.profile_name, m.type, m.timestamp, m.content_json});
    for (const auto& s : n.statuses)
      number["statuses"].push_back({s.wamid, s.status, s.timestamp, s.recipient_id, s.errors_json});
    out["numbers"].push_back(number);
  }
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace paige::test
