/// @file
/// @brief Every route of Paige's HTTP API in one call: the runtime serves these, and the
/// OpenAPI test checks them against api/web/openapi.json.
#pragma once

#include "api/ops_routes.hpp"
#include "api/project_routes.hpp"
#include "api/router.hpp"
#include "api/webhook_routes.hpp"

namespace paige::metrics {
class registry;
}

namespace paige::api {

/// What the routes need, built once by the runtime.
struct api_routes_context {
  readiness_probe probe;
  const metrics::registry* metrics = nullptr;
  project_routes_context projects;  ///< every /v1/projects route
  webhook_context webhooks;
};

void add_api_routes(router& routes, api_routes_context ctx);

}  // namespace paige::api
