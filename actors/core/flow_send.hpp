/// @file
/// @brief Sending a project's flows and taking their answers (spec/meta-cloud-api.md §9,
/// docs/flows.md). Pure logic.
///
/// A send names the flow by the project's name (`action.parameters.flow_name` of an
/// interactive message of type flow); it goes to Meta by Meta's id, with a flow_token made for
/// that send: "<flow name>:<random>", so the answer (`nfm_reply`, whose response carries the
/// token) names its flow and its send. An answer is stored with the flow (`flow_answers`) and,
/// when the flow maps its answers to a table, as a row of it: both with the step, atomically
/// with the message's handled mark.
#pragma once

#include "actors/core/bot_interpreter.hpp"
#include "actors/core/outbound_rules.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace paige::actors::flows {

/// What sends and answers need to know of one flow.
struct flow_ref {
  std::string meta_id;
  std::string status;           ///< DRAFT, PUBLISHED, DEPRECATED, BLOCKED, THROTTLED
  nlohmann::json answers;       ///< {"table", "columns": {column: template}} or null: not mapped
  nlohmann::json flow_json;     ///< the endpoint's part: its first screen, its routing model
  nlohmann::json data_sources;  ///< the endpoint's screens' data (flow_exchange.hpp), or null
};

/// A project's flows by name, as sends and answers look them up (shared, immutable).
class catalog {
 public:
  void add(std::string name, flow_ref ref) { by_name_[std::move(name)] = std::move(ref); }
  /// Removes the flow of Meta's id `meta_id` (whatever its name).
  void remove_id(const std::string& meta_id);
  const flow_ref* find(const std::string& name) const;
  /// The name of the flow of Meta's id `meta_id` ("" when none).
  std::string name_of_id(const std::string& meta_id) const;
  std::size_t size() const { return by_name_.size(); }

 private:
  std::map<std::string, flow_ref> by_name_;
};

using catalog_ptr = std::shared_ptr<const catalog>;

/// Whether `message` is an interactive flow message.
bool is_flow_send(const nlohmann::json& message);

/// The outcome of preparing a flow send: the message for Meta, or why it cannot go.
struct prepared_send {
  nlohmann::json message;
  std::optional<problem> refusal;  ///< the flow is unknown, or not sendable
  bool not_found = false;          ///< the refusal is that no flow has the name
};

/// Prepares a flow send (other messages come back unchanged): `flow_name` resolved to Meta's
/// `flow_id` (a DRAFT goes with `mode: "draft"`, as Meta allows for testing; DEPRECATED and
/// BLOCKED flows are refused), `flow_token` made "<name>:<token_suffix>" unless the message has
/// one, `flow_message_version` "3". Pointers below `at`.
prepared_send prepare_send(const catalog& flows, nlohmann::json message,
                           const std::string& token_suffix, const std::string& at = "");

/// Gives a template send's flow buttons their tokens: each FLOW button of the template as Meta
/// approved it (`stored`, Meta's shape) that names one of the project's flows (by `flow_name` or
/// `flow_id`) gets the flow_token "<name>:<token_suffix>" in the send's button parameter (the
/// parameter added when the send gives none; a token the send gives is kept), so its answer
/// finds its flow and its send as an interactive flow message's does. Other messages come back
/// unchanged.
nlohmann::json prepare_template_flows(const catalog& flows, const nlohmann::json& stored,
                                      nlohmann::json message, const std::string& token_suffix);

/// The flow tokens a prepared message carries (an interactive flow message's, a template's
/// flow buttons'), each with its flow's name (bot::flow_name_of_token).
std::vector<std::pair<std::string, std::string>> tokens_of(const nlohmann::json& message);

/// The writes recording the flow tokens of `sends` to `wa_id` (save_op kind flow_token).
std::vector<bot::save_op> token_saves(const std::vector<nlohmann::json>& sends,
                                      const std::string& wa_id);

/// Whether a template (Meta's shape) has a FLOW button.
bool has_flow_button(const nlohmann::json& stored);

/// The writes an answer makes (with the step that handles it): its `flow_answers` row, and the
/// row of the flow's mapped table (its column templates interpolated as a bot's `save`). None
/// when the message is not an answer or names no flow of the catalog.
std::vector<bot::save_op> answer_saves(const catalog& flows, const bot::conversation_view& conv,
                                       const bot::inbound_view& msg);

/// Problems of a flow's answers mapping (`{"table", "columns": {column: template},
/// "create_table"?}`), pointers below `at`.
std::vector<problem> check_answers(const nlohmann::json& answers, const std::string& at);

/// The columns a mapped table gets when Paige creates it: each column's type fitting the
/// value its template takes (`{{flow.<field>}}` traced through the Flow JSON to the component
/// or screen data that gives it: a DatePicker a date, a number field numeric, an OptIn a
/// boolean, several choices jsonb; anything else text). [{"name", "type"}].
nlohmann::json answer_columns(const nlohmann::json& answers, const nlohmann::json& flow_json);

}  // namespace paige::actors::flows
