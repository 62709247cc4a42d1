#include "tests/support/child_process.hpp"

#include <algorithm>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace paige::test {

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});  // polling interval, not a wait
  }
}

bool log_line_has(const std::string& log, std::initializer_list<std::string> parts) {
  std::istringstream lines{log};
  std::string line;
  while (std::getline(lines, line)) {
    bool all = true;
    for (const auto& p : parts) all = all && line.find(p) != std::string::npos;
    if (all) return true;
  }
  return false;
}

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

child_process::child_process(std::vector<std::string> argv,
                             std::vector<std::pair<std::string, std::string>> env,
                             const std::string& output_dir) {
  static int counter = 0;
  auto tag = std::to_string(::getpid()) + "-" + std::to_string(++counter);
  out_path_ = output_dir + "/stdout-" + tag + ".log";
  err_path_ = output_dir + "/stderr-" + tag + ".log";
  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; ++e) {
    std::string entry{*e};
    if (entry.rfind("PAIGE_", 0) == 0) continue;  // the test decides the server's settings
    // A variable the test sets replaces the inherited one (getenv takes the first).
    auto name = entry.substr(0, entry.find('='));
    if (std::any_of(env.begin(), env.end(), [&](const auto& kv) { return kv.first == name; }))
      continue;
    env_strings.push_back(entry);
  }
  for (auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> cargv, cenv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  for (auto& e : env_strings) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0 || err < 0) throw std::runtime_error("cannot create output files in " + output_dir);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Unblock everything the test runner may have blocked: the child waits for signals.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execve(cargv[0], cargv.data(), cenv.data());
    ::_exit(127);
  }
  ::close(out);
  ::close(err);
}

child_process::~child_process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait_exit(std::chrono::seconds{10});
  }
}

void child_process::signal(int sig) const { ::kill(pid_, sig); }

bool child_process::running() {
  if (exit_code_) return false;
  int status = 0;
  auto r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return false;
  }
  return r == 0;
}

std::optional<int> child_process::wait_exit(std::chrono::milliseconds timeout) {
  wait_until([this] { return !running(); }, timeout);
  return exit_code_;
}

std::string child_process::stdout_text() const { return read_file(out_path_); }
std::string child_process::stderr_text() const { return read_file(err_path_); }

temp_dir::temp_dir() {
  char tmpl[] = "/tmp/paige-test-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace paige::test
