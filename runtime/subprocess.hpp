/// @file
/// @brief Running a helper program (initdb, pg_ctl) to completion, optionally as another user.
#pragma once

#include <sys/types.h>
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

/// Whether `user` may search (traverse) every directory on the way to and including `dir`.
bool user_can_reach(const os_user& user, const std::string& dir);

}  // namespace paige::runtime
