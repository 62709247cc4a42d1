/// @file
/// @brief The contract between Paige and a code bot (docs/bot-contract.md, version 1): the
/// event Paige posts for one inbound message, and the checked reading of the bot's answer
/// into the step it asks for. Pure: the conversation actor sends, times and commits.
#pragma once

#include "actors/core/bot_interpreter.hpp"
#include "actors/core/code_bot_target.hpp"
#include "actors/core/outbound_rules.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace paige::actors::bot {

/// The contract's version, in every event (`contract`) and header (`Paige-Contract`).
inline constexpr int contract_version = 1;
/// Largest answer Paige reads from a bot, in bytes.
inline constexpr std::size_t max_answer_bytes = max_step_output_bytes;
/// Most actions one answer may hold.
inline constexpr std::size_t max_answer_actions = 100;
/// Deepest nesting of an answer (its variables may nest max_vars_depth below their action).
inline constexpr std::size_t max_answer_depth = max_vars_depth + 4;

/// What Paige tells the bot about the project and the message besides the step's views.
struct event_context {
  std::string project_id;
  std::int64_t event_id = 0;  ///< the inbound message's id: the same for every redelivery
  bool opted_out = false;     ///< the contact opted out of marketing
  nlohmann::json raw = nlohmann::json::object();  ///< the Cloud API message object as received
  bool preview = false;  ///< a preview's event (docs/bot-preview.md): nothing it does is kept
};

/// The event's JSON text: contract, event_id, project_id, contact, conversation (id, state,
/// vars) and message (id, type, text, button_id, list_id, flow, raw).
std::string event_body(const event_context& ctx, const conversation_view& conv,
                       const inbound_view& msg);

/// Reads a bot's answer (`{"actions": [...]}`) to an event of `conv` into the step it asks
/// for, or every problem found (JSON pointers into the answer). No action of an answer with
/// a problem runs. `reserved_tables`: tables `save` may not write (the system tables).
std::variant<step_result, std::vector<problem>> read_answer(
    std::string_view body, const conversation_view& conv,
    const std::set<std::string>& reserved_tables);

/// How the exchange of one event with a code bot ended.
struct bot_exchange {
  unsigned status = 0;  ///< 0: no answer arrived
  bool timed_out = false;
  std::string error;  ///< why no answer arrived
  std::string_view body;
};

/// The step an exchange asks for: its answer's; or, when the bot failed (no answer in time, a
/// status other than 200, an answer with a problem), the fallback's (`target`'s, in the state
/// and vars of `conv`), with `skipped` set to why (bot_timeout, bot_status, bot_unreachable,
/// bot_answer_invalid) and `detail` to a message.
step_result step_of_exchange(const bot_exchange& x, const conversation_view& conv,
                             const code_target& target,
                             const std::set<std::string>& reserved_tables, std::string& skipped,
                             std::string& detail);

}  // namespace paige::actors::bot
