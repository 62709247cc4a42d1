#include "api/bot_client.hpp"

namespace paige::api {

void bot_client::request(const std::string& method, const std::string& url,
                         std::vector<std::pair<std::string, std::string>> headers, std::string body,
                         std::chrono::milliseconds timeout,
                         std::function<void(actors::bot_reply)> done) {
  client_.request(
      method, url, std::move(headers), std::move(body),
      [done = std::move(done)](client_response r) {
        done({r.status, std::move(r.body), std::move(r.error), r.timed_out});
      },
      timeout);
}

}  // namespace paige::api
