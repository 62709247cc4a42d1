/// @file
/// @brief GET /v1/me: who the caller's key is, and the limits the pages show.
///
/// The dashboard signs in with a key and must learn whether it is the admin key or a project
/// key (and which project) without trying endpoints that would answer 403.
#pragma once

#include "api/project_routes.hpp"
#include "api/router.hpp"

namespace paige::api {

/// Adds GET /v1/me: `{"role": "admin"}` or `{"role": "project", "project_id", "key_id"}`, with
/// `limits` (the SQL endpoint's timeout, row cap and byte cap); 401 without a valid key.
void add_session_routes(router& routes, const project_routes_context& ctx);

}  // namespace paige::api
