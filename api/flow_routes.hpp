/// @file
/// @brief The project's WhatsApp Flows (admin key or the project's own key); views as
/// actors/project_flows.hpp shows them:
///   POST   /v1/projects/{project_id}/flows {name, categories, flow_json, endpoint_uri?} —
///          checked against Meta's rules (422 invalid_flow, a pointer per problem), made at Meta
///          as a DRAFT: 201 the view, with the problems Meta found in `validation_errors`; 409
///          flow_exists, whatsapp_not_connected
///   GET    /v1/projects/{project_id}/flows?status=&limit=&cursor= — by name, without flow_json:
///          {"items", "next_cursor"}
///   GET    /v1/projects/{project_id}/flows/{name} — one, with its flow_json; 404 flow_not_found
///   PATCH  /v1/projects/{project_id}/flows/{name} {name?, categories?, flow_json?,
///          endpoint_uri?} — a DRAFT changed at Meta (checked as for POST); 409 flow_state
///   DELETE /v1/projects/{project_id}/flows/{name} — a DRAFT, at Meta then here:
///          {"deleted": true}; 409 flow_state
///   POST   /v1/projects/{project_id}/flows/{name}/publish — a DRAFT without validation errors
///          (422 invalid_flow with them); PUBLISHED for good
///   POST   /v1/projects/{project_id}/flows/{name}/deprecate — a published flow; DEPRECATED
///   GET    /v1/projects/{project_id}/flows/{name}/preview — Meta's preview link:
///          {"preview_url", "expires_at"}
/// Meta's refusals: 422 whatsapp_rejected, whatsapp_token_invalid; 502 graph_unavailable.
#pragma once

#include "api/project_routes.hpp"
#include "api/router.hpp"

namespace paige::api {

void add_flow_routes(router& routes, project_routes_context ctx);

}  // namespace paige::api
