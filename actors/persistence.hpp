/// @file
/// @brief The persistence supervisor: a fixed pool of database workers that write project
/// databases with group commit.
///
/// Each project is served by one worker (persistence_pool, below), which holds one
/// connection per project it serves. Writes that arrive while a transaction is in flight
/// form the next transaction: a worker appends each request to its project's batch and
/// queues a flush message behind it, so everything already in its mailbox joins that flush.
/// Batch size thus grows with load and no timer adds latency to what a reply waits for. Writes
/// no reply path waits for (a send's wamid, statuses) *linger*: they ride along with the next
/// writes a reply waits for, at most four for each (a chat's own wamid and statuses), or wait
/// up to `linger` (10 ms) and commit together (fewer, larger transactions: bench/README.md), so a
/// broadcast's thousands of statuses a second do not lengthen a reply's commit. An exit
/// (shutdown) commits what lingers first. A batch runs in one transaction: open-conversation
/// and generic jobs in arrival order, then one statement per kind of hot write; a batch of a
/// single statement skips BEGIN/COMMIT. Every request is answered after the commit. If the
/// batch fails, each request is retried alone so one bad write cannot fail the others; one
/// that ran into its timeout makes the project *slow* instead (docs/architecture.md); a lost
/// connection fails the batch with errc::db_unavailable.
///
/// Protocol (per request, the project must be registered first):
///   (register_atom, project_id, conninfo[, listener])       — no reply; after a lost
///       connection, the first new one sends `listener` (reconnected_atom, project_id): writes
///       whose commit it could not confirm may have committed (a reply's outbound messages,
///       queued, that nobody handed to the Meta sync supervisor)
///   (open_atom, project_id, wa_id, name, initial_state)     → storage::conversation_row
///   (inbound_atom, project_id, storage::inbound_row)        → std::int64_t id (0: duplicate)
///   (step_atom, project_id, storage::step_row, saves)       → storage::step_outcome
///   (exchange_atom, project_id, storage::inbound_row, storage::step_row, saves)
///       → (std::int64_t id, storage::step_outcome): an inbound message stored handled together
///       with the bot step it caused (the step's message_id is filled in); id 0: a duplicate,
///       nothing stored, no step
///   (first_atom, project_id, storage::open_row, name_seen, storage::inbound_row,
///   storage::step_row, saves)
///       → (storage::conversation_row, bool held, std::int64_t id, storage::step_outcome): a
///       contact's first message with the step run from the bot's initial state before its
///       conversation was known (the rows' conversation and contact ids are filled in). The
///       open runs as for open_atom; the step holds if it opened a conversation (none was
///       open) and the contact's name is `name_seen`: then the message and step are stored as
///       for exchange_atom, in the same commit. Otherwise only the open is done (held false,
///       id 0): the caller runs the step again on the conversation returned.
///   (accepted_atom, project_id, message_id, wamid)         → (bool changed,
///   storage::status_change) (status_atom, project_id, std::vector<storage::status_row>) →
///   std::vector<storage::status_change>
///       (all statuses of a batch go in one statement, after its other writes)
///   (run_atom, project_id, tx_job)                          → whatever the job returns
#pragma once

#include "actors/core/bot_interpreter.hpp"
#include "actors/db_pool.hpp"
#include "storage/message_log.hpp"

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace pqxx {
class transaction_base;
}

namespace paige::storage {
class backend_watchdog;
}

namespace paige::actors {

using register_atom = caf::atom_constant<caf::atom("register")>;
using open_atom = caf::atom_constant<caf::atom("open")>;
using inbound_atom = caf::atom_constant<caf::atom("inbound")>;
using step_atom = caf::atom_constant<caf::atom("step")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using exchange_atom = caf::atom_constant<caf::atom("exchange")>;
using accepted_atom = caf::atom_constant<caf::atom("accepted")>;
using first_atom = caf::atom_constant<caf::atom("first")>;
using reconnected_atom = caf::atom_constant<caf::atom("reconnect")>;

/// Work inside a project's batch transaction; returns the reply. Must not commit.
using tx_job = std::function<caf::message(pqxx::transaction_base&)>;

/// Rows a step saves into custom tables.
using save_list = std::vector<bot::save_op>;

/// A bot step's write besides the conversation's (a row, an opt-out, a flow's answer or token),
/// in the step's transaction.
void apply_save(pqxx::transaction_base& tx, const bot::save_op& save);

/// How long a write no reply path waits for may wait for company (see the file comment).
constexpr std::chrono::milliseconds default_write_linger{10};

/// See persistence_options::idle_close.
constexpr std::chrono::milliseconds default_idle_close{5 * 60 * 1000};

/// How the workers write. A batch's statements run under `write_timeout` (statement and lock
/// timeout of the session); a project's trigger, default or function that catches its own
/// cancellation is ended from outside by `watchdog` at twice that, so no project holds a
/// worker (and the other projects it serves) longer.
struct persistence_options {
  std::chrono::milliseconds linger = default_write_linger;
  std::chrono::milliseconds write_timeout{5000};
  storage::backend_watchdog* watchdog = nullptr;
  /// A project's connection unused this long is closed (checked as often): a server of many
  /// projects, most of them quiet, holds connections for the busy ones only. 0: never.
  std::chrono::milliseconds idle_close = default_idle_close;
};

/// Spawns `workers` detached workers.
std::vector<caf::actor> spawn_persistence(caf::actor_system& sys, std::size_t workers,
                                          persistence_options options = {});

/// The workers and which one serves each project: the least loaded one when the project is
/// first asked for, then always the same one for the life of the process, because a worker's
/// mailbox is what keeps a project's writes in order, across restarts of its project actor
/// too. Thread-safe.
class persistence_pool {
 public:
  explicit persistence_pool(std::vector<caf::actor> workers);

  /// The worker that serves `project_id`.
  const caf::actor& worker_for(const std::string& project_id);

  /// The index of that worker.
  std::size_t index_for(const std::string& project_id);

 private:
  std::vector<caf::actor> workers_;
  std::mutex mutex_;
  std::vector<std::size_t> projects_per_worker_;
  std::unordered_map<std::string, std::size_t> assigned_;
};

}  // namespace paige::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::tx_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::save_list)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::conversation_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::open_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::inbound_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::step_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::step_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<paige::storage::status_row>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<paige::storage::status_change>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<paige::storage::unhandled_row>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<paige::storage::queued_row>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::queued_message)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<paige::storage::message_row>)
