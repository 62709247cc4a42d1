/// @file
/// @brief Running a helper program (initdb, pg_ctl, npm) to completion, or starting a long-lived
/// one (a hosted bot), optionally as another user with resource limits.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace paige::runtime {

/// An OS account to drop to before exec (Postgres refuses to run as root).
struct os_user {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

/// The account named `name`, if it exists.
std::optional<os_user> find_os_user(const std::string& name);

/// What a finished command left behind.
struct command_result {
  int exit_code = -1;  ///< -1 when killed by a signal
  std::string output;  ///< stdout and stderr, interleaved
};

/// Runs `argv` (argv[0] an absolute path) in `/`, with stdin from /dev/null and no inherited
/// file descriptors, as `user` when given. Blocks until it exits. Throws on fork/exec failure.
command_result run_command(const std::vector<std::string>& argv,
                           const std::optional<os_user>& user = std::nullopt);

/// How to start a process.
struct process_options {
  std::vector<std::string> argv;  ///< argv[0] an absolute path
  std::vector<std::string> env;   ///< NAME=value: the whole environment (empty: the server's)
  std::string cwd = "/";
  std::optional<os_user> user;                 ///< drop to it before exec
  std::vector<std::pair<int, rlim_t>> limits;  ///< RLIMIT_* → soft and hard limit
  int nice = 0;                                ///< added to the child's priority
  /// SIGKILL the child when the thread that started it ends (PR_SET_PDEATHSIG): a process the
  /// server supervises must not outlive it, even after a kill -9.
  bool dies_with_thread = false;
};

/// A started process: its pid (also its process group: it leads a session of its own) and the
/// read end of the pipe holding its stdout and stderr.
struct started_process {
  pid_t pid = -1;
  int output_fd = -1;
};

/// Starts `opts` with stdin from /dev/null and no other inherited descriptors. Throws on
/// pipe/fork failure; a failed exec shows as exit code 127 (126: the set-up failed).
started_process start_process(const process_options& opts);

/// Runs `opts` to completion, collecting its output (the last `keep` bytes). Past `timeout` its
/// process group is killed and the result says so in the output (exit_code -1).
command_result run_process(const process_options& opts, std::chrono::milliseconds timeout,
                           std::size_t keep = 64 * 1024);

/// Appends `chunk` to `tail`, keeping its last `keep` bytes.
void keep_tail(std::string& tail, const char* chunk, std::size_t n, std::size_t keep);

/// Whether `user` may search (traverse) every directory on the way to and including `dir`.
bool user_can_reach(const os_user& user, const std::string& dir);

}  // namespace paige::runtime
