/// @file
/// @brief The Meta sync supervisor: every outbound Graph API call goes through it.
///
/// Protocol:
///   (graph_call_atom, method, path, access_token, body_json) → graph_result
///       one Graph call; a transport failure or HTTP error is a graph_result (not a
///       caf::error), so callers can act on Meta's code.
///   (number_atom, project_id, phone_number_id, access_token, persistence_worker)
///       the project's number; its queued messages go out from it.
///   (send_atom, project_id, wa_id, std::vector<outbound_item>)
///       queues outbound messages (already stored as `queued`) for a contact.
///
/// Sending: per contact, one message at a time in queue order; the next send to a contact
/// waits for Meta's answer to the previous one, while different contacts proceed in
/// parallel. Meta's answer is recorded (wamid, or failed with the error) in the project
/// database. Transient failures (network, timeouts, 5xx, throughput codes) are retried with
/// backoff before the next message to that contact; the rest fail the message for good.
/// A timed-out send may still have reached Meta (it has no idempotency key): the retry can
/// duplicate it, which we accept over losing it.
#pragma once

#include "actors/graph_api.hpp"

#include <caf/atom.hpp>
#include <caf/fwd.hpp>

#include <memory>

namespace paige::actors {

using graph_call_atom = caf::atom_constant<caf::atom("graphcall")>;
using number_atom = caf::atom_constant<caf::atom("number")>;

/// Spawns the supervisor over `graph`, which must outlive the actor system's use of it.
caf::actor spawn_meta_sync(caf::actor_system& sys, std::shared_ptr<graph_api> graph);

/// Whether a failed send is worth retrying (spec/meta-cloud-api.md §6).
bool is_transient_send_failure(const graph_result& r);

}  // namespace paige::actors
