/// @file
/// @brief Bot definitions (spec/bot.md, format v1): validation with JSON pointers and the
/// compiled form the interpreter runs. Pure: no actor, no database.
#pragma once

#include "actors/outbound_rules.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace paige::actors::bot {

/// A `when` condition.
struct matcher {
  enum class kind { always, text_equals, text_matches, button_id, list_id, type, flow } what = kind::always;
  std::string value;                   ///< lowercased and trimmed for text_equals
  std::shared_ptr<const std::regex> re;  ///< for text_matches
};

/// One action of a `then` list.
struct action {
  enum class kind { send, go_to, set, save, close } what = kind::close;
  nlohmann::json message;                                 ///< send: Cloud API object, templated
  std::string target;                                     ///< goto: state; save: table
  std::vector<std::pair<std::string, std::string>> values;  ///< set: vars; save: columns
};

struct route {
  matcher when;
  std::vector<action> then;
};

struct state {
  enum class kind { await, send } what = kind::await;
  std::vector<route> routes;  ///< await
  std::vector<action> then;   ///< send: run on entry
  std::string next;           ///< send: the await state that follows
};

/// A validated, compiled definition.
struct definition {
  std::string initial_state;
  std::map<std::string, state> states;
  nlohmann::json source;  ///< as given (what GET /bot returns)
  /// Some text of it reads {{conversation.id}}: a step's effects depend on which
  /// conversation it runs in, so a first message's step cannot run before its conversation
  /// is opened (see conversation_actor.cpp).
  bool reads_conversation_id = false;
};

/// How `text_equals` compares: trimmed, ASCII letters lowercased.
std::string fold_text(std::string text);

/// Longest chain of `send` states entered in one step.
inline constexpr int max_send_chain = 16;

/// Validates and compiles `doc`. `reserved_tables` are tables `save` may not write (the system
/// tables). Returns every problem found, each with its JSON pointer, or the definition.
std::variant<definition, std::vector<problem>> compile(const nlohmann::json& doc,
                                                        const std::set<std::string>& reserved_tables);

/// The starter bot every new project gets (spec/bot.md).
const nlohmann::json& starter_bot();

/// The echo bot of the benchmarks (spec/bot.md).
const nlohmann::json& echo_bot();

}  // namespace paige::actors::bot
