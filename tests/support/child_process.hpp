/// @file
/// @brief Runs a program (the real paige binary) in the background for integration tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace paige::test {

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds{30});

/// A child process with stdout and stderr captured in files. Killed (SIGKILL) on destruction
/// if still running.
class child_process {
 public:
  /// Starts `argv` with the current environment plus `env` (name, value) and minus every
  /// PAIGE_* variable of the test's own environment. Output files go in `output_dir`.
  child_process(std::vector<std::string> argv, std::vector<std::pair<std::string, std::string>> env,
                const std::string& output_dir);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) const;
  /// The exit code once it exits within `timeout` (-1 if killed by a signal).
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  bool running();

  std::string stdout_text() const;
  std::string stderr_text() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string out_path_;
  std::string err_path_;
};

/// Whether one line of `log` contains every one of `parts`.
bool log_line_has(const std::string& log, std::initializer_list<std::string> parts);

/// Reads a whole file ("" when missing).
std::string read_file(const std::string& path);

/// A temporary directory under /tmp, removed with its contents on destruction.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace paige::test
