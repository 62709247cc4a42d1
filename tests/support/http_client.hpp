/// @file
/// @brief A small blocking HTTP/1.1 client for tests (Beast stays in its .cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace paige::test {

struct http_reply {
  unsigned status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< names lowercased
  bool keep_alive = false;
  /// The first header named `name` (lowercase), or "".
  std::string header(const std::string& name) const;
};

/// One keep-alive connection to 127.0.0.1:port.
class http_connection {
 public:
  explicit http_connection(std::uint16_t port);
  ~http_connection();
  http_connection(const http_connection&) = delete;
  http_connection& operator=(const http_connection&) = delete;

  /// Sends a request and reads its response; throws on I/O errors or after `timeout`.
  http_reply request(const std::string& method, const std::string& target,
                     const std::string& body = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {},
                     std::chrono::milliseconds timeout = std::chrono::seconds{10});

  /// Writes raw bytes (for malformed or partial requests).
  void send_raw(const std::string& bytes);
  /// Reads one response (after send_raw); throws after `timeout`.
  http_reply read_reply(std::chrono::milliseconds timeout = std::chrono::seconds{10});
  /// Whether the server closed the connection (a read returns end of stream within `timeout`).
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds{10});

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// A response whose body was parsed as JSON (null when empty).
struct json_reply {
  unsigned status = 0;
  nlohmann::json body;
};

/// One request on a new connection, with a bearer key when `bearer` is not empty.
json_reply json_request(std::uint16_t port, const std::string& method, const std::string& target,
                        const std::string& body = {}, const std::string& bearer = {});

/// One request on a new connection.
http_reply http_request(std::uint16_t port, const std::string& method, const std::string& target,
                        const std::string& body = {},
                        const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace paige::test
