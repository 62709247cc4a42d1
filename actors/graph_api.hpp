/// @file
/// @brief The seam between actors and Meta's Graph API. Declared here so actors never see
/// the network; implemented in api/ (graph_client) and handed over by the runtime.
#pragma once

#include "actors/core/graph_result.hpp"

#include <caf/meta/type_name.hpp>

#include <functional>
#include <string>

namespace paige::actors {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, graph_result& x) {
  return f(caf::meta::type_name("graph_result"), x.http_status, x.body, x.transport_error,
           x.timed_out);
}

/// Calls the Graph API. `path` starts after the version ("/<phone-number-id>/messages").
/// `done` runs once, on a network thread: it must not block (send a message and return).
class graph_api {
 public:
  virtual ~graph_api() = default;
  virtual void call(const std::string& method, const std::string& path,
                    const std::string& access_token, std::string body_json,
                    std::function<void(graph_result)> done) = 0;
  /// Sends `bytes` to a Resumable Upload session (`path` "/upload:..."), from offset 0.
  virtual void upload(const std::string& path, const std::string& access_token, std::string bytes,
                      std::function<void(graph_result)> done) {
    (void)path, (void)access_token, (void)bytes;
    graph_result r;
    r.transport_error = "uploads are not supported by this Graph API";
    done(std::move(r));
  }
  /// POSTs a form (`content_type` with its boundary, `body` encoded: multipart/form-data).
  virtual void post_form(const std::string& path, const std::string& access_token,
                         std::string content_type, std::string body,
                         std::function<void(graph_result)> done) {
    (void)path, (void)access_token, (void)content_type, (void)body;
    graph_result r;
    r.transport_error = "forms are not supported by this Graph API";
    done(std::move(r));
  }
};

}  // namespace paige::actors
