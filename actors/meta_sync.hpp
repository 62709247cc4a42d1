/// @file
/// @brief The Meta sync supervisor: every outbound Graph API call goes through it.
///
/// Protocol:
///   (graph_call_atom, method, path, access_token, body_json) → graph_result
/// The reply arrives when Meta answered (or the HTTP client gave up): a transport failure or
/// an HTTP error is a graph_result, not a caf::error, so callers can act on Meta's code.
#pragma once

#include "actors/graph_api.hpp"

#include <caf/atom.hpp>
#include <caf/fwd.hpp>

#include <memory>

namespace paige::actors {

using graph_call_atom = caf::atom_constant<caf::atom("graphcall")>;

/// Spawns the supervisor over `graph`, which must outlive the actor system's use of it.
caf::actor spawn_meta_sync(caf::actor_system& sys, std::shared_ptr<graph_api> graph);

}  // namespace paige::actors
