/// @file
/// @brief What Meta reports about the project's WhatsApp account, and the display name's
/// review (admin key or the project's own key):
///   GET  /v1/projects/{project_id}/whatsapp/events?field=&limit=&cursor= — Meta's webhook
///        changes other than messages (quality, account, name review, alerts, templates,
///        flows), newest first: {"items": [{id, field, waba_id, phone_number_id, event_time,
///        received_at, value}], "next_cursor"}; 422 invalid_field, invalid_limit, invalid_cursor
///   POST /v1/projects/{project_id}/whatsapp/display-name {"name"} — asks Meta to review the
///        name; answers the project's whatsapp view (health.display_name pending_review);
///        422 invalid_display_name, 409 whatsapp_not_connected, Meta's refusals as for connecting
#pragma once

#include "api/project_routes.hpp"
#include "api/router.hpp"

namespace paige::api {

void add_account_routes(router& routes, project_routes_context ctx);

}  // namespace paige::api
