/// @file
/// @brief Broadcasts: an approved template sent to an audience (admin key or the project's own
/// key); views as actors/broadcast_runner.hpp's broadcast_view shows them:
///   POST /v1/projects/{project_id}/broadcasts {name?, template: {name, language}, audience,
///        components?, schedule_at?} — checked (422 invalid_broadcast with a pointer per
///        problem), its template judged with the components as sent (404 template_not_found,
///        409 template_not_approved, 422 invalid_template_parameters): 201 the broadcast,
///        running (or scheduled)
///   POST /v1/projects/{project_id}/broadcasts/audience {audience} — {"count"} of recipients now
///   GET  /v1/projects/{project_id}/broadcasts?limit=&cursor= — newest first
///   GET  /v1/projects/{project_id}/broadcasts/{broadcast_id} — with its progress
///   GET  /v1/projects/{project_id}/broadcasts/{broadcast_id}/recipients?status=&limit=&cursor=
///   POST /v1/projects/{project_id}/broadcasts/{broadcast_id}/pause | resume | cancel — 409
///        broadcast_state when the action does not apply
#pragma once

#include "api/project_routes.hpp"
#include "api/router.hpp"

namespace paige::api {

void add_broadcast_routes(router& routes, project_routes_context ctx);

}  // namespace paige::api
