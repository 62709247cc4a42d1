#include "api/graph_client.hpp"

namespace paige::api {

graph_client::graph_client(std::string base_url, std::string version, http_client_options opts)
    : prefix_(std::move(base_url) + "/" + std::move(version)), client_(opts) {}

namespace {

std::function<void(client_response)> to_result(std::function<void(actors::graph_result)> done) {
  return [done = std::move(done)](client_response r) {
    actors::graph_result out;
    out.http_status = r.status;
    out.body = std::move(r.body);
    out.transport_error = std::move(r.error);
    out.timed_out = r.timed_out;
    done(std::move(out));
  };
}

}  // namespace

void graph_client::call(const std::string& method, const std::string& path,
                        const std::string& access_token, std::string body_json,
                        std::function<void(actors::graph_result)> done) {
  std::vector<std::pair<std::string, std::string>> headers{
      {"Authorization", "Bearer " + access_token}};
  if (!body_json.empty()) headers.emplace_back("Content-Type", "application/json");
  client_.request(method, prefix_ + path, std::move(headers), std::move(body_json),
                  to_result(std::move(done)));
}

void graph_client::upload(const std::string& path, const std::string& access_token,
                          std::string bytes, std::function<void(actors::graph_result)> done) {
  // The Resumable Upload API: "OAuth" authorization, the offset the bytes start at.
  std::vector<std::pair<std::string, std::string>> headers{
      {"Authorization", "OAuth " + access_token},
      {"file_offset", "0"},
      {"Content-Type", "application/octet-stream"}};
  client_.request("POST", prefix_ + path, std::move(headers), std::move(bytes),
                  to_result(std::move(done)));
}

void graph_client::post_form(const std::string& path, const std::string& access_token,
                             std::string content_type, std::string body,
                             std::function<void(actors::graph_result)> done) {
  std::vector<std::pair<std::string, std::string>> headers{
      {"Authorization", "Bearer " + access_token}, {"Content-Type", std::move(content_type)}};
  client_.request("POST", prefix_ + path, std::move(headers), std::move(body),
                  to_result(std::move(done)));
}

}  // namespace paige::api
