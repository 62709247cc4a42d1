/// @file
/// @brief Authentication and project scoping around route handlers.
#pragma once

#include "api/http_types.hpp"

#include <caf/fwd.hpp>

namespace paige::api {

class authenticator;

/// Who may call a route.
enum class access {
  admin,        ///< the admin key only (a project key: 403 on its own project, 404 elsewhere)
  own_project,  ///< the admin key, or the key of the project in {project_id}
};

/// `inner` behind authentication: 401 without a valid key, 503 when keys cannot be checked,
/// 404 `project_not_found` for a project key on another project, 403 when the route needs
/// the admin key.
handler guarded(const authenticator& auth, access level, handler inner);

/// A callback that answers with the HTTP form of an actor error.
std::function<void(const caf::error&)> fail_with(responder respond);

}  // namespace paige::api
