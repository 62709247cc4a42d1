#include "api/graph_client.hpp"

namespace paige::api {

graph_client::graph_client(std::string base_url, std::string version, http_client_options opts)
    : prefix_(std::move(base_url) + "/" + std::move(version)), client_(opts) {}

void graph_client::call(const std::string& method, const std::string& path,
                        const std::string& access_token, std::string body_json,
                        std::function<void(actors::graph_result)> done) {
  std::vector<std::pair<std::string, std::string>> headers{
      {"Authorization", "Bearer " + access_token}};
  if (!body_json.empty()) headers.emplace_back("Content-Type", "application/json");
  client_.request(method, prefix_ + path, std::move(headers), std::move(body_json),
                  [done = std::move(done)](client_response r) {
                    actors::graph_result out;
                    out.http_status = r.status;
                    out.body = std::move(r.body);
                    out.transport_error = std::move(r.error);
                    out.timed_out = r.timed_out;
                    done(std::move(out));
                  });
}

}  // namespace paige::api
