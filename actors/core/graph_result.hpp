/// @file
/// @brief What one Graph API call came back with, and how to read Meta's error out of it.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace paige::actors {

/// obj[key] when obj is an object and that member a string; "" otherwise. Meta's answers are
/// read with it: a member of another type than documented must never throw.
std::string string_member(const nlohmann::json& obj, const char* key);

/// The outcome of one Graph API call.
struct graph_result {
  unsigned http_status = 0;     ///< 0: no response (see transport_error)
  std::string body;             ///< the response body (JSON)
  std::string transport_error;  ///< connection, TLS or timeout failure
  bool timed_out = false;       ///< Meta may or may not have acted on the request

  bool ok() const { return http_status >= 200 && http_status < 300; }
  /// Meta's error code from an error body ({"error": {"code": ...}}), or 0.
  long error_code() const;
  /// Meta's error message (or the transport error), for humans.
  std::string error_message() const;
};

}  // namespace paige::actors
