#include "runtime/loopback.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace paige::runtime {
namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

/// Closes its descriptor however the exchange ends.
struct socket_guard {
  int fd;
  ~socket_guard() {
    if (fd >= 0) ::close(fd);
  }
};

/// Waits until `fd` is ready for `events` or the deadline passes.
bool wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    auto ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

}  // namespace

std::string local_url(const std::string& host, std::uint16_t port) {
  std::string reach = host;
  if (host.empty() || host == "0.0.0.0") reach = "127.0.0.1";
  if (host == "::" || host == "[::]") reach = "::1";
  bool v6 = reach.find(':') != std::string::npos && reach.front() != '[';
  return "http://" + (v6 ? "[" + reach + "]" : reach) + ":" + std::to_string(port);
}

std::uint16_t free_loopback_port() {
  socket_guard s{::socket(AF_INET, SOCK_STREAM, 0)};
  if (s.fd < 0) throw std::runtime_error("socket() failed while looking for a free port");
  auto addr = loopback(0);
  socklen_t len = sizeof addr;
  if (::bind(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(s.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("could not find a free loopback port");
  return ntohs(addr.sin_port);
}

unsigned loopback_http_status(std::uint16_t port, const std::string& path,
                              std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  socket_guard s{::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return 0;
  auto addr = loopback(port);
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS || !wait_for(s.fd, POLLOUT, deadline)) return 0;
    int error = 0;
    socklen_t len = sizeof error;
    if (::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) return 0;
  }
  auto request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    if (!wait_for(s.fd, POLLOUT, deadline)) return 0;
    auto n = ::send(s.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return 0;
    if (n > 0) sent += static_cast<std::size_t>(n);
  }
  // "HTTP/1.1 200 ..." : the status line's first 12 bytes are enough.
  std::string head;
  char buf[256];
  while (head.size() < 12) {
    if (!wait_for(s.fd, POLLIN, deadline)) return 0;
    auto n = ::recv(s.fd, buf, sizeof buf, 0);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return 0;
    }
    head.append(buf, static_cast<std::size_t>(n));
  }
  if (head.rfind("HTTP/1.", 0) != 0 || head[8] != ' ') return 0;
  try {
    return static_cast<unsigned>(std::stoul(head.substr(9, 3)));
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace paige::runtime
