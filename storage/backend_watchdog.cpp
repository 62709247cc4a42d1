#include "storage/backend_watchdog.hpp"

#include "common/log.hpp"
#include "common/metrics.hpp"

#include <pqxx/pqxx>

#include <vector>

namespace paige::storage {

backend_watchdog::backend_watchdog(std::string admin_conninfo, std::chrono::milliseconds grace,
                                   metrics::registry* metrics, std::chrono::milliseconds tick)
    : admin_conninfo_(std::move(admin_conninfo)), grace_(grace), tick_(tick), metrics_(metrics) {
  thread_ = std::thread{[this] { run(); }};
}

backend_watchdog::~backend_watchdog() {
  {
    std::lock_guard<std::mutex> lock{mutex_};
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

backend_watchdog::watch::watch(backend_watchdog* dog, int pid, clock::time_point deadline,
                               const char* pool)
    : dog_(dog), fired_(std::make_shared<std::atomic<int>>(0)) {
  if (!dog_ || pid <= 0) return;
  std::lock_guard<std::mutex> lock{dog_->mutex_};
  id_ = dog_->next_id_++;
  dog_->watched_.emplace(id_, entry{pid, deadline, pool, fired_});
}

backend_watchdog::watch::~watch() {
  if (!dog_ || id_ == 0) return;
  std::lock_guard<std::mutex> lock{dog_->mutex_};
  dog_->watched_.erase(id_);
}

backend_watchdog::action backend_watchdog::watch::fired() const {
  return static_cast<action>(fired_->load());
}

void backend_watchdog::run() {
  std::unique_ptr<pqxx::connection> admin;
  for (;;) {
    struct due {
      int pid;
      action what;
      const char* pool;
      std::shared_ptr<std::atomic<int>> fired;
    };
    std::vector<due> acts;
    {
      std::unique_lock<std::mutex> lock{mutex_};
      wake_.wait_for(lock, tick_, [this] { return stopping_; });
      if (stopping_) return;
      auto now = clock::now();
      for (auto& [id, e] : watched_) {
        auto done = static_cast<action>(e.fired->load());
        if (done == action::none && now >= e.deadline) {
          e.fired->store(static_cast<int>(action::cancelled));
          acts.push_back({e.pid, action::cancelled, e.pool, e.fired});
        } else if (done == action::cancelled && now >= e.deadline + grace_) {
          e.fired->store(static_cast<int>(action::terminated));
          acts.push_back({e.pid, action::terminated, e.pool, e.fired});
        }
      }
    }
    for (const auto& a : acts) {
      const char* how = a.what == action::cancelled ? "cancel" : "terminate";
      try {
        if (!admin) admin = std::make_unique<pqxx::connection>(admin_conninfo_);
        pqxx::nontransaction tx{*admin};
        tx.exec_params(a.what == action::cancelled ? "SELECT pg_cancel_backend($1)"
                                                   : "SELECT pg_terminate_backend($1)",
                       a.pid);
        log::warn("db.statement_stopped", {{"pool", a.pool}, {"how", how}, {"pid", a.pid}});
        if (metrics_)
          metrics_
              ->counters("paige_db_statements_stopped_total",
                         "statements past their deadline, cancelled or terminated from outside "
                         "their session",
                         {"pool", "how"})
              .with({a.pool, how})
              .inc();
      } catch (const std::exception& e) {
        admin.reset();
        // Not done: the next tick tries again.
        a.fired->store(
            static_cast<int>(a.what == action::cancelled ? action::none : action::cancelled));
        log::warn("db.watchdog_failed", {{"pool", a.pool}, {"how", how}, {"reason", e.what()}});
      }
    }
  }
}

}  // namespace paige::storage
