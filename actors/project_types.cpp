#include "actors/project_types.hpp"

#include "actors/conversation_actor.hpp"
#include "actors/core/project_rules.hpp"
#include "actors/graph_api.hpp"
#include "actors/inbound.hpp"
#include "storage/bots.hpp"
#include "storage/projects.hpp"

#include <caf/all.hpp>

namespace paige::actors {

bot_info to_bot_info(const storage::bot_row& b) {
  return {b.version, b.definition_json, b.created_at, {}};
}

project_info to_info(const storage::project_row& row) {
  project_info out;
  out.id = row.id;
  out.name = row.name;
  out.status = storage::to_string(row.status);
  out.status_detail = row.status_detail.value_or("");
  out.settings_json = effective_settings(nlohmann::json::parse(row.settings_json)).dump();
  out.created_at = row.created_at;
  out.updated_at = row.updated_at;
  out.seq = row.seq;
  out.whatsapp_json = row.whatsapp_json;
  return out;
}

void add_project_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<project_info>("project_info");
  cfg.add_message_type<std::vector<project_info>>("std::vector<project_info>");
  cfg.add_message_type<project_page>("project_page");
  cfg.add_message_type<key_info>("key_info");
  cfg.add_message_type<std::vector<key_info>>("std::vector<key_info>");
  cfg.add_message_type<project_patch>("project_patch");
  cfg.add_message_type<bot_info>("bot_info");
  cfg.add_message_type<graph_result>("graph_result");
  cfg.add_message_type<inbound_message>("inbound_message");
  cfg.add_message_type<status_update>("status_update");
  cfg.add_message_type<std::vector<inbound_message>>("std::vector<inbound_message>");
  cfg.add_message_type<std::vector<status_update>>("std::vector<status_update>");
  cfg.add_message_type<number_batch>("number_batch");
  cfg.add_message_type<account_change>("account_change");
  cfg.add_message_type<std::vector<account_change>>("std::vector<account_change>");
  cfg.add_message_type<outbound_view>("outbound_view");
}

}  // namespace paige::actors
