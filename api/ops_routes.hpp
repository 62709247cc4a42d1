/// @file
/// @brief The operational endpoints outside /v1: /healthz, /readyz, /metrics.
#pragma once

#include "api/router.hpp"

#include <functional>
#include <string>

namespace paige::metrics {
class registry;
}

namespace paige::api {

/// Asks whether the process can serve: calls `done(ready, reason)` once, from any thread.
using readiness_probe = std::function<void(std::function<void(bool, std::string)> done)>;

/// Adds GET /healthz (200 while the process runs), GET /readyz (200 when `probe` says ready,
/// else 503) and GET /metrics (Prometheus text) to `routes`.
void add_ops_routes(router& routes, readiness_probe probe, const metrics::registry& metrics);

}  // namespace paige::api
