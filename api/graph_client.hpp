/// @file
/// @brief The Graph API over HTTPS (or the simulator over HTTP): actors::graph_api with the
/// pooled HTTP client.
#pragma once

#include "actors/graph_api.hpp"
#include "api/http_client.hpp"

#include <memory>
#include <string>

namespace paige::api {

class graph_client final : public actors::graph_api {
 public:
  /// `base_url` like https://graph.facebook.com; `version` like v21.0.
  graph_client(std::string base_url, std::string version, http_client_options opts = {});

  void call(const std::string& method, const std::string& path, const std::string& access_token,
            std::string body_json, std::function<void(actors::graph_result)> done) override;

  void upload(const std::string& path, const std::string& access_token, std::string bytes,
              std::function<void(actors::graph_result)> done) override;

  void post_form(const std::string& path, const std::string& access_token, std::string content_type,
                 std::string body, std::function<void(actors::graph_result)> done) override;

  /// Stops the underlying client (pending calls fail).
  void stop() { client_.stop(); }

 private:
  std::string prefix_;
  http_client client_;
};

}  // namespace paige::api
