/// @file
/// @brief An asynchronous HTTP/1.1 client with keep-alive connection pools per origin and
/// TLS (peer and host name verified). No Beast here.
///
/// Used for the Graph API (and by the simulator to post webhooks). Callbacks run on the
/// client's own I/O thread and must not block. Idle keep-alive connections are not trusted:
/// one idle longer than `idle_timeout` (below common servers' own idle timeouts) is closed
/// rather than used, and a request that fails on a *reused* connection before any response
/// byte arrives (the server had closed it: it restarted, or dropped idle connections) is
/// retried at once on a *new* connection, as the same request (the caller sees one outcome),
/// and the origin's other idle connections, likely closed alike, are dropped. The server may
/// then see a request twice only if it had read it and closed without answering.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace paige::api {

struct http_client_options {
  std::size_t max_connections_per_origin = 32;
  std::chrono::milliseconds timeout{10000};  ///< connect + write + read of one request
  std::chrono::milliseconds idle_timeout{
      30000};  ///< an idle connection older than this is not reused
  /// A PEM file of certificates trusted besides the system's (a private CA in front of the
  /// Graph API, or a test's own); empty: the system's only.
  std::string ca_file;
  /// Largest response body read; a larger one fails the request ("body limit exceeded") and
  /// its connection is closed. 0: Beast's default (8 MiB).
  std::size_t max_response_bytes = 0;
};

struct client_response {
  unsigned status = 0;  ///< 0 when no response arrived
  std::string body;
  std::string error;       ///< transport failure (refused, timeout, TLS...), empty otherwise
  bool timed_out = false;  ///< the request may or may not have reached the server
};

class http_client {
 public:
  explicit http_client(http_client_options opts = {});
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  using callback = std::function<void(client_response)>;

  /// Sends `method url` with `headers` and `body`; calls `done` once. `url` is absolute
  /// (http:// or https://); an unparsable one fails at once through `done`. `timeout` bounds
  /// the connect and then the exchange of this request (0: the client's).
  void request(const std::string& method, const std::string& url,
               std::vector<std::pair<std::string, std::string>> headers, std::string body,
               callback done, std::chrono::milliseconds timeout = {});

  /// Fails pending requests, closes connections, joins the I/O thread. Idempotent.
  void stop();

  /// Connections opened so far (each new one: a TCP and maybe a TLS handshake).
  std::size_t connections_opened() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace paige::api
