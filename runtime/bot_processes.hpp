/// @file
/// @brief Hosted bots' processes (actors::bot_host): each version's files under
/// `<dir>/<project>/<key>`, its dependencies installed there once by `npm ci`, and `node <main>`
/// run in it as the project's own OS account (`paige-bot-<hex>`, made with useradd when the
/// server runs as root; otherwise the server's own), with resource limits, on a loopback port,
/// killed if the server dies.
#pragma once

#include "actors/bot_runner.hpp"

#include <sys/resource.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace paige::runtime {

struct bot_process_options {
  std::string dir;  ///< absolute; every project's versions live under it
  std::string node = "/usr/bin/node";
  std::string npm = "/usr/bin/npm";
  rlim_t memory_bytes = rlim_t{512} << 20;  ///< RLIMIT_DATA: the heap and private mappings
  rlim_t cpu_seconds = 3600;                ///< RLIMIT_CPU of one process's life
  rlim_t open_files = 1024;
  rlim_t processes = 64;  ///< RLIMIT_NPROC of the project's account (own accounts only)
  /// Added to the process's CPU priority: a busy bot slows Paige less, but each reply waits
  /// longer for it (bench/README.md: nice 10 doubled the reply p50).
  int nice = 0;
  std::chrono::milliseconds install_timeout{300000};
  /// `npm ci` runs at once, server-wide (each may take a core and hundreds of MiB); the others
  /// wait their turn.
  std::size_t concurrent_installs = 2;
  std::chrono::milliseconds start_timeout{30000};
};

class bot_processes : public actors::bot_host {
 public:
  explicit bot_processes(bot_process_options opts);
  /// Stops every process (SIGTERM, SIGKILL after 3 s) and waits for them.
  ~bot_processes() override;

  actors::bot_process launch(const actors::bot_launch& launch,
                             std::function<void(int pid, std::string chunk)> output,
                             std::function<void(int pid, int status)> exited) override;
  void stop(int pid, std::chrono::milliseconds grace) override;
  /// Where processes reach Paige's API (their PAIGE_API_URL): known once the server listens;
  /// launches wait for it (at most start_timeout).
  void set_api_url(std::string url);
  void forget(const std::string& project_id) override;

  struct process;  ///< one started process and the thread that watches it

 private:
  bot_process_options opts_;
  bool own_accounts_;
  /// Holds one of the concurrent_installs slots while it lives.
  class install_slot {
   public:
    explicit install_slot(bot_processes& owner);
    ~install_slot();
    install_slot(const install_slot&) = delete;
    install_slot& operator=(const install_slot&) = delete;

   private:
    bot_processes& owner_;
  };

  /// Guards processes_, project_locks_, installs_, api_url_ and account creation; never held
  /// while a version is written or installed.
  std::mutex mutex_;
  std::list<std::shared_ptr<process>> processes_;
  /// Per project: held while one of its versions is written and installed.
  std::map<std::string, std::shared_ptr<std::mutex>> project_locks_;
  std::size_t installs_ = 0;
  std::condition_variable install_freed_;
  std::string api_url_;
  std::condition_variable api_url_set_;
};

}  // namespace paige::runtime
