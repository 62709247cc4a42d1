/// @file
/// @brief A Server-Sent Events client for tests: its own connection, plain sockets, reads
/// with deadlines.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace paige::test {

struct sse_event {
  std::string id;
  std::string type;
  nlohmann::json data;
};

class event_stream {
 public:
  /// Sends `GET target` with the bearer key (and Last-Event-ID when given) and reads the head.
  event_stream(std::uint16_t port, const std::string& target, const std::string& bearer,
               const std::string& last_event_id = "");
  ~event_stream();
  event_stream(const event_stream&) = delete;
  event_stream& operator=(const event_stream&) = delete;

  unsigned status() const { return status_; }
  const std::string& head() const { return head_; }
  /// The next event (comments skipped), or nullopt if none came within `timeout` or the
  /// server closed the stream.
  std::optional<sse_event> next(std::chrono::milliseconds timeout = std::chrono::seconds{10});
  /// Whether the server closed the connection within `timeout` (events before it are skipped).
  bool closed_by_server(std::chrono::milliseconds timeout = std::chrono::seconds{10});
  /// Closes the connection (the server notices and ends the stream).
  void close();

 private:
  /// Reads more bytes into buffer_; false on timeout or end of stream.
  bool fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  unsigned status_ = 0;
  std::string head_;
  std::string buffer_;
  bool eof_ = false;
};

}  // namespace paige::test
