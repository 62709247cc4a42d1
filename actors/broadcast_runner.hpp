/// @file
/// @brief The broadcast runner: one actor per running broadcast, spawned by its project actor.
///
/// In rounds, on the broadcasts' own database connections (project_services::broadcast_db, so
/// its batches never hold the message pipeline): it reads the next part of the audience into
/// recipients (storage/broadcasts.hpp) while few are pending, then queues as many pending
/// recipients as the number's pace leaves room for — each recipient's message checked against
/// the approved template (actors/core/template_send.hpp) and stored with the recipient marked
/// queued, in one transaction — and hands them to the Meta sync supervisor as bulk sends,
/// which go after every live reply of the project. Recipients who opted out, or whose values
/// do not fit the template, are skipped with the reason. A template that is no longer approved
/// pauses the broadcast. Past the number's messaging-limit tier (unique users a day, counted
/// from the project's broadcast messages of the last 24 hours, again each minute while it
/// waits) it waits, with `status_detail` saying so. Once every recipient is queued or skipped
/// and Meta answered every message, the broadcast is completed.
///
/// A restart loses nothing: recipients and their messages are stored together, queued messages
/// are the outbox's (read again at start), and the runner of a running broadcast starts again
/// where the stored recipients say.
///
/// Messages: (caf::tick_atom) to itself: a round. To the project actor:
/// (broadcast_ended_atom, id, status) when the broadcast completes, pauses itself or fails.
/// Events (to the project's hub): broadcast.progress {"broadcast": view} at most every 2 s
/// while it runs, and when it ends.
#pragma once

#include "actors/flow_shelf.hpp"
#include "actors/template_shelf.hpp"
#include "storage/broadcasts.hpp"

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace paige::metrics {
class registry;
}

namespace paige::actors {

using broadcast_ended_atom = caf::atom_constant<caf::atom("bcastend")>;
/// To a runner: stop after the round in flight (whose queued messages still go to meta_sync).
using broadcast_stop_atom = caf::atom_constant<caf::atom("bcaststop")>;
/// To a runner: (broadcast_limit_atom, tier) the number's messaging-limit tier changed.
using broadcast_limit_atom = caf::atom_constant<caf::atom("bcastlim")>;

struct broadcast_context {
  std::string project_id;
  std::int64_t broadcast_id = 0;
  std::string conninfo;  ///< the project database, as the project's role
  caf::actor database;   ///< project_services::broadcast_db
  caf::actor meta_sync;
  caf::actor events;   ///< the project's event hub
  caf::actor project;  ///< told when the broadcast ends
  std::shared_ptr<const template_shelf> templates;
  std::shared_ptr<const flow_shelf> flows;  ///< tokens for the template's flow buttons
  double rate = 80;                         ///< the number's messages per second
  /// Meta's messaging-limit tier of the number ("TIER_1K"...; "" unknown): the unique users a
  /// day its broadcasts may reach (a broadcast waits for the next day's room past it).
  std::string messaging_limit;
  metrics::registry* metrics = nullptr;
};

/// The broadcast as the API shows it: its row, with `progress` (storage::broadcast_progress).
std::string broadcast_view(const storage::broadcast_row& b, const std::string& progress_json);

/// Spawns the runner for `parent` (the project actor, which it monitors: it ends with it; the
/// project actor stops it with broadcast_stop_atom when the broadcast is paused or cancelled).
caf::actor spawn_broadcast_runner(caf::local_actor* parent, broadcast_context ctx);

}  // namespace paige::actors
