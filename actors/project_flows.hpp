/// @file
/// @brief The project actor's WhatsApp Flows (spec/meta-cloud-api.md §9, docs/flows.md): made,
/// changed, published, deprecated and deleted at Meta through the account actor, stored in the
/// control database (storage/flows.hpp), their status kept current from Meta's `flows`
/// webhook. Flows are views as the API shows them (`{"id", "name", "categories",
/// "endpoint_uri", "status", "validation_errors", "flow_json", "created_at", "updated_at"}`,
/// compact JSON; lists leave flow_json out).
#pragma once

#include "actors/project_actor.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace pqxx {
class transaction_base;
}

namespace paige::actors {

using project_self = caf::stateful_actor<project_state>*;

/// Reads the stored flows onto the project's flow shelf (at start, after each change).
void load_flows(project_self self);

/// Makes a flow (checked by the caller: flow_rules.hpp) at Meta as a DRAFT and stores it with
/// the problems Meta found in its Flow JSON | flow_exists | whatsapp_not_connected | Graph
/// errors.
caf::result<std::string> create_flow(project_self self, std::string body_json);

/// `{"items": [views without flow_json], "next": name | null}`, by name.
caf::result<std::string> list_flows(project_self self, std::string status, std::string after,
                                    int limit);

/// One view | flow_not_found.
caf::result<std::string> get_flow(project_self self, std::string name);

/// Changes a DRAFT's name, categories, endpoint and/or Flow JSON (checked by the caller) at
/// Meta, then here | flow_state (not a DRAFT) | flow_exists (the new name) | flow_not_found.
caf::result<std::string> edit_flow(project_self self, std::string name, std::string patch_json);

/// Deletes a DRAFT at Meta, then here: `{"deleted": true}` | flow_state | flow_not_found.
caf::result<std::string> delete_flow(project_self self, std::string name);

/// Publishes a DRAFT without validation errors | flow_state | invalid_flow (its problems).
caf::result<std::string> publish_flow(project_self self, std::string name);

/// Deprecates a PUBLISHED (or BLOCKED, THROTTLED) flow | flow_state.
caf::result<std::string> deprecate_flow(project_self self, std::string name);

/// Meta's preview link of the flow: `{"preview_url", "expires_at"}`.
caf::result<std::string> flow_preview(project_self self, std::string name);

/// The number's key pair for the data-exchange endpoint as the API shows it:
/// `{"phone_number_id", "public_key", "signature_status", "created_at"}` (Meta's status read
/// now) | not_found flow_key_missing.
caf::result<std::string> flow_key_view(project_self self);

/// Makes the number a new key pair (the private key sealed), stores it and uploads the public
/// key to Meta; the view after | whatsapp_not_connected | Graph errors.
caf::result<std::string> make_flow_key(project_self self);

/// The private key (PEM) the endpoint decrypts requests with | not_found flow_key_missing.
caf::result<std::string> flow_private_key(project_self self);

/// An endpoint session: `{"known", "flow": {"flow_json", "data_sources"}}`, known when this
/// project sent a flow message with `flow_token` and has the flow it names.
caf::result<std::string> flow_session(project_self self, std::string flow_token);

/// Applies a `flows` webhook (a status change, an endpoint alert) in the transaction recording
/// it: what it changed is appended to `changed` (a view, or `{"alert": value}`).
void apply_flow_webhook(pqxx::transaction_base& tx, const std::string& project_id,
                        std::int64_t time, const nlohmann::json& value, nlohmann::json& changed);

/// After webhooks changed flows (committed): flow.updated / flow.alert published.
void flows_changed(project_self self, const nlohmann::json& changed);

}  // namespace paige::actors
