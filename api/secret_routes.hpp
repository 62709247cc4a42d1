/// @file
/// @brief The Secrets section of the API: values a project's bot is given, write-only.
#pragma once

#include "api/project_routes.hpp"

namespace paige::api {

/// Adds PUT, DELETE /v1/projects/{project_id}/secrets/{name} and GET .../secrets (admin key or
/// the project's own key). A value is never returned: GET lists names and times.
void add_secret_routes(router& routes, project_routes_context ctx);

}  // namespace paige::api
