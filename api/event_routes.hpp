/// @file
/// @brief Live events of a project as Server-Sent Events (spec/api.md § Contacts and
/// conversations): `GET /v1/projects/{p}/events`.
#pragma once

#include "api/project_routes.hpp"

namespace paige::api {

/// GET /v1/projects/{p}/events[?conversation_id=] → text/event-stream. Each event has an
/// `id:` (send it back as Last-Event-ID, header or `?last_event_id=`, to resume within the
/// project's replay window), an `event:` type and a `data:` JSON object. Admin key or the
/// project's own key.
void add_event_routes(router& routes, project_routes_context ctx);

}  // namespace paige::api
