#include "common/process_metrics.hpp"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace paige::metrics {
namespace {

struct proc_stat {
  double cpu_seconds = 0;
  double start_time_seconds = 0;
  double virtual_bytes = 0;
  double resident_bytes = 0;
  double threads = 0;
};

double boot_time_seconds() {
  std::ifstream in{"/proc/stat"};
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

proc_stat read_proc_stat() {
  proc_stat out;
  std::ifstream in{"/proc/self/stat"};
  std::string line;
  std::getline(in, line);
  // Fields after the parenthesized command name, which may itself hold spaces.
  auto close = line.rfind(')');
  if (close == std::string::npos) return out;
  std::istringstream rest{line.substr(close + 2)};
  std::vector<std::string> f{std::istream_iterator<std::string>{rest}, {}};
  // f[0] is field 3 (state); field N is f[N - 3].
  auto field = [&](std::size_t n) { return n - 3 < f.size() ? std::stod(f[n - 3]) : 0.0; };
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  out.cpu_seconds = (field(14) + field(15)) / ticks;
  out.threads = field(20);
  out.start_time_seconds = boot_time_seconds() + field(22) / ticks;
  out.virtual_bytes = field(23);
  out.resident_bytes = field(24) * page;
  return out;
}

double open_fds() {
  std::error_code ec;
  double n = 0;
  for (auto it = std::filesystem::directory_iterator{"/proc/self/fd", ec};
       !ec && it != std::filesystem::directory_iterator{}; it.increment(ec))
    ++n;
  return n;
}

family_snapshot one(std::string name, std::string help, std::string type, double value) {
  return {std::move(name), std::move(help), std::move(type), {{"", {}, value}}};
}

}  // namespace

collector process_collector() {
  return [] {
    auto st = read_proc_stat();
    return std::vector<family_snapshot>{
        one("paige_process_cpu_seconds_total", "user and system CPU time spent, in seconds",
            "counter", st.cpu_seconds),
        one("paige_process_resident_memory_bytes", "resident memory size in bytes", "gauge",
            st.resident_bytes),
        one("paige_process_virtual_memory_bytes", "virtual memory size in bytes", "gauge",
            st.virtual_bytes),
        one("paige_process_open_fds", "open file descriptors", "gauge", open_fds()),
        one("paige_process_threads", "OS threads of the process", "gauge", st.threads),
        one("paige_process_start_time_seconds", "start time since the Unix epoch, in seconds",
            "gauge", st.start_time_seconds),
    };
  };
}

}  // namespace paige::metrics
