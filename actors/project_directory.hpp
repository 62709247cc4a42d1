/// @file
/// @brief The project directory: creates projects, finds their actors, supervises them.
///
/// The API's single entry point for projects. It holds `project id → project actor` for every
/// live project (loaded at start), spawns the actor of a new project, restarts an actor that
/// crashed (from its stored row), and forgets one that finished deleting.
///
/// Protocol (dynamically typed; errors carry API codes):
///   (create_atom, name, settings_json)        → project_info (status provisioning)
///   (list_atom, after_seq, limit)             → project_page
///   (get_atom, id)                            → project_info        | not_found project_not_found
///   (update_atom, id, project_patch)          → project_info
///   (pause_atom | resume_atom | remove_atom, id) → project_info
///   (conninfo_atom, id)                       → std::string (project role's connection string)
///   (bot_get_atom, id)                        → bot_info (the current version)
///   (bot_put_atom, id, definition_json)       → bot_info (the new version; validate first)
///   (bot_versions_atom, id)                   → std::vector<bot_info> (kept versions, newest
///                                               first)
///   (bot_preview_atom, id, definition_json, version, bot::preview_request) → std::string: the
///                                               preview (project_preview.hpp; "" and 0: the
///                                               current version)
///   (connect_atom, id, phone_number_id, waba_id, access_token, pin) → project_info
///   (profile_get_atom, id) | (profile_set_atom, id, patch_json) → std::string profile JSON
///   (operator_send_atom, id, wa_id | conversation_id, message_json) → outbound_view (queued)
///   (messages_atom, id, conversation_id, before_id, limit) → std::vector<storage::message_row>
///   (query_atom, id, storage::project_read)   → storage::read_result
///   (subscribe_atom, id, last_event_id, conversation_filter, event_sink) → ok_atom
///   (change_state_atom, id, conversation_id, state, force, who) → std::string conversation JSON
///   (close_atom, id, conversation_id, who)    → std::string conversation JSON
///   (database_atom, id, storage::database_request, storage::database_rules)
///                                             → storage::database_outcome
///   (secret_put_atom, id, name, value)        → (std::string secret JSON {name, created_at,
///                                               updated_at}, bool created) | invalid_argument
///                                               invalid_secret_name / invalid_secret_value /
///                                               too_many_secrets
///   (secret_list_atom, id)                    → std::string {"items": [secret JSON...]}
///   (secret_delete_atom, id, name)            → ok_atom          | not_found secret_not_found
///   (key_create_atom, id, name)               → key_info (with the key, shown once)
///   (key_list_atom, id)                       → std::vector<key_info> (without keys)
///   (key_revoke_atom, id, key_id)             → ok_atom             | not_found key_not_found
///   (number_owned_atom, phone_number_id)     → bool: whether an active or paused project owns
///                                               the number (its actor may not be routing yet)
///   (waba_numbers_atom, waba_id)              → std::string: the WABA's numbers that active or
///                                               paused projects own, as JSON
///                                               [[project_id, phone_number_id, display], ...]
///   (account_events_atom, id, field, before_id, limit) → std::string: a JSON list of the
///                                               project's recorded account changes, newest
///                                               first (storage/whatsapp_events.hpp)
///   (display_name_atom, id, name)             → std::string (the whatsapp view)
///   (photo_atom, id, bytes, mime)             → std::string (the business profile)
///   (signup_atom, id, code, waba_id, phone_number_id, pin, redirect_uri) → project_info
///   (auth_atom, key_sha256)                   → (std::string project id, std::string key id) |
///   not_found
#pragma once

#include "actors/project_types.hpp"

#include <caf/fwd.hpp>

#include <vector>

namespace paige::actors {

/// Spawns the directory with the projects that exist at start (not deleted).
caf::actor spawn_project_directory(caf::actor_system& sys, services_ptr services,
                                   std::vector<storage::project_row> existing);

/// The generated names of a new project: its id and its database/role identifier.
struct project_identity {
  std::string id;       ///< "prj_" + 16 hex
  std::string db_name;  ///< "paige_p_" + the same hex (also the role's name)
};
project_identity new_project_identity();

/// A new API key: the key itself ("paige_pk_" + 40 hex), its SHA-256 and display prefix.
struct new_key {
  std::string key;
  std::string hash;
  std::string prefix;
};
new_key generate_project_key();

}  // namespace paige::actors
