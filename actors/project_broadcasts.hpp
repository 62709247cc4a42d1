/// @file
/// @brief The project actor's broadcasts (storage/broadcasts.hpp, actors/broadcast_runner.hpp):
/// made (checked by the caller: actors/core/broadcast_rules.hpp, and the template's verdict),
/// listed, read with their progress and recipients, paused, resumed and cancelled; scheduled
/// ones woken at their time; running ones run by one runner each, started again when the
/// project starts. Broadcasts are views as broadcast_view shows them (compact JSON).
#pragma once

#include "actors/project_actor.hpp"

#include <cstdint>
#include <string>

namespace paige::actors {

using project_self = caf::stateful_actor<project_state>*;

/// To the project actor itself: a scheduled broadcast may be due.
using broadcast_due_atom = caf::atom_constant<caf::atom("bcdue")>;

/// Stores the broadcast (`schedule_at` > 0: scheduled then) and starts it when it is not
/// scheduled | project_not_ready, whatsapp_not_connected | invalid_broadcast (a table or
/// column of the audience the project database lacks).
caf::result<std::string> create_broadcast(project_self self, std::string body_json,
                                          std::int64_t schedule_at);

/// `{"items": [views without progress], "next_before": id | 0}`, newest first.
caf::result<std::string> list_broadcasts(project_self self, std::int64_t before, int limit);

/// One view with its progress | broadcast_not_found.
caf::result<std::string> get_broadcast(project_self self, std::int64_t id);

/// The broadcast's recipients (storage::broadcast_recipients) | broadcast_not_found.
caf::result<std::string> list_recipients(project_self self, std::int64_t id, std::string status,
                                         std::int64_t after_seq, int limit);

/// `action`: pause (running or scheduled), resume (paused), cancel (not yet ended); the view
/// after | broadcast_not_found | broadcast_state (not in a state the action applies to).
caf::result<std::string> control_broadcast(project_self self, std::int64_t id, std::string action);

/// How many recipients an audience has now: `{"count": n}`.
caf::result<std::string> count_audience(project_self self, std::string audience_json);

/// Runs the running broadcasts and arms the scheduled ones (when the pipeline starts).
void resume_broadcasts(project_self self);

/// A scheduled broadcast's time may have come (broadcast_due_atom).
void wake_broadcast(project_self self, std::int64_t id);

/// The number's messaging-limit tier as stored in its health ("" unknown).
std::string messaging_limit_of(const project_state& st);

/// The number's health changed: its runners learn the messaging limit now.
void tell_runners_limit(project_self self);

/// A runner ended (completed, paused itself, or found the broadcast stopped).
void broadcast_ended(project_self self, std::int64_t id, const std::string& status);

}  // namespace paige::actors
