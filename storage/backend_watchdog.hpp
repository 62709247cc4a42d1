/// @file
/// @brief Ends statements that outlive their deadline, from outside their session.
///
/// A session's statement_timeout is the session's own: a statement can catch its own
/// cancellation (a PL/pgSQL loop around `EXCEPTION WHEN query_canceled`) or turn the timeout
/// off (a trigger calling set_config), and then it holds its connection, and the thread
/// waiting on it, for ever. So whoever runs a project's statements on a shared thread watches
/// them here: at the deadline the backend is cancelled (pg_cancel_backend), `grace` later
/// terminated (pg_terminate_backend), both over the watchdog's own admin connection. Whose
/// connection was ended sees a broken connection and asks fired() why.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace paige::metrics {
class registry;
}

namespace paige::storage {

class backend_watchdog {
 public:
  using clock = std::chrono::steady_clock;

  /// `admin_conninfo` may signal every project's backends (a superuser, or a member of the
  /// project roles); `tick` is how often deadlines are looked at.
  backend_watchdog(std::string admin_conninfo, std::chrono::milliseconds grace,
                   metrics::registry* metrics = nullptr,
                   std::chrono::milliseconds tick = std::chrono::milliseconds{100});
  ~backend_watchdog();
  backend_watchdog(const backend_watchdog&) = delete;
  backend_watchdog& operator=(const backend_watchdog&) = delete;

  /// What was done to a watched backend.
  enum class action : int { none = 0, cancelled = 1, terminated = 2 };

  /// Watches backend `pid` from construction to destruction (one statement or transaction).
  class watch {
   public:
    /// `pool` names the watcher in metrics and logs.
    watch(backend_watchdog* dog, int pid, clock::time_point deadline, const char* pool);
    ~watch();
    watch(const watch&) = delete;
    watch& operator=(const watch&) = delete;
    /// What the watchdog did to the backend so far.
    action fired() const;

   private:
    backend_watchdog* dog_;
    std::uint64_t id_ = 0;
    std::shared_ptr<std::atomic<int>> fired_;
  };

 private:
  struct entry {
    int pid;
    clock::time_point deadline;
    const char* pool;
    std::shared_ptr<std::atomic<int>> fired;
  };
  void run();

  std::string admin_conninfo_;
  std::chrono::milliseconds grace_;
  std::chrono::milliseconds tick_;
  metrics::registry* metrics_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, entry> watched_;
  std::thread thread_;
};

}  // namespace paige::storage
