#include "actors/db_pool.hpp"

#include "actors/errors.hpp"
#include "common/log.hpp"

#include <caf/all.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <deque>
#include <list>
#include <memory>
#include <unordered_map>
#include <variant>
#include <vector>

namespace paige::actors {
namespace {

struct worker_state {
  static constexpr const char* name = "db_worker";
  /// Open connections by connection string, most recently used first.
  std::list<std::pair<std::string, std::unique_ptr<pqxx::connection>>> conns;
};

/// The connection to `conninfo`, opened if needed; the least recently used beyond `keep`
/// are closed.
pqxx::connection& connection_to(worker_state& st, const std::string& conninfo, std::size_t keep) {
  auto it = std::find_if(st.conns.begin(), st.conns.end(),
                         [&](const auto& c) { return c.first == conninfo; });
  if (it != st.conns.end()) {
    st.conns.splice(st.conns.begin(), st.conns, it);
  } else {
    st.conns.emplace_front(conninfo, std::make_unique<pqxx::connection>(conninfo));
    while (st.conns.size() > keep) st.conns.pop_back();
  }
  return *st.conns.front().second;
}

void forget(worker_state& st, const std::string& conninfo) {
  st.conns.remove_if([&](const auto& c) { return c.first == conninfo; });
}

caf::result<caf::message> run_job(worker_state& st, const std::string& conninfo,
                                  const db_pool_options& opts, const db_job& job,
                                  bool retry_safe = false) {
  pqxx::connection* conn = nullptr;
  try {
    conn = &connection_to(st, conninfo, opts.cached_targets + 1);
  } catch (const std::exception& e) {
    log::warn("db.connect_failed", {{"pool", opts.name}, {"reason", e.what()}});
    return make_error(errc::db_unavailable, e.what());
  }
  try {
    auto reply = job(*conn);
    if (!conn->is_open()) forget(st, conninfo);
    return reply;
  } catch (const pqxx::broken_connection& e) {
    forget(st, conninfo);  // reconnect on the next job
    log::warn("db.connection_lost", {{"pool", opts.name}, {"reason", e.what()}});
    // A connection that died while idle (the server restarted) shows it only now: a job
    // that may run twice gets a new one at once.
    if (retry_safe) return run_job(st, conninfo, opts, job, false);
    return make_error(errc::db_unavailable, e.what());
  } catch (const pqxx::sql_error& e) {
    return make_db_error(e.what(), e.sqlstate());
  } catch (const std::exception& e) {
    // The connection may be mid-transaction in an unknown state: start afresh.
    if (!conn->is_open()) forget(st, conninfo);
    return make_error(errc::internal, e.what());
  }
}

caf::result<caf::message> run_session_job(const std::string& conninfo, const db_pool_options& opts,
                                          const session_job& job) {
  try {
    return job(conninfo);
  } catch (const pqxx::broken_connection& e) {
    log::warn("db.connection_lost", {{"pool", opts.name}, {"reason", e.what()}});
    return make_error(errc::db_unavailable, e.what());
  } catch (const pqxx::sql_error& e) {
    return make_db_error(e.what(), e.sqlstate());
  } catch (const std::exception& e) {
    return make_error(errc::internal, e.what());
  }
}

caf::behavior db_worker(caf::stateful_actor<worker_state>* self, db_pool_options opts,
                        caf::actor dispatcher) {
  auto done = [self, dispatcher](const std::string& conninfo) {
    // Tell the dispatcher this worker is free; the reply goes straight to the requester.
    self->send(dispatcher, caf::ok_atom::value, caf::actor_cast<caf::actor>(self), conninfo);
  };
  return {
      [=](run_atom, const std::string& conninfo, const db_job& job) {
        auto result = run_job(self->state, conninfo, opts, job);
        done(conninfo);
        return result;
      },
      [=](run_atom, const std::string& conninfo, const session_job& job) {
        auto result = run_session_job(conninfo, opts, job);
        done(conninfo);
        return result;
      },
      [=](run_atom, const std::string& conninfo, const retry_safe& job) {
        auto result = run_job(self->state, conninfo, opts, job.job, true);
        done(conninfo);
        return result;
      },
  };
}

struct dispatcher_state {
  static constexpr const char* name = "db_pool";
  struct pending {
    any_db_job job;
    caf::response_promise promise;
    std::chrono::steady_clock::time_point queued_at;
  };
  std::vector<caf::actor> idle;
  /// Queued jobs by connection string, and the connection strings with queued jobs in the
  /// order they take turns.
  std::unordered_map<std::string, std::deque<pending>> queues;
  std::deque<std::string> turns;
  std::unordered_map<std::string, std::size_t> running;
  std::size_t per_target = 0;  ///< workers one connection string may hold at once
  std::size_t max_queued = 0;
  std::chrono::milliseconds queue_timeout{0};
};

using dispatcher_ptr = caf::stateful_actor<dispatcher_state>*;

void start(dispatcher_ptr self, caf::actor worker, const std::string& conninfo,
           dispatcher_state::pending job) {
  ++self->state.running[conninfo];
  std::visit(
      [&](auto& j) { job.promise.delegate(worker, run_atom::value, conninfo, std::move(j)); },
      job.job);
}

/// Gives `worker` the next job whose connection string has a worker to spare, taking turns;
/// parks it if there is none. Jobs that waited past the queue timeout are answered instead.
/// Answers the jobs at the front of `queue` that waited past the queue timeout.
void drop_expired(const dispatcher_state& st, std::deque<dispatcher_state::pending>& queue) {
  auto now = std::chrono::steady_clock::now();
  while (!queue.empty() && st.queue_timeout.count() > 0 &&
         now - queue.front().queued_at > st.queue_timeout) {
    queue.front().promise.deliver(
        make_error(errc::timeout, "the job waited too long for a database connection"));
    queue.pop_front();
  }
}

void next_job(dispatcher_ptr self, caf::actor worker) {
  auto& st = self->state;
  for (std::size_t i = 0; i < st.turns.size(); ++i) {
    auto target = st.turns[i];
    if (st.running[target] >= st.per_target) continue;
    auto& queue = st.queues[target];
    drop_expired(st, queue);
    if (queue.empty()) {
      st.queues.erase(target);
      st.turns.erase(st.turns.begin() + static_cast<std::ptrdiff_t>(i--));
      continue;
    }
    auto job = std::move(queue.front());
    queue.pop_front();
    st.turns.erase(st.turns.begin() + static_cast<std::ptrdiff_t>(i));
    if (queue.empty())
      st.queues.erase(target);
    else
      st.turns.push_back(target);  // its next job waits for the others' turns
    return start(self, std::move(worker), target, std::move(job));
  }
  st.idle.push_back(std::move(worker));
}

caf::behavior db_dispatcher(dispatcher_ptr self, db_pool_options opts) {
  auto me = caf::actor_cast<caf::actor>(self);
  for (std::size_t i = 0; i < opts.workers; ++i)
    self->state.idle.push_back(self->spawn<caf::detached + caf::linked>(db_worker, opts, me));
  self->state.per_target =
      opts.fair_share ? std::max<std::size_t>(1, opts.workers - 1) : opts.workers;
  self->state.max_queued = opts.max_queued_per_target;
  self->state.queue_timeout = opts.queue_timeout;
  auto submit = [self](std::string& conninfo, any_db_job job) -> caf::result<caf::message> {
    auto promise = self->make_response_promise();
    auto& st = self->state;
    bool queued_before = st.queues.count(conninfo) > 0;
    if (st.idle.empty() || queued_before || st.running[conninfo] >= st.per_target) {
      auto& queue = st.queues[conninfo];
      drop_expired(st, queue);  // they count toward the bound no more
      if (st.max_queued > 0 && queue.size() >= st.max_queued) {
        promise.deliver(make_error(errc::busy,
                                   "too many requests are waiting for this database: retry later",
                                   api_code::too_many_requests));
        return promise;
      }
      queue.push_back({std::move(job), promise, std::chrono::steady_clock::now()});
      if (!queued_before) st.turns.push_back(conninfo);
    } else {
      auto worker = std::move(st.idle.back());
      st.idle.pop_back();
      start(self, std::move(worker), conninfo,
            {std::move(job), promise, std::chrono::steady_clock::now()});
    }
    return promise;
  };
  return {
      [=](run_atom, db_job& job) {
        auto conninfo = opts.conninfo;
        return submit(conninfo, std::move(job));
      },
      [=](run_atom, std::string& conninfo, db_job& job) {
        return submit(conninfo, std::move(job));
      },
      [=](run_atom, std::string& conninfo, session_job& job) {
        return submit(conninfo, std::move(job));
      },
      [=](run_atom, retry_safe& job) {
        auto conninfo = opts.conninfo;
        return submit(conninfo, std::move(job));
      },
      // A worker finished a job of `conninfo`.
      [=](caf::ok_atom, caf::actor& worker, const std::string& conninfo) {
        auto& st = self->state;
        if (auto it = st.running.find(conninfo); it != st.running.end() && --it->second == 0)
          st.running.erase(it);
        next_job(self, std::move(worker));
      },
  };
}

}  // namespace

caf::actor spawn_db_pool(caf::actor_system& sys, db_pool_options opts) {
  if (opts.workers == 0) opts.workers = 1;
  return sys.spawn(db_dispatcher, std::move(opts));
}

}  // namespace paige::actors
