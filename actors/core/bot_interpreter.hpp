/// @file
/// @brief Runs one bot step: a conversation in some state receives one inbound message.
/// Pure: the result lists the effects; the conversation actor commits them atomically.
#pragma once

#include "actors/core/bot_definition.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace paige::actors::bot {

/// Longest value one interpolated template yields (longer: cut at a UTF-8 character).
inline constexpr std::size_t max_interpolated_bytes = 64 * 1024;
/// Most a conversation's variables may hold, as JSON text.
inline constexpr std::size_t max_vars_bytes = 64 * 1024;
/// Deepest variables taken from the database (the bot itself writes strings only).
inline constexpr std::size_t max_vars_depth = 32;
/// Longest state a conversation may hold (an operator may force one of up to 200 characters;
/// a definition's own names have at most 100).
inline constexpr std::size_t max_state_name = 200;
/// Most one step may interpolate in all (its messages, variables and saved rows together).
inline constexpr std::size_t max_step_output_bytes = 1024 * 1024;

/// A step that cannot run: its message is handled without effects (skipped). `code` says why
/// (snake_case, for the event and the metric).
struct step_refused : std::runtime_error {
  step_refused(std::string code, const std::string& message)
      : std::runtime_error(message), code(std::move(code)) {}
  std::string code;
};

/// What a step needs to know about the inbound message.
struct inbound_view {
  std::string id;          ///< wamid
  std::string type;        ///< Cloud API type: text, interactive, button, image, ...
  std::string text;        ///< text body, reply/button title, or media caption
  std::string button_id;   ///< interactive button_reply id, or template quick-reply payload
  std::string list_id;     ///< interactive list_reply id
  std::string flow_token;  ///< nfm_reply: the response's flow_token
  nlohmann::json flow = nlohmann::json::object();  ///< nfm_reply: the parsed response_json
};

/// What a step needs to know about the conversation.
struct conversation_view {
  std::string wa_id;
  std::string contact_name;
  std::string conversation_id;
  std::string state;
  nlohmann::json vars = nlohmann::json::object();
};

/// A write of a step besides the conversation's: a row to insert into a custom table, the
/// contact's opt-out of marketing, or a flow's answer (`values`: flow_name, flow_id,
/// flow_token, response (JSON text), wamid of the answer: actors/core/flow_send.hpp), or a
/// flow_token sent (`values`: token, flow_name, wa_id).
struct save_op {
  save_op() = default;
  save_op(std::string t, std::vector<std::pair<std::string, std::string>> v)
      : table(std::move(t)), values(std::move(v)) {}
  std::string table;
  std::vector<std::pair<std::string, std::string>> values;
  enum class kind { row, opt_out, flow_answer, flow_token } what = kind::row;
  bool opted_out = false;  ///< opt_out: out (true) or in again
  std::string wa_id;       ///< opt_out: the contact
};

/// What a step needs before it can go on (a `query` or `http` action): the caller runs it and
/// runs the step again with what it gave.
struct fetch_request {
  /// A query (read only, as the project's role) or a request (`http` action).
  enum class kind { query, http } what = kind::query;
  std::string name;                 ///< the definition's name for it
  std::string sql;                  ///< query: its SQL
  std::vector<std::string> params;  ///< query: bound as $1, $2... (text)
  std::string method, url, body;    ///< http: filled in (body: JSON, or none when empty)
  /// http: filled in; a header naming a secret still holds only its prefix.
  std::vector<http_call_header> headers;
  std::chrono::milliseconds timeout{};
};

/// What a query gave: its rows (a list of objects, at most max_query_rows); or what a request
/// got: its answer (answer_of); or why it failed.
struct fetch_result {
  bool ok = false;
  nlohmann::json rows = nlohmann::json::array();
  std::string error;  ///< when it failed, for the message's record (never logged)
};

/// The effects of one step.
struct step_result {
  std::string state;                  ///< the state after the step
  nlohmann::json vars;                ///< the variables after the step
  std::vector<nlohmann::json> sends;  ///< outbound messages, in order, without "to"
  std::vector<save_op> saves;
  bool close = false;    ///< the conversation closes after this step
  bool matched = false;  ///< a route (or a send state's entry) ran
  /// Set: the step is not finished: it waits for this query (the fields above mean nothing).
  std::optional<fetch_request> fetch;
};

/// Runs one step. A conversation whose state the bot no longer declares starts over in the
/// initial state. In a `send` state, the message triggers the state's entry (its `then`, then
/// `next`); in an `await` state, the first matching route runs. Throws step_refused when the
/// step would leave more than max_vars_bytes of variables or interpolate more than
/// max_step_output_bytes, run more than max_queries_per_step queries, or when a query failed
/// and its action has no `on_error`.
///
/// A step with queries runs in rounds: `fetched` holds what its first queries gave, in the
/// order it asked for them; a step that reaches one more returns it in `fetch` (and nothing
/// else). Steps are deterministic, so each round replays the ones before it.
step_result run_step(const definition& bot, const conversation_view& conv, const inbound_view& msg,
                     const std::vector<fetch_result>& fetched = {});

/// Replaces every `{{name}}` of `tmpl` by its value in the step's scope (unknown: empty).
/// Values are inserted as data: never scanned again for placeholders. The result is cut at
/// max_interpolated_bytes. `results`: the step's query rows by query name, read as
/// {{query.<name>.<row>.<column>}} and {{query.<name>.count}}; `answers`: its requests'
/// answers by name, read as {{http.<name>.status}} and {{http.<name>.body...}}. `url_values`:
/// each value is %-encoded (the template is a URL).
std::string interpolate(const std::string& tmpl, const conversation_view& conv,
                        const inbound_view& msg, const std::string& current_state,
                        const nlohmann::json& vars, const nlohmann::json* results = nullptr,
                        const nlohmann::json* answers = nullptr, bool url_values = false);

/// The flow a flow_token names: Paige sends flows with "<flow name>:<random>" (a name may hold
/// ':' itself: what comes before the last one), or a fixed "<flow name>" without ':'.
std::string flow_name_of_token(const std::string& token);

/// Whether `m` matches `msg`.
bool matches(const matcher& m, const inbound_view& msg);

}  // namespace paige::actors::bot
