/// @file
/// @brief The project actor's part in the number's health (actors/core/number_health.hpp):
/// Meta's account changes recorded once each, the health they change stored in the same
/// transaction, published as live events, and the number's sends held while Meta restricts
/// them.
///
/// Every change of the stored health goes through one transaction that locks the number's
/// row, so webhooks, refusals and the hold's end never overwrite each other.
#pragma once

#include "actors/batch_ack.hpp"
#include "actors/inbound.hpp"
#include "actors/project_actor.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace paige::actors {

using project_self = caf::stateful_actor<project_state>*;

/// Publishes an event of the project itself (no conversation: conversation_id 0) on its hub.
void publish_project_event(project_self self, const std::string& type, nlohmann::json data);

/// To the project actor itself: a hold on the number's sends may have ended.
using health_check_atom = caf::atom_constant<caf::atom("healthchk")>;

/// Records webhook changes of the number's account (deduplicated), applies them to its health,
/// publishes them; `ack` is called once they are committed (or with why not: Meta redelivers).
void record_account_changes(project_self self, std::vector<account_change> changes, batch_ack ack);

/// Meta refused a send for the account (from meta_sync, which holds the sends already; `seq`
/// numbers its refusals: a release older than the last is ignored there).
void record_sends_refused(project_self self, const std::string& error_json, std::uint64_t seq);

/// The health judged now (a hold that ended releases the sends): stored if that changed it,
/// and the hold handed to meta_sync. Call with `with_number` right before the number is
/// handed to meta_sync (a start, a connect: what is stored then decides, whatever meta_sync
/// held before), and without when a hold's end is due (health_check_atom).
void settle_number_health(project_self self, bool with_number = false);

/// Asks the account actor to request `name` as the number's display name (Meta reviews it),
/// then stores the pending review.
caf::result<std::string> request_display_name(project_self self, std::string name);

}  // namespace paige::actors
