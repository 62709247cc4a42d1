/// @file
/// @brief Starts the real `paige serve` binary for integration tests.
#pragma once

#include "tests/support/child_process.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace paige::test {

inline constexpr const char* test_app_secret = "test-app-secret-7f3a";
inline constexpr const char* test_verify_token = "test-verify-token-91c2";

/// Path of the paige binary under test.
std::string paige_binary();

/// A running paige server on 127.0.0.1 with a port of its choosing.
class paige_server {
 public:
  /// Starts `paige serve --data-dir <data_dir> --listen 127.0.0.1:0` plus `extra_args`, through
  /// `launcher` when given (e.g. prlimit with its options).
  explicit paige_server(const std::string& data_dir, std::vector<std::string> extra_args = {},
                        std::vector<std::pair<std::string, std::string>> env = {},
                        std::vector<std::string> launcher = {});

  /// Waits until it logs its port (true) or exits (false).
  bool wait_listening(std::chrono::milliseconds timeout = std::chrono::seconds{60});
  std::uint16_t port() const { return port_; }
  child_process& process() { return *process_; }
  /// SIGTERM, then the exit code (nullopt if it did not exit in time).
  std::optional<int> terminate(std::chrono::milliseconds timeout = std::chrono::seconds{30});

 private:
  std::unique_ptr<child_process> process_;
  std::uint16_t port_ = 0;
};

}  // namespace paige::test
