/// @file
/// @brief Bot definitions (spec/bot.md, format v1): validation with JSON pointers and the
/// compiled form the interpreter runs. Pure: no actor, no database.
#pragma once

#include "actors/core/bot_requests.hpp"
#include "actors/core/code_bot_target.hpp"
#include "actors/core/outbound_rules.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
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

/// Most named queries in a definition, and the longest SQL text of one.
inline constexpr std::size_t max_queries = 50;
inline constexpr std::size_t max_query_sql = 10000;
/// Most parameters of one query.
inline constexpr std::size_t max_query_params = 20;
/// A query's time box: its default, and the most a definition may ask for. A step waits for
/// its queries, and the contact's next messages wait for the step.
inline constexpr std::chrono::milliseconds default_query_timeout{2000};
inline constexpr std::chrono::milliseconds max_query_timeout{5000};
/// Rows and bytes of values one query may bring into a step (the rows past them are left out).
inline constexpr std::size_t max_query_rows = 100;
inline constexpr std::size_t max_query_bytes = 64 * 1024;
/// Most queries and requests one step may run (a `query` in a branch, in send states
/// entered...).
inline constexpr std::size_t max_queries_per_step = 8;
/// Deepest nesting of a query's branches in one another.
inline constexpr int max_branch_depth = 4;

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
  enum class kind { send, go_to, set, save, close, opt_out, query, http } what = kind::close;
  bool flag = false;       ///< opt_out: out (true) or in again
  nlohmann::json message;  ///< send: Cloud API object, templated
  std::string target;      ///< goto: state; save: table; query, http: its name
  std::vector<std::pair<std::string, std::string>> values;  ///< set: vars; save: columns
  /// query: the actions run when it found rows, found none, and failed (null: the step is
  /// skipped); http: when the answer's status was 2xx, another, or no answer came. Shared:
  /// actions are copied with their route.
  std::shared_ptr<const std::vector<action>> found, none, failed;
};

/// A named query of the definition (`queries`): read only, as the project's role.
struct query {
  std::string sql;
  std::vector<std::string> params;  ///< templates, bound in order as $1, $2...
  std::chrono::milliseconds timeout = default_query_timeout;
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
  std::map<std::string, query> queries;
  std::map<std::string, http_call> requests;
  nlohmann::json source;  ///< as given (what GET /bot returns)
  /// Some text of it reads {{conversation.id}}: a step's effects depend on which
  /// conversation it runs in, so a first message's step cannot run before its conversation
  /// is opened (see conversation_actor.cpp).
  bool reads_conversation_id = false;
  /// A code bot (docs/bot-contract.md): events go to it, and `states` is empty (it names its
  /// own). Null: a declarative bot.
  std::shared_ptr<const code_target> code;

  /// A step may wait on something outside Paige's own writes (a code bot, a query, a
  /// request): its message is stored on its own first, never together with its step.
  bool waits_outside() const { return code != nullptr || !queries.empty() || !requests.empty(); }
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
