#include "bench/bench/paige_process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace paige::bench {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double ticks_to_seconds(unsigned long long ticks) {
  return static_cast<double>(ticks) / sysconf(_SC_CLK_TCK);
}

/// utime + stime of /proc/<pid>/stat, plus cutime + cstime (children it reaped) when asked.
double stat_cpu(const std::string& stat, bool with_children = false) {
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream in{stat.substr(close + 2)};
  std::string field;
  unsigned long long ticks = 0;
  for (int i = 3; i <= 17 && in >> field; ++i)
    if (i == 14 || i == 15 || (with_children && (i == 16 || i == 17))) ticks += std::stoull(field);
  return ticks_to_seconds(ticks);
}

std::uint64_t status_kb(pid_t pid, const std::string& key) {
  std::istringstream in{read_file("/proc/" + std::to_string(pid) + "/status")};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) return std::stoull(line.substr(key.size() + 1)) * 1024;
  return 0;
}

}  // namespace

paige_process::paige_process(const std::string& binary, std::vector<std::string> args,
                             std::chrono::seconds timeout)
    : binary_(binary), args_(std::move(args)), timeout_(timeout) {
  char tmpl[] = "/tmp/paige-bench-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_all |
                                         std::filesystem::perms::group_exec |
                                         std::filesystem::perms::others_exec);
  start();
}

void paige_process::start() {
  std::vector<std::string> argv{binary_, "serve", "--listen", "127.0.0.1:0", "--data-dir", dir_};
  argv.insert(argv.end(), args_.begin(), args_.end());
  auto log = dir_ + "/paige.log";
  auto from = log_text().size();  // a restart appends: its own "listening" line counts
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fd, 2);
    int null = ::open("/dev/null", O_WRONLY);
    dup2(null, 1);
    std::vector<char*> c;
    for (auto& a : argv) c.push_back(a.data());
    c.push_back(nullptr);
    execv(c[0], c.data());
    _exit(127);
  }
  static const std::regex listening{R"(event=http\.listening addr=127\.0\.0\.1:(\d+))"};
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    auto text = log_text().substr(from);
    if (std::regex_search(text, m, listening)) {
      port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("paige exited at start:\n" + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  throw std::runtime_error("paige did not listen in time:\n" + log_text());
}

void paige_process::kill_and_restart() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  start();
}

paige_process::~paige_process() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 600 && waitpid(pid_, &status, WNOHANG) != pid_; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string paige_process::log_text() const { return read_file(dir_ + "/paige.log"); }

double cpu_seconds(pid_t pid) {
  return stat_cpu(read_file("/proc/" + std::to_string(pid) + "/stat"));
}

std::uint64_t peak_rss_bytes(pid_t pid) { return status_kb(pid, "VmHWM"); }

std::uint64_t rss_bytes(pid_t pid) { return status_kb(pid, "VmRSS"); }

double cpu_seconds_of_all(const std::string& name) {
  double total = 0;
  DIR* d = opendir("/proc");
  if (!d) return 0;
  while (auto* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    auto stat = read_file(std::string{"/proc/"} + e->d_name + "/stat");
    auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    // Children's time too: backends that exited are accounted to the postmaster that reaped them.
    if (stat.substr(open + 1, close - open - 1) == name) total += stat_cpu(stat, true);
  }
  closedir(d);
  return total;
}

double machine_busy_seconds() {
  std::istringstream in{read_file("/proc/stat")};
  std::string cpu;
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                     steal = 0;
  in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return ticks_to_seconds(user + nice + system + irq + softirq + steal);
}

}  // namespace paige::bench
