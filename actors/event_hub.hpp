/// @file
/// @brief A project's live events: one hub actor per project numbers them, keeps a bounded
/// window for replay, and hands each to its subscribers.
///
/// Publishers (the project's conversation actors and the project actor) send and forget, so
/// publishing never waits for a subscriber. Events of one conversation come from one actor,
/// so they reach the hub, and every subscriber, in the order they happened. A subscriber is a
/// non-blocking sink (an HTTP stream queues the frame): one that reports itself closed, or
/// that the stream dropped for falling behind, is forgotten.
///
/// Event ids are `<epoch>-<seq>`: `seq` counts from 1 in this hub and `epoch` tells hubs (and
/// process starts) apart, so a Last-Event-ID from before a restart is recognised as a gap.
///
/// Protocol:
///   (publish_atom, type, conversation_id, data_json)   — no reply
///   (subscribe_atom, last_event_id, conversation_filter, event_sink) — no reply; replays the
///       window after `last_event_id` first, preceded by an `events.lost` event when events
///       after it are no longer in the window. Without a `last_event_id` the first frame is the
///       current position alone (`id: <epoch>-<seq>`, no event), so a client that drops before
///       any event arrives still resumes from where it started (or learns of a restart).
///   (hub_read_atom) → std::string: the window, oldest first, as a JSON array of
///       {"id", "type", "data"}
#pragma once

#include "storage/message_log.hpp"

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace paige::actors {

using publish_atom = caf::atom_constant<caf::atom("publish")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using hub_read_atom = caf::atom_constant<caf::atom("hubread")>;

/// A subscriber: receives SSE frames (`id:`, `event:`, `data:` lines) and must not block.
struct event_subscriber {
  virtual ~event_subscriber() = default;
  /// false: the subscriber is gone and is forgotten.
  virtual bool deliver(const std::string& frame) = 0;
  /// The hub ends (its project actor stopped or restarted): the subscriber should reconnect.
  virtual void end() = 0;
};
using event_sink = std::shared_ptr<event_subscriber>;

struct event_hub_options {
  std::string project_id;
  std::size_t window = 1000;  ///< events kept for replay
  /// Bytes of event data kept for replay (0: no bound but `window`): the oldest go first.
  std::size_t window_bytes = 0;
};

/// Spawns the hub linked to `parent` (it ends with its project actor, ending its subscribers).
caf::actor spawn_event_hub(caf::local_actor* parent, event_hub_options opts);

/// Publishes message.status for a stored status change (no-op without a hub).
void publish_status(const caf::actor& hub, const storage::status_change& change);

/// The SSE frame of one event.
std::string event_frame(const std::string& id, const std::string& type,
                        const std::string& data_json);

}  // namespace paige::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::event_sink)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::status_change)
