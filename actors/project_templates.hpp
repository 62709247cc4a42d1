/// @file
/// @brief The project actor's message templates (spec/meta-cloud-api.md §8): made, edited and
/// deleted through the account actor, stored in the control database (storage/templates.hpp),
/// kept current from Meta's template webhooks and a periodic read of Meta's list, and put on
/// the project's template shelf (actors/template_shelf.hpp) for its sends after each change.
/// Templates are views as the API shows them (`{"id", "name", "language", "category",
/// "parameter_format", "components", "status", "reason", "quality", "created_at",
/// "updated_at"}`, compact JSON).
#pragma once

#include "actors/project_actor.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace pqxx {
class transaction_base;
}

namespace paige::actors {

using project_self = caf::stateful_actor<project_state>*;

/// To the project actor itself: time for the periodic read of Meta's list.
using templates_due_atom = caf::atom_constant<caf::atom("tpldue")>;

/// Reads the stored templates onto the shelf (at start, after each change).
void load_templates(project_self self);

/// Submits a template checked by the caller (template_rules.hpp) to Meta and stores it | conflict
/// template_exists | whatsapp_not_connected | Graph errors.
caf::result<std::string> create_template(project_self self, std::string template_json);

/// `{"items": [views], "next": {"name", "language"} | null}`: ordered by name and language.
caf::result<std::string> list_templates(project_self self, std::string status, std::string name,
                                        std::string after_name, std::string after_language,
                                        int limit);

/// One view (from the shelf once Meta's list was read: as sends see it) | template_not_found.
caf::result<std::string> get_template(project_self self, std::string name, std::string language);

/// Sends new components and/or category (merged and checked by the caller) to Meta; the
/// template is in review again | template_not_editable (Meta edits APPROVED, REJECTED and
/// PAUSED ones, never an approved one's category) | template_not_found | Graph errors.
caf::result<std::string> edit_template(project_self self, std::string name, std::string language,
                                       std::string patch_json);

/// Deletes the template's `language` (empty: all of them) at Meta, then here: `{"deleted": n}`
/// | template_not_found | Graph errors.
caf::result<std::string> delete_templates(project_self self, std::string name,
                                          std::string language);

/// Makes the stored templates Meta's list (those made outside Paige too): `{"templates": n}`.
/// One read at a time; asked again meanwhile, it reads once more after.
caf::result<std::string> sync_templates(project_self self);

/// Applies a template webhook in the transaction recording it: what it changed is appended to
/// `changed` (a view, or `{"name", "language", "deleted": true}`); `resync` is set when Meta's
/// list must be read (an unknown template, an event only Meta's list settles).
void apply_template_webhook(pqxx::transaction_base& tx, const std::string& project_id,
                            const std::string& field, std::int64_t time,
                            const nlohmann::json& value, nlohmann::json& changed, bool& resync);

/// After webhooks changed templates (committed): template.updated / template.deleted
/// published, the shelf read again, Meta's list read if asked.
void templates_changed(project_self self, const nlohmann::json& changed, bool resync);

/// Arms the periodic read of Meta's list (every project_services::template_sync_interval).
void arm_template_sync(project_self self);

}  // namespace paige::actors
