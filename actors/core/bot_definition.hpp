/// @file
/// @brief Bot definitions (spec/bot.md, format v1): validation with JSON pointers and the
/// compiled form the interpreter runs. Pure: no actor, no database.
#pragma once

#include "actors/core/code_bot_target.hpp"
#include "actors/core/outbound_rules.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace re2 {
class RE2;
}

namespace paige::actors::bot {

// -- limits ---------------------------------------------------------------------------------
// A definition is written by a project's owner and run on every message of every contact, on
// threads all projects share: what one step may cost is bounded here, at validation.

/// Largest definition, as JSON text.
inline constexpr std::size_t max_definition_bytes = 256 * 1024;
/// Most states in a definition, and routes in one state.
inline constexpr std::size_t max_states = 500;
inline constexpr std::size_t max_routes_per_state = 100;
/// Longest `text_matches` pattern, in bytes.
inline constexpr std::size_t max_pattern_bytes = 1000;
/// Most instructions of one compiled pattern, and of the patterns of one state together:
/// matching is linear in the text, at worst (a pattern whose automaton outgrows its memory)
/// about 3 ns per instruction and byte, so a state's patterns over a 65 536-byte text stay
/// under about 100 ms (bench/README.md).
inline constexpr int max_pattern_program = 200;
inline constexpr int max_state_program = 400;
/// Memory of one pattern's automaton.
inline constexpr std::int64_t pattern_memory_bytes = 1 << 20;

/// A `when` condition.
struct matcher {
  enum class kind {
    always,
    text_equals,
    text_matches,
    button_id,
    list_id,
    type,
    flow
  } what = kind::always;
  std::string value;                   ///< lowercased and trimmed for text_equals
  std::shared_ptr<const re2::RE2> re;  ///< for text_matches (null: never matches)
};

/// One action of a `then` list.
struct action {
  enum class kind { send, go_to, set, save, close, opt_out } what = kind::close;
  bool flag = false;                                        ///< opt_out: out (true) or in again
  nlohmann::json message;                                   ///< send: Cloud API object, templated
  std::string target;                                       ///< goto: state; save: table
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
  /// A code bot (docs/bot-contract.md): events go to it, and `states` is empty (it names its
  /// own). Null: a declarative bot.
  std::shared_ptr<const code_target> code;
};

/// How `text_equals` compares: trimmed, ASCII letters lowercased.
std::string fold_text(std::string text);

/// Longest chain of `send` states entered in one step.
inline constexpr int max_send_chain = 16;

/// How a definition is compiled.
enum class compile_mode {
  /// A new version (PUT .../bot): every problem is reported.
  submitted,
  /// A version stored by an earlier build: a `text_matches` pattern this build refuses (its
  /// syntax or limits changed) never matches instead of failing the whole bot.
  stored,
};

/// Validates and compiles `doc`, a declarative definition or a code bot's (is_code_bot).
/// `reserved_tables` are tables `save` may not write (the system tables); `code_rules` what a
/// submitted code bot's URL may be (a stored one's URL was checked when it was submitted).
/// Returns every problem found, each with its JSON pointer, or the definition.
std::variant<definition, std::vector<problem>> compile(const nlohmann::json& doc,
                                                       const std::set<std::string>& reserved_tables,
                                                       compile_mode mode = compile_mode::submitted,
                                                       const code_target_rules& code_rules = {});

/// The starter bot every new project gets (spec/bot.md).
const nlohmann::json& starter_bot();

/// The echo bot of the benchmarks (spec/bot.md).
const nlohmann::json& echo_bot();

}  // namespace paige::actors::bot
