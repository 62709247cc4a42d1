/// @file
/// @brief The webhook's way to its project actors: one long-lived actor, and one deadline
/// sweep instead of a CAF request timeout per webhook.
///
/// An actor spawned per call with a request timeout (api/actor_call.hpp) costs, in CAF 0.17,
/// the actor's allocation and scheduling plus three events for the clock thread (the timeout
/// set, cancelled, and the actor's exit), each a wake-up; with statuses on, every message
/// brings four webhooks. The gateway forwards each batch as a request without a timeout and
/// keeps its callback; a sweep, armed only while something is outstanding, fails the ones
/// older than the deadline (sec::request_timeout, as a request timeout would), and their late
/// answers are ignored.
#pragma once

#include "actors/inbound.hpp"

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>

#include <chrono>
#include <functional>

namespace paige::api {

/// Called once, on an actor thread: with null when the project committed the batch, else
/// with why not.
using webhook_done = std::function<void(const caf::error*)>;

caf::actor spawn_webhook_gateway(caf::actor_system& sys, std::chrono::milliseconds deadline);

/// Asks `project` to store `batch` (webhook_atom); `done` runs once with the outcome.
void forward_batch(const caf::actor& gateway, caf::actor project, actors::number_batch batch, webhook_done done);

}  // namespace paige::api

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::api::webhook_done)
