/// @file
/// @brief The Meta sync supervisor: every outbound Graph API call goes through it.
///
/// Protocol:
///   (graph_call_atom, method, path, access_token, body_json) → graph_result
///       one Graph call; a transport failure or HTTP error is a graph_result (not a
///       caf::error), so callers can act on Meta's code.
///   (graph_upload_atom, path, access_token, bytes) → graph_result
///       bytes sent to a Resumable Upload session (graph_api::upload).
///   (graph_form_atom, path, access_token, content_type, body) → graph_result
///       a form POSTed (graph_api::post_form: a flow's multipart asset).
///   (number_atom, project_id, phone_number_id, access_token, persistence_worker, project_actor,
///   rate)
///       the project's number and its send rate (messages/s); queued messages go out from it.
///   (rate_atom, project_id, rate)      a new send rate for the project's number.
///   (send_atom, project_id, wa_id, std::vector<outbound_item>)
///       queues outbound messages (already stored as `queued`) for a contact.
///   (hold_atom, project_id, held, seq) from the project actor: Meta restricted or banned the
///       number, or refused its sends for the account (number_health.hpp): while held, nothing
///       is sent; released, one send goes at a time until Meta takes one. Send it before the
///       number_atom of a (re)started project actor: number_atom keeps the hold. `seq` is the
///       last refusal the project actor was told of: a release with an older one is ignored
///       (this actor held the number since).
///   (bulk_pending_atom, project_id) → std::int64_t
///       the project's broadcast messages (outbound_item::bulk) queued here, in flight or with
///       an outcome not yet recorded: what its broadcast runners keep under their window.
///
/// Sending: per contact, one message at a time in queue order; the next send to a contact
/// waits for Meta's answer to the previous one (and for its retries), while different
/// contacts proceed in parallel, taking turns. Per project: a token bucket paces sends to the
/// number's rate (so Paige stays under Meta's limit instead of collecting 130429s), and at
/// most `max_in_flight` sends (16) are in flight, so a project whose sends hang cannot hold
/// every connection. Meta's answer (wamid, or failed with the error) is recorded in the
/// project database through the project actor, and kept and asked again until it is: while
/// the database is down, after its restart, across the project actor's restarts. A message is
/// known here from when it is queued until its outcome is recorded, so an outbox read again
/// (which returns it as long as it is `queued` there) never sends it twice; messages of a
/// contact go out in id order.
/// Failures follow send_policy.hpp: transient ones back off with jitter (only that contact
/// waits; 131056 waits longer), bounded by attempts and age; permanent ones fail the message.
/// A refused token (190) fails nothing: every send of the number waits, untried, and the
/// project actor is told once (token_invalid_atom); the next number_atom (connected again, or
/// the project actor restarted) tries again. After each number_atom one send goes at a time
/// until Meta takes one, so a bad token costs one refused call.
/// A send refused for the account (368 blocked, 131031 locked) fails nothing either: the
/// number's sends are held at once, untried, and the project actor is told (account_refused_atom),
/// which stores it and releases the hold when it ends.
/// A timed-out send may still have reached Meta (it has no idempotency key): the retry can
/// duplicate it, which we accept over losing it.
#pragma once

#include "actors/graph_api.hpp"

#include "storage/message_log.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

#include <functional>
#include <memory>
#include <optional>

namespace paige::metrics {
class registry;
}

namespace pqxx {
class transaction_base;
}

namespace paige::actors {

using graph_call_atom = caf::atom_constant<caf::atom("graphcall")>;
using graph_upload_atom = caf::atom_constant<caf::atom("graphup")>;
using graph_form_atom = caf::atom_constant<caf::atom("graphform")>;
using number_atom = caf::atom_constant<caf::atom("number")>;
using rate_atom = caf::atom_constant<caf::atom("rate")>;
using bulk_pending_atom = caf::atom_constant<caf::atom("bulkpend")>;
/// To the project actor: (record_atom, message_id, wamid, again) — Meta accepted a send;
/// `again`: asked before, its first commit may have gone through — or
/// (record_atom, message_id, status_job) — another outcome to store — → ok_atom once
/// committed (and published), or the error; asked again until it is ok.
using record_atom = caf::atom_constant<caf::atom("record")>;
/// To the project actor: (token_invalid_atom, access_token, error_json) — Meta refused this
/// token of the number (the project may have connected a new one since); its sends wait. No
/// reply.
using token_invalid_atom = caf::atom_constant<caf::atom("tokenbad")>;
/// To the project actor: (token_works_atom, access_token) — Meta took a send with this token
/// (the first after each number_atom). No reply.
using token_works_atom = caf::atom_constant<caf::atom("tokenok")>;
/// To meta_sync: (hold_atom, project_id, bool held, std::uint64_t seq). No reply.
using hold_atom = caf::atom_constant<caf::atom("hold")>;
/// To the project actor: (account_refused_atom, error_json, std::uint64_t seq) — Meta refused a
/// send for the account; the number's sends are held (seq numbers these holds). No reply.
using account_refused_atom = caf::atom_constant<caf::atom("accrefused")>;

/// Stores an outcome; the change it made, if any.
using status_job = std::function<std::optional<storage::status_change>(pqxx::transaction_base&)>;

/// Spawns the supervisor over `graph`, which must outlive the actor system's use of it.
caf::actor spawn_meta_sync(caf::actor_system& sys, std::shared_ptr<graph_api> graph,
                           metrics::registry* metrics = nullptr, int max_in_flight = 16);

}  // namespace paige::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::status_job)
