/// @file
/// @brief A declarative bot's calls to other APIs (docs/bot-http.md): the definition's
/// `requests` (`{"<name>": {"method"?, "url", "headers"?, "body"?, "timeout_ms"?}}`), checked
/// before the bot is stored, and their answers as templates read them. Pure.
#pragma once

#include "actors/core/code_bot_target.hpp"
#include "actors/core/outbound_rules.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace paige::actors::bot {

/// Most named requests in a definition, and headers of one.
inline constexpr std::size_t max_requests = 50;
inline constexpr std::size_t max_request_headers = 20;
/// A request's time box: its default, and the most a definition may ask for. A step waits for
/// its requests, and the contact's next messages wait for the step.
inline constexpr std::chrono::milliseconds default_request_timeout{5000};
inline constexpr std::chrono::milliseconds max_request_timeout{10000};
/// Largest answer a request may bring into a step: a larger one fails the request.
inline constexpr std::size_t max_request_answer_bytes = 64 * 1024;

/// One header of a request: a template, or a project secret's value after a literal prefix.
struct http_call_header {
  std::string name;
  std::string value;   ///< a template; with `secret`, the literal text before its value
  std::string secret;  ///< the project secret whose value follows `value` (empty: none)
};

/// A named request of the definition.
struct http_call {
  std::string method = "GET";
  /// A template whose scheme, host and port are literal; the values filled in are %-encoded.
  std::string url;
  std::vector<http_call_header> headers;
  nlohmann::json body;  ///< null: none; otherwise JSON whose strings are templates
  std::chrono::milliseconds timeout = default_request_timeout;
};

/// Reads `obj`'s "timeout_ms" (1 to `max`) into `timeout`, left as is when absent; otherwise
/// a problem at `at`/timeout_ms.
void read_timeout_ms(const nlohmann::json& obj, const std::string& at,
                     std::chrono::milliseconds max, std::chrono::milliseconds& timeout,
                     std::vector<problem>& problems);

/// The definition's `requests`, each problem appended to `problems` with its JSON pointer.
/// URLs are held to what `rules` allow of a code bot's (https://, or http:// to loopback).
std::map<std::string, http_call> compile_requests(const nlohmann::json& doc,
                                                  const code_target_rules& rules,
                                                  std::vector<problem>& problems);

/// A request's answer as a step reads it: {"status", "body"}, the body parsed when it is JSON,
/// otherwise its text.
nlohmann::json answer_of(unsigned status, const std::string& body);

/// A template's text of a JSON value: a string as is, null as "", anything else as JSON.
std::string text_of(const nlohmann::json& value);

/// `<name>.status`, `<name>.body` or `<name>.body.<key or index>...` of `answers` (name →
/// answer_of), as text: a string as is, other JSON as JSON, absent as "".
std::string answer_value(const nlohmann::json& answers, const std::string& path);

}  // namespace paige::actors::bot
