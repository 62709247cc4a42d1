/// @file
/// @brief The Paige under test: a child `paige serve` on its own embedded Postgres in a
/// temporary data directory (or paige-echo-target, which takes the same command line and logs
/// the same "listening" line), and what /proc says about it (CPU seconds, peak RSS).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace paige::bench {

class paige_process {
 public:
  /// Starts `binary serve --listen 127.0.0.1:0 --data-dir <tmp> ...` plus `args`; waits until
  /// it listens. Throws if it exits or does not listen within `timeout`.
  paige_process(const std::string& binary, std::vector<std::string> args,
                std::chrono::seconds timeout = std::chrono::seconds{120});
  /// SIGTERM, wait, remove the data directory.
  ~paige_process();
  paige_process(const paige_process&) = delete;
  paige_process& operator=(const paige_process&) = delete;

  /// kill -9, then the same command again on the same data directory (a new port).
  void kill_and_restart();

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& data_dir() const { return dir_; }
  std::string log_text() const;

 private:
  void start();

  std::string binary_;
  std::vector<std::string> args_;
  std::chrono::seconds timeout_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string dir_;
};

/// CPU seconds (user + system) a process has used so far; 0 if it is gone.
double cpu_seconds(pid_t pid);
/// Peak resident set size of a process (VmHWM), in bytes.
std::uint64_t peak_rss_bytes(pid_t pid);
/// Current resident set size (VmRSS), in bytes.
std::uint64_t rss_bytes(pid_t pid);
/// CPU seconds used so far by every process named `name` and the children they reaped (e.g.
/// the Postgres postmaster and its backends).
double cpu_seconds_of_all(const std::string& name);
/// CPU seconds the whole machine has been busy (all cores, from /proc/stat).
double machine_busy_seconds();

}  // namespace paige::bench
