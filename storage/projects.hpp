/// @file
/// @brief Projects and their API keys in the control database.
#pragma once

#include "storage/project_status.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/connection>
#include <pqxx/transaction_base>

namespace paige::storage {

/// The provisioning steps a project database of this build goes through: 2 has the system
/// tables owned by the admin, the role's limits and the other projects' metadata hidden
/// (storage/provisioning.hpp). A live project of an older layout is provisioned again (the
/// steps are idempotent) before its pipeline starts. 3 adds opt-outs and broadcasts, 4 flow
/// answers, 5 the flow tokens sent.
inline constexpr int current_project_layout = 5;

/// A project as stored (the sealed role password stays sealed here).
struct project_row {
  std::string id;
  std::int64_t seq = 0;
  std::string name;
  project_status status = project_status::provisioning;
  std::optional<std::string> status_detail;
  std::string settings_json;  ///< a JSON object
  std::string db_server;
  std::string db_name;
  std::string db_role;
  std::string db_password_sealed;
  std::string created_at;  ///< ISO 8601, UTC
  std::string updated_at;
  std::string whatsapp_json;            ///< {"phone_number_id", "waba_id", "display_phone_number",
                                        ///< "verified_name"}, or ""
  int layout = current_project_layout;  ///< see current_project_layout
};

/// What creating a project stores.
struct new_project {
  std::string id;
  std::string name;
  std::string settings_json;
  std::string db_name;
  std::string db_role;
  std::string db_password_sealed;
  std::string initial_bot_json;  ///< stored as bot version 1
};

/// A connected number with its sealed secrets.
struct number_row {
  std::string phone_number_id;
  std::string project_id;
  std::string waba_id;
  std::string display_phone_number;
  std::string verified_name;
  std::string access_token_sealed;
  std::string pin_sealed;
  /// What Meta reported about the number (JSON, actors/core/number_health.hpp).
  std::string health_json = "{}";
};

/// Marks the number's token refused by Meta (`error_json`: Meta's error object), if the number
/// still has that token; the project shows `whatsapp.status` "token_invalid" until it is
/// connected again. False if nothing changed.
bool mark_token_invalid(pqxx::connection& c, const std::string& phone_number_id,
                        const std::string& access_token_sealed, const std::string& error_json);

/// Marks the number's token good again (Meta took a send with it) if the number still has that
/// token. False if nothing changed.
bool mark_token_valid(pqxx::connection& c, const std::string& phone_number_id,
                      const std::string& access_token_sealed);

/// Connects `n` to its project, replacing the project's previous number (its token valid),
/// with the health `health_of` makes of what was stored for that number ("{}" if nothing); the
/// project's signup, if any, ends with it.
/// Returns false (and changes nothing) when another project owns that phone_number_id.
bool connect_number(pqxx::connection& c, const number_row& n,
                    const std::function<std::string(const std::string&)>& health_of);

/// The project that owns `phone_number_id`, if any.
std::optional<std::string> number_owner(pqxx::connection& c, const std::string& phone_number_id);

/// Whether a project that is active or paused owns `phone_number_id`.
bool number_has_live_project(pqxx::connection& c, const std::string& phone_number_id);

/// A number of a live project: which project, its phone_number_id and display number.
struct number_owner_row {
  std::string project_id;
  std::string phone_number_id;
  std::string display_phone_number;
};

/// The numbers of WABA `waba_id` that active or paused projects own.
std::vector<number_owner_row> waba_numbers(pqxx::connection& c, const std::string& waba_id);

/// The number of a project, if connected.
std::optional<number_row> number_of(pqxx::connection& c, const std::string& project_id);

/// Every connected number of a live project (for the routing directory at start).
std::vector<number_row> live_numbers(pqxx::connection& c);

/// Disconnects the project's number (on deletion).
void disconnect_number(pqxx::connection& c, const std::string& project_id);

/// A project API key as listed (never the key itself).
struct key_row {
  std::string id;
  std::string project_id;
  std::string name;
  std::string key_prefix;
  std::string created_at;
};

/// Stores a new project (status provisioning) and its first bot version, in one transaction.
project_row insert_project(pqxx::connection& c, const new_project& p);

/// The project, unless unknown or deleted.
std::optional<project_row> find_project(pqxx::connection& c, const std::string& id);

/// Every project that is not deleted, in creation order (for start-up).
std::vector<project_row> live_projects(pqxx::connection& c);

/// Up to `limit` live projects with seq > `after_seq`, in creation order.
std::vector<project_row> list_projects(pqxx::connection& c, std::int64_t after_seq, int limit);

/// Sets status and detail (and provisioned_at when becoming active the first time).
project_row set_project_status(pqxx::connection& c, const std::string& id, project_status status,
                               const std::optional<std::string>& detail);

/// Records that the project's database has `layout` now.
project_row set_project_layout(pqxx::connection& c, const std::string& id, int layout);

/// Sets name and/or settings.
project_row update_project(pqxx::connection& c, const std::string& id,
                           const std::optional<std::string>& name,
                           const std::optional<std::string>& settings_json);

key_row insert_key(pqxx::connection& c, const std::string& id, const std::string& project_id,
                   const std::string& name, const std::string& key_hash,
                   const std::string& key_prefix);
key_row insert_key(pqxx::transaction_base& tx, const std::string& id, const std::string& project_id,
                   const std::string& name, const std::string& key_hash,
                   const std::string& key_prefix);
/// Whether the project has an unrevoked key with this hash.
bool key_is_live(pqxx::transaction_base& tx, const std::string& project_id,
                 const std::string& key_hash);
std::vector<key_row> list_keys(pqxx::connection& c, const std::string& project_id);
/// Whether an unrevoked key was revoked now.
bool revoke_key(pqxx::connection& c, const std::string& project_id, const std::string& key_id);
/// The project (first) and id (second) of an unrevoked key with this hash, if its project is
/// live.
std::optional<std::pair<std::string, std::string>> project_of_key(pqxx::connection& c,
                                                                  const std::string& key_hash);

}  // namespace paige::storage
