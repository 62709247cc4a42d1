/// @file
/// @brief Messages of the project actors: atoms, the project and key views they reply with,
/// and the services they share.
#pragma once

#include "actors/db_pool.hpp"
#include "common/secrets.hpp"
#include "storage/bots.hpp"
#include "storage/conversation_queries.hpp"
#include "storage/database_requests.hpp"
#include "storage/projects.hpp"
#include "storage/whatsapp_events.hpp"
#include "storage/whatsapp_signups.hpp"

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace paige::metrics {
class registry;
}

namespace paige::actors {
class number_directory;
}

namespace paige::actors {

// -- atoms -------------------------------------------------------------------

using create_atom = caf::atom_constant<caf::atom("create")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using pause_atom = caf::atom_constant<caf::atom("pause")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using remove_atom = caf::atom_constant<caf::atom("remove")>;
using provisioned_atom = caf::atom_constant<caf::atom("provd")>;
using prov_failed_atom = caf::atom_constant<caf::atom("provfail")>;
using provision_atom = caf::atom_constant<caf::atom("provision")>;
using deprovision_atom = caf::atom_constant<caf::atom("deprov")>;
using deprovisioned_atom = caf::atom_constant<caf::atom("deprovd")>;
using key_create_atom = caf::atom_constant<caf::atom("keycreate")>;
using key_list_atom = caf::atom_constant<caf::atom("keylist")>;
using key_revoke_atom = caf::atom_constant<caf::atom("keyrevoke")>;
using auth_atom = caf::atom_constant<caf::atom("auth")>;
using bot_get_atom = caf::atom_constant<caf::atom("botget")>;
using bot_put_atom = caf::atom_constant<caf::atom("botput")>;
using bot_versions_atom = caf::atom_constant<caf::atom("botvers")>;
using bot_secret_atom = caf::atom_constant<caf::atom("botsecret")>;
using bot_runtime_atom = caf::atom_constant<caf::atom("botruntime")>;
using bot_logs_atom = caf::atom_constant<caf::atom("botlogs")>;
using bot_follow_atom = caf::atom_constant<caf::atom("botfollow")>;

/// A project's bot log (docs/bot-contract.md, "Logs"): the entries, and bytes of their data,
/// kept per project (the oldest go first).
inline constexpr std::size_t bot_log_entries = 1000;
inline constexpr std::size_t bot_log_bytes = 1024 * 1024;
/// To a project actor: its secrets changed (a hosted bot's process restarts with them).
using secrets_changed_atom = caf::atom_constant<caf::atom("secretschg")>;
using secret_put_atom = caf::atom_constant<caf::atom("secput")>;
using secret_list_atom = caf::atom_constant<caf::atom("seclist")>;
using secret_delete_atom = caf::atom_constant<caf::atom("secdel")>;
using profile_get_atom = caf::atom_constant<caf::atom("profget")>;
using profile_set_atom = caf::atom_constant<caf::atom("profset")>;
using connect_atom = caf::atom_constant<caf::atom("connect")>;
using webhook_atom = caf::atom_constant<caf::atom("webhook")>;
using messages_atom = caf::atom_constant<caf::atom("messages")>;
using query_atom = caf::atom_constant<caf::atom("query")>;
using database_atom = caf::atom_constant<caf::atom("database")>;
using number_owned_atom = caf::atom_constant<caf::atom("numowned")>;
using waba_numbers_atom = caf::atom_constant<caf::atom("wabanums")>;
using account_atom = caf::atom_constant<caf::atom("account")>;
using account_events_atom = caf::atom_constant<caf::atom("accevents")>;
using display_name_atom = caf::atom_constant<caf::atom("dispname")>;
using reregister_atom = caf::atom_constant<caf::atom("reregister")>;
using signup_atom = caf::atom_constant<caf::atom("signup")>;
using photo_atom = caf::atom_constant<caf::atom("photo")>;
using template_create_atom = caf::atom_constant<caf::atom("tplcreate")>;
using template_list_atom = caf::atom_constant<caf::atom("tpllist")>;
using template_get_atom = caf::atom_constant<caf::atom("tplget")>;
using template_edit_atom = caf::atom_constant<caf::atom("tpledit")>;
using template_delete_atom = caf::atom_constant<caf::atom("tpldelete")>;
using template_sync_atom = caf::atom_constant<caf::atom("tplsync")>;
using template_media_atom = caf::atom_constant<caf::atom("tplmedia")>;
using flow_create_atom = caf::atom_constant<caf::atom("flowcreate")>;
using flow_list_atom = caf::atom_constant<caf::atom("flowlist")>;
using flow_get_atom = caf::atom_constant<caf::atom("flowget")>;
using flow_edit_atom = caf::atom_constant<caf::atom("flowedit")>;
using flow_delete_atom = caf::atom_constant<caf::atom("flowdel")>;
using flow_publish_atom = caf::atom_constant<caf::atom("flowpub")>;
using flow_deprecate_atom = caf::atom_constant<caf::atom("flowdepr")>;
using flow_preview_atom = caf::atom_constant<caf::atom("flowprev")>;
using flow_asset_atom = caf::atom_constant<caf::atom("flowasset")>;
using flow_call_atom = caf::atom_constant<caf::atom("flowcall")>;
using flow_key_atom = caf::atom_constant<caf::atom("flowkey")>;
using flow_secret_atom = caf::atom_constant<caf::atom("flowsecret")>;
using flow_session_atom = caf::atom_constant<caf::atom("flowsess")>;
using broadcast_create_atom = caf::atom_constant<caf::atom("bccreate")>;
using broadcast_list_atom = caf::atom_constant<caf::atom("bclist")>;
using broadcast_get_atom = caf::atom_constant<caf::atom("bcget")>;
using broadcast_recipients_atom = caf::atom_constant<caf::atom("bcrecips")>;
using broadcast_control_atom = caf::atom_constant<caf::atom("bcctl")>;
using broadcast_count_atom = caf::atom_constant<caf::atom("bccount")>;
using contact_opt_out_atom = caf::atom_constant<caf::atom("optout")>;

// -- views -------------------------------------------------------------------

/// A project as the API shows it.
struct project_info {
  std::string id;
  std::string name;
  std::string status;
  std::string status_detail;  ///< empty: none
  std::string settings_json;  ///< effective settings (defaults applied)
  std::string created_at;
  std::string updated_at;
  std::int64_t seq = 0;
  std::string whatsapp_json;  ///< the connected number, or empty
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, project_info& x) {
  return f(caf::meta::type_name("project_info"), x.id, x.name, x.status, x.status_detail,
           x.settings_json, x.created_at, x.updated_at, x.seq, x.whatsapp_json);
}

/// One page of projects.
struct project_page {
  std::vector<project_info> items;
  std::int64_t next_after = 0;  ///< 0: no further page
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, project_page& x) {
  return f(caf::meta::type_name("project_page"), x.items, x.next_after);
}

/// A project API key; `key` is set only in the reply to its creation.
struct key_info {
  std::string id;
  std::string name;
  std::string prefix;
  std::string created_at;
  std::string key;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, key_info& x) {
  return f(caf::meta::type_name("key_info"), x.id, x.name, x.prefix, x.created_at, x.key);
}

/// A bot version as the API shows it.
struct bot_info {
  int version = 0;
  std::string definition_json;
  std::string created_at;
  std::string secret;  ///< the bot secret, made by this request (shown once); empty otherwise
};

/// A stored bot version as the API shows it.
bot_info to_bot_info(const storage::bot_row& b);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bot_info& x) {
  return f(caf::meta::type_name("bot_info"), x.version, x.definition_json, x.created_at, x.secret);
}

/// A settings/name change; a field applies only when its flag is set.
struct project_patch {
  bool has_name = false;
  std::string name;
  bool has_settings = false;
  std::string settings_patch_json;  ///< a JSON merge patch of the settings
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, project_patch& x) {
  return f(caf::meta::type_name("project_patch"), x.has_name, x.name, x.has_settings,
           x.settings_patch_json);
}

/// The view of a stored row.
project_info to_info(const storage::project_row& row);

// -- shared services ---------------------------------------------------------

class persistence_pool;  // actors/persistence.hpp

/// What project actors, the directory and the provisioner use; built once by the runtime.
struct project_services {
  caf::actor control_db;                          ///< db_pool on the control database
  caf::actor admin_db;                            ///< db_pool with the admin role, for DDL
  caf::actor provisioner;                         ///< provisioning supervisor
  caf::actor meta_sync;                           ///< every Graph API call
  caf::actor bot_caller;                          ///< posts code bots' events
  caf::actor bot_runner;                          ///< runs hosted code bots (bot_runner.hpp)
  std::shared_ptr<persistence_pool> persistence;  ///< project-database workers (group commit)
  caf::actor database_api;  ///< db_pool serving the project-database API (any project)
  caf::actor broadcast_db;  ///< db_pool of broadcasts' audience reads and queueing (any project)
  caf::actor bot_queries;   ///< db_pool of declarative bots' queries (any project)
  /// Ends the bots' queries that outlive their timeouts from outside their sessions.
  storage::backend_watchdog* watchdog = nullptr;
  std::chrono::milliseconds conversation_idle{300000};  ///< passivation of idle conversations
  std::chrono::milliseconds sweep_interval{60000};      ///< how often idle conversations are closed
  std::size_t event_window = 1000;                      ///< events kept per project for replay
  number_directory* numbers = nullptr;  ///< webhook routing, kept current by project actors
  std::string server_conninfo;          ///< the Postgres server that holds project databases
  /// The same server as hosted bots reach it (TCP on loopback for the embedded one): their
  /// DATABASE_URL, with the project's database and role.
  std::string bot_server_conninfo;
  std::string app_id;      ///< Meta app id (embedded signup); empty: signup not configured
  std::string app_secret;  ///< Meta app secret (exchanging signup codes)
  /// How often each project reads Meta's template list (webhooks may be missed).
  std::chrono::seconds template_sync_interval{3600};
  secrets::master_key master_key;  ///< seals role passwords at rest
  metrics::registry* metrics = nullptr;
};

using services_ptr = std::shared_ptr<const project_services>;

/// Registers the message types above with the actor system configuration.
void add_project_message_types(caf::actor_system_config& cfg);

}  // namespace paige::actors

// Database jobs reply with storage rows; they never leave the process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::database_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::database_rules)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::database_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::project_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<paige::storage::account_event_row>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::signup_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<paige::storage::number_owner_row>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<paige::storage::project_row>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::key_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::bot_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::number_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::project_read)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::read_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<paige::storage::key_row>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<paige::storage::bot_row>)
