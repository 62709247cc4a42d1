/// @file
/// @brief Reads of the contacts and conversations API (spec/api.md § Contacts and
/// conversations), all cursor-paginated, newest first.
#pragma once

#include "api/project_routes.hpp"

namespace paige::api {

/// GET /v1/projects/{p}/contacts?search=, /contacts/{id}, /contacts/{id}/conversations,
/// /contacts/{id}/messages, /conversations?state=a,b&status=open|closed, /conversations/states,
/// /conversations/{c}. Admin key or the project's own key.
void add_conversation_routes(router& routes, project_routes_context ctx);

}  // namespace paige::api
