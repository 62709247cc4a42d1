/// @file
/// @brief The HTTP/1.1 server: keep-alive, bounded requests, graceful drain. No Beast here.
///
/// Limits: a request head larger than max_header_bytes answers 431, a body larger than
/// max_body_bytes 413, a request not fully received within request_timeout 408 (an idle
/// keep-alive connection is closed silently after the same time). A route with an answer
/// deadline (router::add) whose handler has not answered in time gets the route's answer
/// instead; the handler's late answer is discarded. A path or query that is not UTF-8, or holds
/// a NUL, once %-decoded answers 422 invalid_encoding before any handler sees it. Every response is
/// counted in paige_http_requests_total and paige_http_request_duration_seconds by route pattern.
///
/// Streamed responses (http_response::stream, for server-sent events): the head goes out
/// with `Connection: close`; data written to the sink is queued and written in order; a
/// comment line every stream_heartbeat keeps proxies and dead-peer detection working; a
/// client that lets more than max_stream_backlog bytes queue up, stops reading for
/// request_timeout, sends anything or disconnects ends the stream. Drain ends streams at once.
///
/// Lifetime: responders handed to handlers hold their connection; stop the components that
/// may still call them (the actor system) before destroying the server.
#pragma once

#include "api/router.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace paige::metrics {
class registry;
}

namespace paige::api {

struct http_server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  ///< 0: a free port
  unsigned threads = 1;
  std::size_t max_body_bytes = 3 << 20;
  std::size_t max_header_bytes = 16 << 10;
  std::chrono::milliseconds request_timeout{30000};
  std::chrono::milliseconds stream_heartbeat{15000};  ///< comment lines keeping streams alive
  std::size_t max_stream_backlog =
      1 << 20;  ///< bytes a stream may queue; more: the client is dropped
  /// Connections open at once; at the limit (or when no descriptor is left) accepting pauses
  /// until one closes, and new clients wait in the listen backlog.
  std::size_t max_connections = 10000;
};

class http_server {
 public:
  http_server(http_server_options opts, const router& routes, metrics::registry& metrics);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Binds, starts the I/O threads and accepts; returns the bound port. Throws on bind failure.
  std::uint16_t start();

  /// Stops accepting, closes idle connections, lets requests in flight finish and be answered
  /// (with Connection: close) for up to `grace`, then closes the rest and joins the threads.
  void stop(std::chrono::milliseconds grace);

  /// Whether stop() has begun (readiness reports not ready from then on).
  bool draining() const;

  struct impl;  ///< opaque; public only so the connection type in the .cpp can name it

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace paige::api
