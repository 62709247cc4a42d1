/// @file
/// @brief The readiness probe: a round trip through the actor system to the control database.
#pragma once

#include <caf/fwd.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace paige::actors {

/// Called once, on an actor thread: ready, or not with the reason.
using readiness_callback = std::function<void(bool ready, std::string reason)>;

/// Asks the control database pool to run `SELECT 1` and reports the outcome through `done`
/// (not ready when it fails or takes longer than `timeout`). Never blocks the caller.
void check_readiness(caf::actor_system& sys, const caf::actor& control_db,
                     std::chrono::milliseconds timeout, readiness_callback done);

}  // namespace paige::actors
