/// @file
/// @brief Code bots over HTTP(S): actors::bot_transport with the pooled HTTP client (TLS
/// peers verified against the system's certificates).
#pragma once

#include "actors/bot_caller.hpp"
#include "api/http_client.hpp"

namespace paige::api {

class bot_client final : public actors::bot_transport {
 public:
  explicit bot_client(http_client_options opts = {}) : client_(std::move(opts)) {}

  void request(const std::string& method, const std::string& url,
               std::vector<std::pair<std::string, std::string>> headers, std::string body,
               std::chrono::milliseconds timeout,
               std::function<void(actors::bot_reply)> done) override;

  /// Stops the underlying client (pending events fail).
  void stop() { client_.stop(); }

 private:
  http_client client_;
};

}  // namespace paige::api
