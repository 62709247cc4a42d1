/// @file
/// @brief The Bot section of the API: the current definition and new versions.
#pragma once

#include "api/project_routes.hpp"

namespace paige::api {

/// Adds GET and PUT /v1/projects/{project_id}/bot (admin key or the project's own key).
/// PUT validates the whole definition first: 422 `invalid_bot` lists every problem with its
/// JSON pointer in details.problems, and the current version stays.
void add_bot_routes(router& routes, project_routes_context ctx);

}  // namespace paige::api
