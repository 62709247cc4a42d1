/// @file
/// @brief A fixed pool of database workers: detached actors, one connection each.
///
/// libpqxx blocks, and only a few CAF scheduler threads exist, so every database call runs
/// on a worker's own thread. A job is a function of the worker's connection that returns the
/// reply message; the dispatcher hands jobs to idle workers in arrival order and queues the
/// rest. A worker that loses its connection reconnects on its next job; the job that saw the
/// loss fails with errc::db_unavailable (it is not retried: it may not be idempotent), unless
/// it is retry_safe: then it runs again at once on a new connection.
#pragma once

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>

#include <pqxx/connection>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <variant>

namespace paige::actors {

/// Database work; runs on a worker thread with the worker's connection. Its return value is
/// the reply; its exceptions become errors (see errors.hpp).
using db_job = std::function<caf::message(pqxx::connection&)>;

/// Database work that opens a session of its own (the SQL endpoint: libpq features libpqxx
/// lacks); runs on a worker thread with the connection string it was given.
using session_job = std::function<caf::message(const std::string& conninfo)>;

/// A job safe to run twice (a read, or a write whose second run changes nothing): one that
/// finds its connection dead (the server restarted) runs again at once on a new connection,
/// instead of failing with db_unavailable.
struct retry_safe {
  db_job job;
};

/// A job of any kind.
using any_db_job = std::variant<db_job, session_job, retry_safe>;

/// Requests: (run_atom, db_job) → whatever the job returns, on the pool's database;
///           (run_atom, std::string conninfo, db_job) → the same, on that database;
///           (run_atom, std::string conninfo, session_job) → whatever the job returns;
///           (run_atom, retry_safe) → the same as a db_job on the pool's database.
using run_atom = caf::atom_constant<caf::atom("run")>;

/// How to build a pool.
struct db_pool_options {
  std::string conninfo;            ///< libpq connection string of every worker
  std::size_t workers = 2;         ///< connections (and threads) of the pool
  std::string name;                ///< for logs
  std::size_t cached_targets = 8;  ///< connections a worker keeps open (other databases)
  bool fair_share = false;  ///< turns per connection string, each holding at most workers - 1
  /// Jobs one connection string may have waiting (0: no limit); past it a job is refused at
  /// once (errc::busy): a project cannot pile up work, and memory, behind its slow statements.
  std::size_t max_queued_per_target = 0;
  /// A job that waited longer than this is answered errc::timeout instead of run (0: never):
  /// its requester has given up by then.
  std::chrono::milliseconds queue_timeout{0};
};

/// Spawns the dispatcher and its workers (linked: they end with it).
caf::actor spawn_db_pool(caf::actor_system& sys, db_pool_options opts);

}  // namespace paige::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::db_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::session_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::retry_safe)
