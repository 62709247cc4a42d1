/// @file
/// @brief The seam between actors and Meta's Graph API. Declared here so actors never see
/// the network; implemented in api/ (graph_client) and handed over by the runtime.
#pragma once

#include <caf/meta/type_name.hpp>

#include <functional>
#include <string>

namespace paige::actors {

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

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, graph_result& x) {
  return f(caf::meta::type_name("graph_result"), x.http_status, x.body, x.transport_error, x.timed_out);
}

/// Calls the Graph API. `path` starts after the version ("/<phone-number-id>/messages").
/// `done` runs once, on a network thread: it must not block (send a message and return).
class graph_api {
 public:
  virtual ~graph_api() = default;
  virtual void call(const std::string& method, const std::string& path, const std::string& access_token,
                    std::string body_json, std::function<void(graph_result)> done) = 0;
};

}  // namespace paige::actors
