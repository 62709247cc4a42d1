/// @file
/// @brief The project's message templates (admin key or the project's own key); views as
/// actors/project_templates.hpp shows them:
///   POST   /v1/projects/{project_id}/templates {name, language, category, parameter_format?,
///          components, allow_category_change?} — checked against Meta's rules (422
///          invalid_template, a pointer per problem), submitted to Meta: 201 the view (PENDING
///          until Meta decides); 409 template_exists, whatsapp_not_connected
///   GET    /v1/projects/{project_id}/templates?status=&name=&limit=&cursor= — by name and
///          language: {"items", "next_cursor"}
///   GET    /v1/projects/{project_id}/templates/{name}/{language} — one; 404 template_not_found
///   PATCH  /v1/projects/{project_id}/templates/{name}/{language} {components?, category?} —
///          the template changed as Meta allows (checked whole), in review again; 409
///          template_not_editable
///   DELETE /v1/projects/{project_id}/templates/{name}[/{language}] — at Meta, then here:
///          {"deleted": n}
///   POST   /v1/projects/{project_id}/templates/media (body: the file, its Content-Type) — a
///          media header's example uploaded to Meta: 201 {"handle"} for example.header_handle;
///          422 invalid_media, 409 app_id_not_configured
///   POST   /v1/projects/{project_id}/templates/sync — the stored templates made Meta's list
///          (those made outside Paige too): {"templates": n}
/// Meta's refusals: 422 whatsapp_rejected, whatsapp_token_invalid; 502 graph_unavailable.
#pragma once

#include "api/project_routes.hpp"
#include "api/router.hpp"

#include <nlohmann/json.hpp>

#include <functional>

namespace paige::api {

void add_template_routes(router& routes, project_routes_context ctx);

/// For a message of type template: judges it against the project's approved templates and
/// answers the refusal (404 template_not_found, 409 template_not_approved, 422
/// invalid_template_parameters with a pointer per problem), or runs `send`. Other messages go
/// to `send` at once.
void judge_template_send(const project_routes_context& ctx, const std::string& project_id,
                         const nlohmann::json& message, responder respond,
                         std::function<void()> send);

}  // namespace paige::api
