/// @file
/// @brief The project's WhatsApp Business profile: GET and PATCH
/// /v1/projects/{project_id}/whatsapp/profile (admin key or the project's own key).
#pragma once

#include "api/project_routes.hpp"
#include "api/router.hpp"

namespace paige::api {

/// GET: the profile as Meta has it. PATCH `{"about"?, "address"?, "description"?, "email"?,
/// "websites"?, "vertical"?}`: checked against Meta's limits first (422 invalid_profile with
/// `details.field` and every problem), then sent to Meta; answers the profile read back.
/// 409 whatsapp_not_connected without a number; Meta's refusals as for connecting.
/// PUT .../whatsapp/profile/photo with the image as the body (Content-Type image/jpeg or
/// image/png, agreeing with the bytes): checked (5 MB, sides 192 to 8192: 422 invalid_photo),
/// then uploaded through Meta's Resumable Upload API and set; answers the profile.
void add_profile_routes(router& routes, project_routes_context ctx);

}  // namespace paige::api
