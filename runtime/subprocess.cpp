#include "runtime/subprocess.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace paige::runtime {
namespace {

/// In the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void exec_child(int out_fd, const std::vector<char*>& argv,
                             const std::optional<os_user>& user) {
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(out_fd, 2) < 0)
    ::_exit(126);
  ::close_range(3, ~0U, 0);
  if (::chdir("/") != 0) ::_exit(126);
  if (user) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(user->gid) != 0 || ::setuid(user->uid) != 0)
      ::_exit(126);
  }
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

int wait_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(std::string{"waitpid: "} + std::strerror(errno));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::optional<os_user> find_os_user(const std::string& name) {
  struct passwd pw {};
  struct passwd* result = nullptr;
  std::string buf(16384, '\0');
  if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &result) != 0 || !result)
    return std::nullopt;
  return os_user{name, pw.pw_uid, pw.pw_gid};
}

command_result run_command(const std::vector<std::string>& args,
                           const std::optional<os_user>& user) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string{"pipe: "} + std::strerror(errno));
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error(std::string{"fork: "} + std::strerror(errno));
  }
  if (pid == 0) exec_child(fds[1], argv, user);
  ::close(fds[1]);
  command_result result;
  char chunk[4096];
  for (;;) {
    auto n = ::read(fds[0], chunk, sizeof chunk);
    if (n > 0) {
      result.output.append(chunk, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fds[0]);
  result.exit_code = wait_exit(pid);
  if (result.exit_code == 127) result.output += "\ncould not execute " + args.front();
  if (result.exit_code == 126) result.output += "\ncould not set up the child process";
  return result;
}

bool user_can_reach(const os_user& user, const std::string& dir) {
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string{"fork: "} + std::strerror(errno));
  if (pid == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(user.gid) != 0 || ::setuid(user.uid) != 0)
      ::_exit(2);
    ::_exit(::access(dir.c_str(), X_OK) == 0 ? 0 : 1);
  }
  return wait_exit(pid) == 0;
}

}  // namespace paige::runtime
