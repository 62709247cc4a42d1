#include "tests/support/event_stream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace paige::test {

event_stream::event_stream(std::uint16_t port, const std::string& target, const std::string& bearer,
                           const std::string& last_event_id) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("connect failed");
  std::string req =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  if (!bearer.empty()) req += "Authorization: Bearer " + bearer + "\r\n";
  if (!last_event_id.empty()) req += "Last-Event-ID: " + last_event_id + "\r\n";
  req += "\r\n";
  if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
    throw std::runtime_error("send failed");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
    if (!fill(deadline)) throw std::runtime_error("no response head: " + buffer_);
  head_ = buffer_.substr(0, end);
  buffer_.erase(0, end + 4);
  status_ = static_cast<unsigned>(std::stoul(head_.substr(head_.find(' ') + 1, 3)));
}

event_stream::~event_stream() { close(); }

void event_stream::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool event_stream::fill(std::chrono::steady_clock::time_point deadline) {
  if (eof_ || fd_ < 0) return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char chunk[4096];
  auto n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

std::optional<sse_event> event_stream::next(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto end = buffer_.find("\n\n");
    if (end == std::string::npos) {
      if (!fill(deadline)) return std::nullopt;
      continue;
    }
    auto block = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    sse_event e;
    bool any = false;  // an event: a type or data (an id alone only moves the resume point)
    std::size_t start = 0;
    while (start <= block.size()) {
      auto nl = block.find('\n', start);
      if (nl == std::string::npos) nl = block.size();
      auto line = block.substr(start, nl - start);
      start = nl + 1;
      if (line.rfind("id: ", 0) == 0)
        e.id = line.substr(4);
      else if (line.rfind("event: ", 0) == 0)
        e.type = line.substr(7), any = true;
      else if (line.rfind("data: ", 0) == 0)
        e.data = nlohmann::json::parse(line.substr(6)), any = true;
    }
    if (any) return e;  // else a comment block
  }
}

bool event_stream::closed_by_server(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!eof_) {
    buffer_.clear();
    if (!fill(deadline) && !eof_) return false;
  }
  return true;
}

}  // namespace paige::test
