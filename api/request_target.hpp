/// @file
/// @brief A request's target (origin form, "/v1/projects/x?limit=5") split for routing.
#pragma once

#include "api/http_types.hpp"

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace paige::api {

struct request_target {
  std::vector<std::string> segments;  ///< %-decoded path segments
  std::string path;                   ///< %-decoded path, for messages
  string_pairs query;                 ///< %-decoded query parameters, in order
};

/// The target's parts, or the response to send: 400 bad_request when it is not an origin-form
/// target, 422 invalid_encoding when a decoded segment or parameter is not UTF-8 or holds a NUL
/// (they reach SQL parameters and C strings: "secrets%00x" would name "secrets" there).
std::variant<request_target, http_response> parse_request_target(std::string_view target);

}  // namespace paige::api
