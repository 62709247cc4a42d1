#include "runtime/subprocess.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>

namespace paige::runtime {
namespace {

/// In the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void exec_child(int out_fd, const process_options& opts, char* const* argv,
                             char* const* envp, pid_t parent) {
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(out_fd, 2) < 0)
    ::_exit(126);
  ::close_range(3, ~0U, 0);
  if (::setsid() < 0 || ::chdir(opts.cwd.c_str()) != 0) ::_exit(126);
  for (const auto& [resource, value] : opts.limits) {
    rlimit limit{value, value};
    if (::setrlimit(resource, &limit) != 0) ::_exit(126);
  }
  if (opts.nice != 0 && ::setpriority(PRIO_PROCESS, 0, opts.nice) != 0) ::_exit(126);
  if (opts.user) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(opts.user->gid) != 0 ||
        ::setuid(opts.user->uid) != 0)
      ::_exit(126);
  }
  // After setuid: changing credentials clears the parent-death signal.
  if (opts.dies_with_thread && (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent))
    ::_exit(126);
  if (envp)
    ::execve(argv[0], argv, envp);
  else
    ::execv(argv[0], argv);
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

started_process start_process(const process_options& opts) {
  std::vector<char*> argv;
  for (const auto& a : opts.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : opts.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string{"pipe: "} + std::strerror(errno));
  auto parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error(std::string{"fork: "} + std::strerror(errno));
  }
  if (pid == 0)
    exec_child(fds[1], opts, argv.data(), opts.env.empty() ? nullptr : envp.data(), parent);
  ::close(fds[1]);
  return {pid, fds[0]};
}

void keep_tail(std::string& tail, const char* chunk, std::size_t n, std::size_t keep) {
  tail.append(chunk, n);
  if (tail.size() > keep) tail.erase(0, tail.size() - keep);
}

command_result run_process(const process_options& opts, std::chrono::milliseconds timeout,
                           std::size_t keep) {
  auto child = start_process(opts);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  command_result result;
  bool killed = false;
  char chunk[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 && !killed) {
      ::kill(-child.pid, SIGKILL);
      killed = true;
    }
    pollfd p{child.output_fd, POLLIN, 0};
    auto ready =
        ::poll(&p, 1, killed ? 1000 : static_cast<int>(std::min<long>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    auto n = ::read(child.output_fd, chunk, sizeof chunk);
    if (n > 0)
      keep_tail(result.output, chunk, static_cast<std::size_t>(n), keep);
    else if (n == 0 || errno != EINTR)
      break;
  }
  ::close(child.output_fd);
  result.exit_code = wait_exit(child.pid);
  if (killed) {
    result.exit_code = -1;
    result.output += "\nstopped after " + std::to_string(timeout.count() / 1000) + " s";
  } else if (result.exit_code == 127) {
    result.output += "\ncould not execute " + opts.argv.front();
  } else if (result.exit_code == 126) {
    result.output += "\ncould not set up the child process";
  }
  return result;
}

command_result run_command(const std::vector<std::string>& args,
                           const std::optional<os_user>& user) {
  process_options opts;
  opts.argv = args;
  opts.user = user;
  return run_process(opts, std::chrono::hours{24}, std::string::npos);
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
