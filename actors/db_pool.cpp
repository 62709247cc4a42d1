#include "actors/db_pool.hpp"

#include "actors/errors.hpp"
#include "common/log.hpp"

#include <caf/all.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <deque>
#include <list>
#include <memory>
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
  auto it = std::find_if(st.conns.begin(), st.conns.end(), [&](const auto& c) { return c.first == conninfo; });
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

caf::result<caf::message> run_job(worker_state& st, const std::string& conninfo, const db_pool_options& opts,
                                  const db_job& job) {
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
    return make_error(errc::db_unavailable, e.what());
  } catch (const pqxx::sql_error& e) {
    return make_error(errc::db_error, e.what());
  } catch (const std::exception& e) {
    // The connection may be mid-transaction in an unknown state: start afresh.
    if (!conn->is_open()) forget(st, conninfo);
    return make_error(errc::internal, e.what());
  }
}

caf::behavior db_worker(caf::stateful_actor<worker_state>* self, db_pool_options opts, caf::actor dispatcher) {
  auto done = [self, dispatcher] {
    // Tell the dispatcher this worker is free; the reply goes straight to the requester.
    self->send(dispatcher, caf::ok_atom::value, caf::actor_cast<caf::actor>(self));
  };
  return {
      [=](run_atom, const std::string& conninfo, const db_job& job) {
        auto result = run_job(self->state, conninfo, opts, job);
        done();
        return result;
      },
  };
}

struct dispatcher_state {
  static constexpr const char* name = "db_pool";
  struct pending {
    std::string conninfo;
    db_job job;
    caf::response_promise promise;
  };
  std::vector<caf::actor> idle;
  std::deque<pending> queue;
};

caf::behavior db_dispatcher(caf::stateful_actor<dispatcher_state>* self, db_pool_options opts) {
  auto me = caf::actor_cast<caf::actor>(self);
  for (std::size_t i = 0; i < opts.workers; ++i)
    self->state.idle.push_back(self->spawn<caf::detached + caf::linked>(db_worker, opts, me));
  auto submit = [self](std::string& conninfo, db_job& job) -> caf::result<caf::message> {
    auto promise = self->make_response_promise();
    auto& st = self->state;
    if (st.idle.empty()) {
      st.queue.push_back({std::move(conninfo), std::move(job), promise});
    } else {
      auto worker = std::move(st.idle.back());
      st.idle.pop_back();
      promise.delegate(worker, run_atom::value, std::move(conninfo), std::move(job));
    }
    return promise;
  };
  return {
      [=](run_atom, db_job& job) {
        auto conninfo = opts.conninfo;
        return submit(conninfo, job);
      },
      [=](run_atom, std::string& conninfo, db_job& job) { return submit(conninfo, job); },
      // A worker finished its job: give it the oldest queued one, or park it.
      [=](caf::ok_atom, caf::actor& worker) {
        auto& st = self->state;
        if (st.queue.empty()) {
          st.idle.push_back(std::move(worker));
          return;
        }
        auto next = std::move(st.queue.front());
        st.queue.pop_front();
        next.promise.delegate(worker, run_atom::value, std::move(next.conninfo), std::move(next.job));
      },
  };
}

}  // namespace

caf::actor spawn_db_pool(caf::actor_system& sys, db_pool_options opts) {
  if (opts.workers == 0) opts.workers = 1;
  return sys.spawn(db_dispatcher, std::move(opts));
}

}  // namespace paige::actors
