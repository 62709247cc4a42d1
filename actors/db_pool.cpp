#include "actors/db_pool.hpp"

#include "actors/errors.hpp"
#include "common/log.hpp"

#include <caf/all.hpp>
#include <pqxx/pqxx>

#include <deque>
#include <memory>
#include <vector>

namespace paige::actors {
namespace {

struct worker_state {
  static constexpr const char* name = "db_worker";
  std::unique_ptr<pqxx::connection> conn;
};

caf::result<caf::message> run_job(worker_state& st, const std::string& conninfo,
                                  const std::string& pool, const db_job& job) {
  try {
    if (!st.conn) st.conn = std::make_unique<pqxx::connection>(conninfo);
  } catch (const std::exception& e) {
    log::warn("db.connect_failed", {{"pool", pool}, {"reason", e.what()}});
    return make_error(errc::db_unavailable, e.what());
  }
  try {
    return job(*st.conn);
  } catch (const pqxx::broken_connection& e) {
    st.conn.reset();  // reconnect on the next job
    log::warn("db.connection_lost", {{"pool", pool}, {"reason", e.what()}});
    return make_error(errc::db_unavailable, e.what());
  } catch (const pqxx::sql_error& e) {
    return make_error(errc::db_error, e.what());
  } catch (const std::exception& e) {
    // The connection may be mid-transaction in an unknown state: start afresh.
    if (st.conn && !st.conn->is_open()) st.conn.reset();
    return make_error(errc::internal, e.what());
  }
}

caf::behavior db_worker(caf::stateful_actor<worker_state>* self, std::string conninfo,
                        std::string pool, caf::actor dispatcher) {
  return {
      [=](run_atom, const db_job& job) {
        auto result = run_job(self->state, conninfo, pool, job);
        // Tell the dispatcher this worker is free; the reply goes straight to the requester.
        self->send(dispatcher, caf::ok_atom::value, caf::actor_cast<caf::actor>(self));
        return result;
      },
  };
}

struct dispatcher_state {
  static constexpr const char* name = "db_pool";
  struct pending {
    db_job job;
    caf::response_promise promise;
  };
  std::vector<caf::actor> idle;
  std::deque<pending> queue;
};

caf::behavior db_dispatcher(caf::stateful_actor<dispatcher_state>* self, db_pool_options opts) {
  auto me = caf::actor_cast<caf::actor>(self);
  for (std::size_t i = 0; i < opts.workers; ++i)
    self->state.idle.push_back(
        self->spawn<caf::detached + caf::linked>(db_worker, opts.conninfo, opts.name, me));
  return {
      [=](run_atom, db_job& job) -> caf::result<caf::message> {
        auto promise = self->make_response_promise();
        auto& st = self->state;
        if (st.idle.empty()) {
          st.queue.push_back({std::move(job), promise});
        } else {
          auto worker = std::move(st.idle.back());
          st.idle.pop_back();
          promise.delegate(worker, run_atom::value, std::move(job));
        }
        return promise;
      },
      // A worker finished its job: give it the oldest queued one, or park it.
      [=](caf::ok_atom, caf::actor& worker) {
        auto& st = self->state;
        if (st.queue.empty()) {
          st.idle.push_back(std::move(worker));
          return;
        }
        auto next = std::move(st.queue.front());
        st.queue.pop_front();
        next.promise.delegate(worker, run_atom::value, std::move(next.job));
      },
  };
}

}  // namespace

caf::actor spawn_db_pool(caf::actor_system& sys, db_pool_options opts) {
  if (opts.workers == 0) opts.workers = 1;
  return sys.spawn(db_dispatcher, std::move(opts));
}

}  // namespace paige::actors
