/// @file
/// @brief How failures become HTTP errors.
#pragma once

#include "api/http_types.hpp"

#include <caf/fwd.hpp>

namespace paige::api {

/// The response for an actor error: not_found → 404, conflict → 409, invalid_argument → 422,
/// upstream (Meta) → 502, db_unavailable/timeout → 503, anything else → 500 (details only in the
/// log). The error's API code is used when it has one of that status.
http_response error_response(const caf::error& err);

}  // namespace paige::api
