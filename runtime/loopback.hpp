/// @file
/// @brief Loopback helpers for the processes the server runs (its Postgres, hosted bots): a
/// free port, and a plain HTTP health check.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace paige::runtime {

/// Asks the kernel for a free loopback port. Another process could take it before the one it is
/// meant for binds it; that one then fails to start with its own message.
std::uint16_t free_loopback_port();

/// The URL a process on this machine reaches an HTTP server listening on `host`:`port` at: a
/// wildcard address ("0.0.0.0", "::", "") becomes the loopback one; IPv6 goes in brackets.
std::string local_url(const std::string& host, std::uint16_t port);

/// The status of `GET <path>` on 127.0.0.1:`port` (HTTP/1.1, Connection: close), or 0 when no
/// answer came within `timeout`.
unsigned loopback_http_status(std::uint16_t port, const std::string& path,
                              std::chrono::milliseconds timeout);

}  // namespace paige::runtime
