/// @file
/// @brief A bot preview (docs/bot-preview.md): messages run against a version of a project's
/// bot for a sandbox contact, without WhatsApp and without writing anything. Pure: reading the
/// request, the messages as the Cloud API would deliver them, and the record of each step; the
/// preview actor runs the steps.
#pragma once

#include "actors/core/bot_interpreter.hpp"
#include "actors/core/outbound_rules.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace paige::actors::bot {

/// Most messages one preview runs.
inline constexpr std::size_t max_preview_messages = 20;
/// Longest text of one preview message, in characters (a WhatsApp text's limit).
inline constexpr std::size_t max_preview_text = 4096;
/// The sandbox contact's wa_id when the request names none (a fictional 555-01xx number).
inline constexpr const char* preview_wa_id = "15550100000";

/// What to preview.
struct preview_request {
  std::optional<std::int64_t> version;   ///< a kept version; none: the current one
  std::vector<nlohmann::json> messages;  ///< as the Cloud API delivers them (view_of reads them)
  std::string wa_id = preview_wa_id;
  std::string name = "Preview";
  std::optional<std::string> state;  ///< where the conversation starts; none: the initial state
  nlohmann::json vars = nlohmann::json::object();
};

/// Reads `{"messages": [...], "version"?, "contact"?: {"wa_id"?, "name"?}, "state"?, "vars"?}`.
/// A message is a text ("hi"), or {"text"} or {"button_id", "text"?} (a reply button's tap) or
/// {"list_id", "text"?} (a list row's). Every problem has its JSON pointer.
std::variant<preview_request, std::vector<problem>> read_preview_request(
    const nlohmann::json& body);

/// The wamid of the preview's message `index`: never one of Meta's.
std::string preview_wamid(std::size_t index);

/// What one message of a preview did.
struct preview_step {
  nlohmann::json message;  ///< the message as the preview sent it (Cloud API form)
  std::string from_state;
  step_result result;  ///< its effects (none when skipped without effects)
  std::string skipped, skipped_detail;
  std::vector<nlohmann::json> fetches;  ///< its queries' and requests' outcomes, in order
};

/// A query's or request's outcome in a preview step's record.
nlohmann::json fetch_record(const fetch_request& asked, const fetch_result& got);

/// The record of a step: message, state {from, to}, vars, replies, rows, closed, fetches,
/// skipped {code, message}.
nlohmann::json preview_record(const preview_step& step);

}  // namespace paige::actors::bot
