/// @file
/// @brief How failures become HTTP errors.
#pragma once

#include "actors/core/outbound_rules.hpp"
#include "api/http_types.hpp"

#include <caf/fwd.hpp>
#include <nlohmann/json.hpp>

#include <vector>

namespace paige::api {

/// The response for an actor error: not_found → 404, conflict → 409, invalid_argument → 422,
/// upstream (Meta) → 502, db_unavailable/timeout → 503, anything else → 500 (details only in the
/// log). The error's API code is used when it has one of that status.
http_response error_response(const caf::error& err);

/// `code` with the first problem's message and every problem in `details.problems`.
http_response problems_response(api_code code, const std::vector<actors::problem>& problems);

}  // namespace paige::api
