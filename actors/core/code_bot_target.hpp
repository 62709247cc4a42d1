/// @file
/// @brief Where a project's code bot answers (docs/bot-contract.md): the definition
/// `{"kind": "external", "url", "initial_state", "timeout_seconds", "fallback"}` (a bot the
/// project runs) or `{"kind": "code", "files", ...}` (a Node.js bot Paige hosts) that a project
/// stores instead of a declarative one, checked before it is stored. Pure.
#pragma once

#include "actors/core/code_files.hpp"
#include "actors/core/outbound_rules.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace paige::actors::bot {

/// The time box of one event when the definition names none, and the longest one allowed.
inline constexpr int default_timeout_seconds = 10;
inline constexpr int max_timeout_seconds = 30;
/// Longest bot URL, in bytes.
inline constexpr std::size_t max_url_bytes = 2048;
/// The state a code bot's conversations start in when its definition names none.
inline constexpr const char* default_code_initial_state = "unstructured";

/// A code bot as the conversation actor calls it.
struct code_target {
  std::string url;  ///< external; a hosted bot's is its process's, known when it runs
  /// A hosted bot's sources (kind "code"); null for an external bot.
  std::shared_ptr<const code_files> hosted;
  std::chrono::milliseconds timeout{default_timeout_seconds * 1000};
  /// Sent when the bot fails an event (time box, transport error, status, bad answer); null:
  /// nothing is sent.
  nlohmann::json fallback;
  /// Signs the events: the project's bot secret, unsealed by the project actor (never stored in
  /// the definition).
  std::string secret;
};

/// What the server allows of bot URLs besides https.
struct code_target_rules {
  /// http:// to 127.0.0.1, ::1 or localhost (a bot on the same machine without TLS; tests).
  bool http_loopback = false;
};

/// Why `url` cannot be one Paige calls for a bot (an https:// URL with a host and without
/// credentials or fragment; http:// only to loopback as `rules` allow), or "".
std::string url_problem(const std::string& url, const code_target_rules& rules);

/// Whether `doc` is a code bot's definition (its "kind" is "external" or "code") rather than a
/// declarative one.
bool is_code_bot(const nlohmann::json& doc);

/// Checks a code bot's definition; every problem with its JSON pointer, or the target
/// (without its secret) and, through `initial_state`, where its conversations start.
std::variant<code_target, std::vector<problem>> read_code_target(const nlohmann::json& doc,
                                                                 const code_target_rules& rules,
                                                                 std::string& initial_state);

}  // namespace paige::actors::bot
