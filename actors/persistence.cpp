#include "actors/persistence.hpp"

#include "storage/conversation_changes.hpp"

#include "actors/db_pool.hpp"
#include "actors/errors.hpp"
#include "actors/event_hub.hpp"  // storage::status_change as a message type
#include "common/log.hpp"
#include "storage/backend_watchdog.hpp"

#include <caf/all.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <variant>

namespace paige::actors {
namespace {

/// A save's value by its name (flows::token_saves names them).
std::string value_of(const bot::save_op& save, const char* key) {
  for (const auto& [k, v] : save.values)
    if (k == key) return v;
  return {};
}

using flush_atom = caf::atom_constant<caf::atom("flush")>;
using linger_atom = caf::atom_constant<caf::atom("linger")>;
using close_idle_atom = caf::atom_constant<caf::atom("closeidle")>;
using clock = std::chrono::steady_clock;

constexpr std::size_t max_batch = 2000;

/// A project whose writes ran into their timeout (its own locks, or a slow trigger on a table
/// its bot saves into) is *slow*: retried as they were, they would hold its worker, and every
/// project sharing it, for the whole timeout again and again. Until its writes have gone
/// through for a while, they are written one at a time, waiting at most `slow_lock_timeout`
/// for a lock, with a growing pause after each failure; one that still runs long alone fails
/// as a statement would, one still waiting for a lock after `slow_attempts` fails as an
/// outage (asked again later).
constexpr std::chrono::milliseconds slow_lock_timeout{400};
constexpr std::chrono::milliseconds first_slow_pause{250};
constexpr std::chrono::milliseconds max_slow_pause{2000};
constexpr int slow_attempts = 4;

/// A project connection idle longer than this is checked before a batch uses it.
constexpr std::chrono::seconds idle_check_after{2};

struct step_req {
  storage::step_row step;
  save_list saves;
};

struct exchange_req {
  storage::inbound_row inbound;
  step_req step;
};

using status_req = std::vector<storage::status_row>;

/// A contact's first message with the bot step it caused, run from the bot's initial state
/// (empty vars) before the contact's conversation was known. The step holds if the open finds
/// no open conversation (so it opens one in that state) and the contact's name is the one the
/// step saw: then the message and step are stored in the open conversation, in the open's
/// transaction. Otherwise nothing but the open is done and the conversation actor runs the
/// step again on the conversation found.
struct first_req {
  storage::open_row open;
  std::string name_seen;
  exchange_req exchange;
  storage::conversation_row opened;  ///< the open's answer, once it ran
};

/// One request waiting for the next commit.
struct entry {
  std::variant<storage::open_row, storage::inbound_row, step_req, exchange_req, first_req,
               storage::accepted_row, status_req, tx_job>
      op;
  caf::response_promise promise;
  int timeouts = 0;  ///< attempts that ran into the write timeout
};

struct project_slot {
  std::string conninfo;
  std::unique_ptr<pqxx::connection> conn;
  caf::actor_addr listener;  ///< told when a connection is made again after one was lost (weak)
  bool lost = false;         ///< the last connection was lost (or could not be made)
  std::vector<entry> pending;
  bool eager = false;        ///< something pending that a reply waits for
  std::size_t lazy = 0;      ///< pending writes nothing waits for (a send's wamid, statuses)
  clock::time_point oldest;  ///< when the oldest of those arrived
  std::chrono::milliseconds session_lock_timeout{0};  ///< the connection's lock timeout
  clock::time_point last_used;                        ///< the connection's last commit
  bool slow = false;                                  ///< see slow_lock_timeout
  clock::time_point last_timeout;                     ///< while slow: its last write that timed out
  std::chrono::milliseconds slow_pause{0};
  clock::time_point next_attempt;  ///< while slow: not written before this

  bool due(clock::time_point now, std::chrono::milliseconds linger) const {
    if (pending.empty()) return false;
    if (slow) return now >= next_attempt;
    return eager || (lazy > 0 && now - oldest >= linger);
  }
  /// When it becomes due, if nothing else wakes it.
  clock::time_point due_at(std::chrono::milliseconds linger) const {
    return slow ? next_attempt : oldest + linger;
  }
};

struct worker_state {
  static constexpr const char* name = "persistence_worker";
  std::unordered_map<std::string, project_slot> projects;
  persistence_options options;  ///< see spawn_persistence
  bool flush_queued = false;
  std::optional<clock::time_point> wake_at;  ///< the earliest linger timer armed
  std::uint64_t wake_id = 0;                 ///< that timer's; the others are stale

  /// A worker that ends (a crash) still answers the requests waiting for a commit: their
  /// requesters wait without a timeout (see conversation_actor.cpp). CAF bounces the ones
  /// still in the mailbox.
  ~worker_state() {
    for (auto& [id, slot] : projects)
      for (auto& e : slot.pending)
        if (e.promise.pending())
          e.promise.deliver(make_error(errc::db_unavailable,
                                       "the persistence worker of project " + id + " stopped"));
  }
};

using self_ptr = caf::stateful_actor<worker_state>*;

/// A connection for a project's batches (storage::set_up_write_session), warmed up so the
/// first messages after a start or a reconnection do not wait for plans. A warm-up that fails
/// short of the connection only costs that wait.
std::unique_ptr<pqxx::connection> connect(const std::string& conninfo,
                                          std::chrono::milliseconds write_timeout) {
  auto conn = std::make_unique<pqxx::connection>(conninfo);
  storage::set_up_write_session(*conn, write_timeout);
  try {
    storage::warm_up_write_session(*conn);
  } catch (const pqxx::broken_connection&) {
    throw;
  } catch (const std::exception& e) {
    log::warn("persistence.warm_up_failed", {{"reason", e.what()}});
  }
  return conn;
}

/// The exchange of an exchange or first-message request, else null.
exchange_req* exchange_in(entry& e) {
  if (auto* f = std::get_if<first_req>(&e.op)) return &f->exchange;
  return std::get_if<exchange_req>(&e.op);
}
const exchange_req* exchange_in(const entry& e) { return exchange_in(const_cast<entry&>(e)); }

/// The reply to an exchange (`id`, `outcome`): a first message's also says how its
/// conversation was opened and that its step held.
caf::message exchange_reply(const entry& e, std::int64_t id, storage::step_outcome outcome) {
  if (auto* f = std::get_if<first_req>(&e.op))
    return caf::make_message(f->opened, true, id, std::move(outcome));
  return caf::make_message(id, std::move(outcome));
}

/// How many statements `batch` runs: one per kind of batched write, more for the others.
std::size_t statements_of(const std::vector<entry>& batch) {
  bool inbound = false, exchanges = false, steps = false, accepted = false, statuses = false;
  std::size_t others = 0;
  std::unordered_set<std::string> open_states;  // opens: a statement per initial state
  for (const auto& e : batch) {
    if (auto* o = std::get_if<storage::open_row>(&e.op))
      open_states.insert(o->initial_state);
    else if (std::holds_alternative<storage::inbound_row>(e.op))
      inbound = true;
    else if (auto* s = std::get_if<step_req>(&e.op))
      steps = true, others += s->saves.size();
    else if (auto* x = exchange_in(e)) {
      if (auto* f = std::get_if<first_req>(&e.op)) open_states.insert(f->open.initial_state);
      if (x->step.saves.empty())
        exchanges = true;
      else
        inbound = steps = true, others += x->step.saves.size();
    } else if (std::holds_alternative<storage::accepted_row>(e.op))
      accepted = true;
    else if (std::holds_alternative<status_req>(e.op))
      statuses = true;
    else
      others += 2;  // jobs: one or more
  }
  return others + open_states.size() + inbound + exchanges + steps + accepted + statuses;
}

/// What a batch holds: how many of the message path's common kinds of write (exchanges
/// without saves, sends' wamids, statuses), whether it opens conversations, and whether
/// anything else.
struct batch_mix {
  int common_kinds = 0;
  bool opens = false;
  bool others = false;
};

batch_mix mix_of(const std::vector<entry>& batch) {
  bool kinds[3] = {false, false, false};
  batch_mix mix;
  for (const auto& e : batch) {
    if (std::holds_alternative<first_req>(e.op)) mix.opens = true;
    if (auto* x = exchange_in(e); x && x->step.saves.empty())
      kinds[0] = true;
    else if (std::holds_alternative<storage::accepted_row>(e.op))
      kinds[1] = true;
    else if (std::holds_alternative<status_req>(e.op))
      kinds[2] = true;
    else if (std::holds_alternative<storage::open_row>(e.op))
      mix.opens = true;
    else
      mix.others = true;
  }
  mix.common_kinds = kinds[0] + kinds[1] + kinds[2];
  return mix;
}

/// Opens the conversations asked for by `batch[at...]` (open and first-message requests), in
/// one statement. Answers the opens and the first messages whose step did not hold; the
/// places of those whose step held, their exchanges now in the opened conversations, go to
/// `held`.
void run_opens(pqxx::transaction_base& tx, std::vector<entry>& batch, std::vector<std::size_t>& at,
               std::vector<caf::message>& replies, std::vector<std::size_t>& held) {
  if (at.empty()) return;
  std::vector<storage::open_row> rows;
  for (auto i : at) {
    auto* f = std::get_if<first_req>(&batch[i].op);
    rows.push_back(f ? f->open : std::get<storage::open_row>(batch[i].op));
  }
  auto opened = storage::open_conversations(tx, rows);
  for (std::size_t k = 0; k < at.size(); ++k) {
    auto* f = std::get_if<first_req>(&batch[at[k]].op);
    if (!f) {
      replies[at[k]] = caf::make_message(std::move(opened[k]));
    } else if (opened[k].opened && opened[k].contact_name == f->name_seen) {
      f->opened = std::move(opened[k]);
      for (auto* ids :
           {&f->exchange.inbound.conversation_id, &f->exchange.step.step.conversation_id})
        *ids = f->opened.conversation_id;
      for (auto* ids : {&f->exchange.inbound.contact_id, &f->exchange.step.step.contact_id})
        *ids = f->opened.contact_id;
      held.push_back(at[k]);
    } else {
      replies[at[k]] =
          caf::make_message(std::move(opened[k]), false, std::int64_t{0}, storage::step_outcome{});
    }
  }
  at.clear();
}

/// The status requests' replies: each change goes back to the first request that carried its
/// message (`statuses_at`: the requests' places in `batch`).
void reply_statuses(const std::vector<entry>& batch, const std::vector<std::size_t>& statuses_at,
                    std::vector<storage::status_change> changes,
                    std::vector<caf::message>& replies) {
  std::vector<std::vector<storage::status_change>> per_request(statuses_at.size());
  for (auto& c : changes)
    for (std::size_t k = 0; k < statuses_at.size(); ++k) {
      const auto& rows = std::get<status_req>(batch[statuses_at[k]].op);
      if (std::any_of(rows.begin(), rows.end(),
                      [&](const auto& r) { return r.wamid == c.wamid; })) {
        per_request[k].push_back(std::move(c));
        break;
      }
    }
  for (std::size_t k = 0; k < statuses_at.size(); ++k)
    replies[statuses_at[k]] = caf::make_message(std::move(per_request[k]));
}

/// Runs a batch of common writes (batch_mix) as one statement, after its opens if any (one
/// more), and returns the replies, in order.
std::vector<caf::message> run_common(pqxx::transaction_base& tx, std::vector<entry>& batch) {
  std::vector<caf::message> replies(batch.size());
  storage::batch_writes writes;
  std::vector<std::size_t> opens_at, exchanges_at, accepted_at, statuses_at, held;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& op = batch[i].op;
    if (std::holds_alternative<storage::open_row>(op) || std::holds_alternative<first_req>(op)) {
      opens_at.push_back(i);  // a first message's exchange follows if its step held
    } else if (auto* x = std::get_if<exchange_req>(&op)) {
      writes.exchanges.push_back({x->inbound, x->step.step});
      exchanges_at.push_back(i);
    } else if (auto* a = std::get_if<storage::accepted_row>(&op)) {
      writes.accepted.push_back(*a);
      accepted_at.push_back(i);
    } else {
      const auto& rows = std::get<status_req>(op);
      writes.statuses.insert(writes.statuses.end(), rows.begin(), rows.end());
      statuses_at.push_back(i);
    }
  }
  run_opens(tx, batch, opens_at, replies, held);
  for (auto i : held) {
    const auto& x = std::get<first_req>(batch[i].op).exchange;
    writes.exchanges.push_back({x.inbound, x.step.step});
    exchanges_at.push_back(i);
  }
  auto results = storage::write_batch(tx, writes);
  for (std::size_t k = 0; k < exchanges_at.size(); ++k)
    replies[exchanges_at[k]] = exchange_reply(batch[exchanges_at[k]], results.exchanges[k].first,
                                              std::move(results.exchanges[k].second));
  for (std::size_t k = 0; k < accepted_at.size(); ++k)
    replies[accepted_at[k]] = caf::make_message(
        results.accepted[k].has_value(), results.accepted[k].value_or(storage::status_change{}));
  reply_statuses(batch, statuses_at, std::move(results.statuses), replies);
  return replies;
}

/// Runs `batch` in one transaction and returns the replies, in order. The order of writes:
/// opens and jobs as they came (consecutive opens in one statement), inbound messages,
/// inbound messages with their steps, bot steps (with their saves), sends' wamids, statuses
/// (so a status finds the wamid recorded in the same batch).
std::vector<caf::message> run_batch(pqxx::transaction_base& tx, std::vector<entry>& batch) {
  std::vector<caf::message> replies(batch.size());
  std::vector<storage::inbound_row> inbound;
  std::vector<std::size_t> inbound_at;
  std::vector<storage::exchange_row> exchanges;
  std::vector<std::size_t> exchanges_at;
  std::vector<storage::step_row> steps;
  std::vector<std::size_t> steps_at;
  std::vector<storage::accepted_row> accepted;
  std::vector<std::size_t> accepted_at;
  std::vector<storage::status_row> statuses;
  std::vector<std::size_t> statuses_at;
  std::vector<std::size_t> opens_at;
  auto add_exchange = [&](std::size_t i, const exchange_req& x) {
    if (x.step.saves.empty()) {
      exchanges.push_back({x.inbound, x.step.step});
      exchanges_at.push_back(i);
    } else {
      // Its saves run between the two: the message first, then the saves and the step.
      inbound.push_back(x.inbound);
      inbound.back().handled = true;  // its step comes with it, in this transaction
      inbound_at.push_back(i);
    }
  };
  // Opens pending so far; first messages whose step held then join the exchanges.
  auto open_now = [&] {
    std::vector<std::size_t> held;
    run_opens(tx, batch, opens_at, replies, held);
    for (auto i : held) add_exchange(i, std::get<first_req>(batch[i].op).exchange);
  };
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& op = batch[i].op;
    if (std::holds_alternative<storage::open_row>(op) || std::holds_alternative<first_req>(op)) {
      opens_at.push_back(i);
    } else if (auto* job = std::get_if<tx_job>(&op)) {
      open_now();
      replies[i] = (*job)(tx);
    } else if (auto* row = std::get_if<storage::inbound_row>(&op)) {
      inbound.push_back(*row);
      inbound_at.push_back(i);
    } else if (auto* x = std::get_if<exchange_req>(&op)) {
      add_exchange(i, *x);
    } else if (auto* s = std::get_if<step_req>(&op)) {
      if (!s->saves.empty()) open_now();
      for (const auto& save : s->saves) apply_save(tx, save);
      steps.push_back(s->step);
      steps_at.push_back(i);
    } else if (auto* a = std::get_if<storage::accepted_row>(&op)) {
      accepted.push_back(*a);
      accepted_at.push_back(i);
    } else if (auto* st = std::get_if<status_req>(&op)) {
      statuses.insert(statuses.end(), st->begin(), st->end());
      statuses_at.push_back(i);
    }
  }
  open_now();
  if (!inbound.empty()) {
    auto ids = storage::insert_inbound(tx, inbound);
    for (std::size_t k = 0; k < ids.size(); ++k) {
      auto i = inbound_at[k];
      auto* x = exchange_in(batch[i]);
      if (!x) {
        replies[i] = caf::make_message(ids[k]);
      } else if (ids[k] == 0) {
        replies[i] = exchange_reply(batch[i], 0, {});  // a duplicate: no step
      } else {
        for (const auto& save : x->step.saves) apply_save(tx, save);
        x->step.step.message_id = ids[k];
        x->step.step.fresh = true;
        steps.push_back(x->step.step);
        steps_at.push_back(i);
      }
    }
  }
  if (!exchanges.empty()) {
    auto results = storage::insert_exchanges(tx, exchanges);
    for (std::size_t k = 0; k < results.size(); ++k)
      replies[exchanges_at[k]] =
          exchange_reply(batch[exchanges_at[k]], results[k].first, std::move(results[k].second));
  }
  if (!steps.empty()) {
    auto outcomes = storage::apply_steps(tx, steps);
    for (std::size_t k = 0; k < outcomes.size(); ++k) {
      auto i = steps_at[k];
      if (exchange_in(batch[i]))
        replies[i] = exchange_reply(batch[i], steps[k].message_id, std::move(outcomes[k]));
      else
        replies[i] = caf::make_message(std::move(outcomes[k]));
    }
  }
  if (!accepted.empty()) {
    auto changes = storage::record_accepted(tx, accepted);
    for (std::size_t k = 0; k < changes.size(); ++k)
      replies[accepted_at[k]] =
          caf::make_message(changes[k].has_value(), changes[k].value_or(storage::status_change{}));
  }
  if (!statuses_at.empty())
    reply_statuses(batch, statuses_at, storage::apply_statuses(tx, statuses), replies);
  return replies;
}

/// Runs `run` on `conn` and commits: a single statement alone (it commits atomically on its
/// own: one round trip instead of three), more in a transaction.
template <class Run>
std::vector<caf::message> commit_with(pqxx::connection& conn, bool one_statement, Run run) {
  if (one_statement) {
    pqxx::nontransaction tx{conn};
    return run(tx);
  }
  pqxx::work tx{conn};
  auto replies = run(tx);
  tx.commit();
  return replies;
}

/// Whether nothing on a reply path waits for the entry's write (a send's wamid, statuses).
bool lazy_entry(const entry& e) {
  return std::holds_alternative<storage::accepted_row>(e.op) ||
         std::holds_alternative<status_req>(e.op);
}

/// Notes what is left pending after a flush took some of it (or put some back).
void recount(project_slot& slot) {
  slot.eager = false;
  slot.lazy = 0;
  for (const auto& e : slot.pending) {
    if (lazy_entry(e))
      ++slot.lazy;
    else
      slot.eager = true;
  }
}

/// Runs and commits `batch`. A mix of the message path's common writes is one statement
/// (storage::write_batch); with opens (first messages of new conversations), the opens'
/// statement and that one in a transaction.
std::vector<caf::message> commit_batch(pqxx::connection& conn, std::vector<entry>& batch) {
  if (auto mix = mix_of(batch); !mix.others && mix.common_kinds > 1)
    return commit_with(conn, !mix.opens,
                       [&](pqxx::transaction_base& tx) { return run_common(tx, batch); });
  return commit_with(conn, statements_of(batch) == 1,
                     [&](pqxx::transaction_base& tx) { return run_batch(tx, batch); });
}

/// What to log of a failed batch: the SQLSTATE (its message may quote the project's values).
std::string failure_code(const std::exception& e) {
  if (auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) return "SQLSTATE " + sql->sqlstate();
  return e.what();
}

caf::error failure_of(const std::exception& e) {
  // The connection died during COMMIT: an outage, and the writes may have committed (their
  // requests are asked again, which every write of the pipeline allows).
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e))
    return make_error(errc::db_unavailable, e.what());
  if (dynamic_cast<const pqxx::broken_connection*>(&e))
    return make_error(errc::db_unavailable, e.what());
  // Callers may log the SQLSTATE, never the message (it can quote the project's own values).
  if (auto* sql = dynamic_cast<const pqxx::sql_error*>(&e))
    return make_db_error(e.what(), sql->sqlstate());
  return make_error(errc::internal, e.what());
}

/// A batch (or one request of a failed batch) committed on the project's connection, watched
/// from outside past twice the write timeout. What a connection the watchdog ended means: the
/// project's own code (a trigger, a default) ran past the timeout, so the batch failed as a
/// statement would (db_error), not as an outage (which is retried at once, again and again).
std::vector<caf::message> watched_commit(const persistence_options& options,
                                         const std::string& project_id, project_slot& slot,
                                         std::vector<entry>& batch) {
  if (slot.conn && clock::now() - slot.last_used > idle_check_after) {
    // A connection idle this long may have died with its server (a restart): found now, the
    // batch goes on a new one instead of failing.
    try {
      pqxx::nontransaction{*slot.conn}.exec("SELECT 1");
    } catch (const pqxx::broken_connection&) {
      slot.conn.reset();
      slot.lost = true;
    }
  }
  if (!slot.conn) {
    slot.conn = connect(slot.conninfo, options.write_timeout);
    slot.session_lock_timeout = options.write_timeout * 4 / 5;  // storage::set_up_write_session
    slot.last_used = clock::now();
    if (slot.lost)
      if (auto listener = caf::actor_cast<caf::actor>(slot.listener))
        caf::anon_send(listener, reconnected_atom::value, project_id);
    slot.lost = false;
  }
  // The statement timeout stays: a slow project's writes get their usual time to run, but
  // not to wait for its locks.
  auto lock_timeout = slot.slow ? slow_lock_timeout : options.write_timeout * 4 / 5;
  if (slot.session_lock_timeout != lock_timeout) {
    pqxx::nontransaction{*slot.conn}.exec0("SET lock_timeout = " +
                                           std::to_string(lock_timeout.count()));
    slot.session_lock_timeout = lock_timeout;
  }
  storage::backend_watchdog::watch watch{options.watchdog, slot.conn->backendpid(),
                                         clock::now() + 2 * options.write_timeout, "persistence"};
  try {
    auto replies = commit_batch(*slot.conn, batch);
    slot.last_used = clock::now();
    return replies;
  } catch (const pqxx::broken_connection& e) {
    if (watch.fired() == storage::backend_watchdog::action::none) throw;
    slot.conn.reset();
    throw pqxx::sql_error(
        std::string{"the write ran past its deadline and was stopped: "} + e.what(), "", "57014");
  }
}

/// The SQLSTATE of a failed statement ("" for other failures).
std::string sqlstate_of(const std::exception& e) {
  auto* sql = dynamic_cast<const pqxx::sql_error*>(&e);
  return sql ? sql->sqlstate() : std::string{};
}

/// Whether a write failed on its timeout (statement or lock), rather than on what it wrote.
bool timed_out(const std::exception& e) {
  auto state = sqlstate_of(e);
  return state == "57014" || state == "55P03";
}

/// Puts `rest` back in front of the project's pending requests, in order, and marks the
/// project slow (or slower): see slow_lock_timeout.
void slow_down(const std::string& project_id, project_slot& slot, std::vector<entry>& rest,
               const std::exception& e) {
  for (auto& en : rest) ++en.timeouts;
  slot.pending.insert(slot.pending.begin(), std::make_move_iterator(rest.begin()),
                      std::make_move_iterator(rest.end()));
  if (!slot.slow)
    log::warn("persistence.project_slow", {{"project", project_id}, {"reason", failure_code(e)}});
  slot.slow_pause = slot.slow ? std::min(slot.slow_pause * 2, max_slow_pause) : first_slow_pause;
  slot.slow = true;
  recount(slot);
  slot.last_timeout = clock::now();
  slot.next_attempt = slot.last_timeout + slot.slow_pause;
}

/// A slow project's next request, alone under the short lock timeout.
void flush_slow(const persistence_options& options, const std::string& project_id,
                project_slot& slot) {
  std::vector<entry> single;
  single.push_back(std::move(slot.pending.front()));
  slot.pending.erase(slot.pending.begin());
  try {
    auto replies = watched_commit(options, project_id, slot, single);
    single[0].promise.deliver(std::move(replies[0]));
    slot.slow_pause = first_slow_pause;
    // Slow until its writes have gone through for a write timeout: a lock taken again and
    // again would cost a full lock wait at each return to batches.
    if (clock::now() - slot.last_timeout >= options.write_timeout) {
      slot.slow = false;
      log::info("persistence.project_recovered", {{"project", project_id}});
    }
  } catch (const pqxx::broken_connection& e) {
    slot.conn.reset();
    slot.lost = true;
    single[0].promise.deliver(make_error(errc::db_unavailable, e.what()));
  } catch (const std::exception& e) {
    // A wait for a lock (its timeout comes first) is tried again, paced: locks are released.
    // A statement that ran long alone (a trigger, a default) will run long again: it fails
    // now, as a statement would, and its requester moves on.
    bool lock_wait = sqlstate_of(e) == "55P03";
    if (lock_wait && single[0].timeouts + 1 < slow_attempts)
      return slow_down(project_id, slot, single, e);
    // A lock held this long: asked again later, as after an outage (Meta redelivers).
    if (lock_wait)
      single[0].promise.deliver(
          make_error(errc::db_unavailable, "the project's tables stayed locked"));
    else
      single[0].promise.deliver(failure_of(e));
    slot.next_attempt = clock::now() + slot.slow_pause;  // paced after any failure
  }
}

/// A reply's own lingering writes (its wamid, three statuses) per write a reply waits for.
constexpr std::size_t lazy_per_eager = 4;

/// Takes the next batch: at most max_batch entries, in order. Writes nothing waits for ride
/// along with the writes a reply waits for, oldest first, up to lazy_per_eager each: a chat's
/// own statuses go in its commits as ever, but a broadcast's thousands a second do not lengthen
/// them; the rest commit on their own once they lingered their time (or with `all`). A batch
/// applies its writes by kind, statuses last, so leaving some for the next keeps their order.
std::vector<entry> take_batch(project_slot& slot, std::chrono::milliseconds linger, bool all) {
  bool lingered = all || (slot.lazy > 0 && clock::now() - slot.oldest >= linger);
  std::size_t eager = 0;
  for (const auto& e : slot.pending) eager += !lazy_entry(e);
  auto lazy_room = lingered ? slot.pending.size() : eager * lazy_per_eager;
  std::vector<entry> batch, kept;
  if (lazy_room >= slot.lazy && slot.pending.size() <= max_batch) {
    batch.swap(slot.pending);
  } else {
    for (auto& e : slot.pending) {
      bool lazy = lazy_entry(e);
      bool take = batch.size() < max_batch && (!lazy || lazy_room > 0);
      if (take && lazy) --lazy_room;
      (take ? batch : kept).push_back(std::move(e));
    }
    slot.pending.swap(kept);
  }
  recount(slot);  // those left keep the age of the oldest: they go a little early, never late
  return batch;
}

void flush_project(const persistence_options& options, const std::string& project_id,
                   project_slot& slot, bool all = false) {
  if (slot.slow) {
    flush_slow(options, project_id, slot);
    return recount(slot);
  }
  auto batch = take_batch(slot, options.linger, all);
  try {
    auto replies = watched_commit(options, project_id, slot, batch);
    // Replies in the order the batch applied them: statuses last (so a send's `accepted`
    // reaches its requester before the statuses that followed it).
    for (int statuses = 0; statuses < 2; ++statuses)
      for (std::size_t i = 0; i < batch.size(); ++i)
        if (std::holds_alternative<status_req>(batch[i].op) == (statuses == 1))
          batch[i].promise.deliver(std::move(replies[i]));
    return;
  } catch (const pqxx::broken_connection& e) {
    slot.conn.reset();
    slot.lost = true;
    log::warn("persistence.connection_lost", {{"project", project_id}, {"reason", e.what()}});
    for (auto& en : batch) en.promise.deliver(make_error(errc::db_unavailable, e.what()));
    return;
  } catch (const std::exception& e) {
    // Each request alone would wait out the timeout again, holding the worker from the
    // projects that share it: the project goes slow instead.
    if (timed_out(e)) return slow_down(project_id, slot, batch, e);
    if (batch.size() == 1) {
      batch[0].promise.deliver(failure_of(e));
      return;
    }
    log::warn("persistence.batch_failed",
              {{"project", project_id}, {"size", batch.size()}, {"reason", failure_code(e)}});
  }
  // One request failed the batch: each one alone, so the others still commit.
  for (std::size_t i = 0; i < batch.size(); ++i) {
    std::vector<entry> single;
    single.push_back(std::move(batch[i]));
    try {
      auto replies = watched_commit(options, project_id, slot, single);
      single[0].promise.deliver(std::move(replies[0]));
    } catch (const pqxx::broken_connection& e) {
      slot.conn.reset();
      slot.lost = true;
      single[0].promise.deliver(make_error(errc::db_unavailable, e.what()));
    } catch (const std::exception& e) {
      if (!timed_out(e)) {
        single[0].promise.deliver(failure_of(e));
        continue;
      }
      std::vector<entry> rest;
      rest.push_back(std::move(single[0]));
      for (++i; i < batch.size(); ++i) rest.push_back(std::move(batch[i]));
      return slow_down(project_id, slot, rest, e);
    }
  }
}

/// Whether `op` may wait for company: nothing waits for its reply on the reply path.
template <class Op>
constexpr bool lazy_op() {
  return std::is_same_v<std::decay_t<Op>, storage::accepted_row> ||
         std::is_same_v<std::decay_t<Op>, status_req>;
}

/// Arms the linger timer for `at`, unless one is armed for no later.
void wake_at(self_ptr self, clock::time_point at) {
  auto& st = self->state;
  if (st.wake_at && *st.wake_at <= at) return;
  st.wake_at = at;
  ++st.wake_id;
  auto wait = std::chrono::ceil<std::chrono::milliseconds>(at - clock::now());
  self->delayed_send(self, std::max(wait, std::chrono::milliseconds{1}), linger_atom::value,
                     st.wake_id);
}

/// Flushes the projects that are due; queues the next flush or arms the linger timer for
/// what is left.
void flush_due(self_ptr self) {
  auto now = clock::now();
  for (auto& [id, slot] : self->state.projects)
    if (slot.due(now, self->state.options.linger)) {
      flush_project(self->state.options, id, slot);  // the rest of an oversized batch goes next
    }
  bool eager = false;
  std::optional<clock::time_point> next;
  for (auto& [id, slot] : self->state.projects) {
    if (slot.pending.empty()) continue;
    if (slot.eager && !slot.slow) {
      eager = true;
    } else {
      auto at = slot.due_at(self->state.options.linger);
      if (!next || at < *next) next = at;
    }
  }
  if (eager && !self->state.flush_queued) {
    self->state.flush_queued = true;
    self->send(self, flush_atom::value);
  }
  if (next) wake_at(self, *next);
}

template <class Op>
caf::result<caf::message> enqueue(self_ptr self, const std::string& project_id, Op&& op) {
  auto it = self->state.projects.find(project_id);
  if (it == self->state.projects.end())
    return make_error(errc::db_unavailable,
                      "project " + project_id + " has no database registered");
  auto promise = self->make_response_promise();
  auto& slot = it->second;
  if (lazy_op<Op>() && slot.lazy++ == 0) slot.oldest = clock::now();
  slot.pending.push_back({std::forward<Op>(op), promise});
  if (!lazy_op<Op>()) {
    slot.eager = true;
    if (!self->state.flush_queued) {
      self->state.flush_queued = true;
      self->send(self, flush_atom::value);  // behind everything already in the mailbox
    }
  } else {
    wake_at(self, slot.due_at(self->state.options.linger));
  }
  return promise;
}

/// Closes the connections of projects that wrote nothing for `idle_close` (none pending): the
/// next write connects again (warmed up, as after a start).
void close_idle(self_ptr self) {
  auto now = clock::now();
  auto idle = self->state.options.idle_close;
  for (auto& [id, slot] : self->state.projects)
    if (slot.conn && slot.pending.empty() && now - slot.last_used >= idle) slot.conn.reset();
}

caf::behavior persistence_worker(self_ptr self, std::size_t index, persistence_options options) {
  log::debug("persistence.worker_started", {{"index", index}});
  self->state.options = options;
  if (options.idle_close.count() > 0)
    self->delayed_send(self, options.idle_close, close_idle_atom::value);
  // Asked to stop (shutdown): what waits for company commits first, so a send's wamid
  // recorded in memory is not lost to a resend after the restart.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    // Slow projects one request at a time, without their pauses, within one write timeout.
    auto deadline = clock::now() + self->state.options.write_timeout;
    for (bool more = true; more && clock::now() < deadline;) {
      more = false;
      for (auto& [id, slot] : self->state.projects)
        if (!slot.pending.empty()) {
          flush_project(self->state.options, id, slot, true);
          more = more || !slot.pending.empty();
        }
    }
    self->quit(msg.reason);
  });
  return {
      [=](register_atom, const std::string& project_id, const std::string& conninfo) {
        auto& slot = self->state.projects[project_id];
        if (slot.conninfo != conninfo) slot.conn.reset();
        slot.conninfo = conninfo;
      },
      [=](register_atom, const std::string& project_id, const std::string& conninfo,
          caf::actor& listener) {
        auto& slot = self->state.projects[project_id];
        if (slot.conninfo != conninfo) slot.conn.reset();
        slot.conninfo = conninfo;
        slot.listener = listener.address();
      },
      [=](open_atom, const std::string& project_id, std::string& wa_id, std::string& name,
          std::string& initial_state) {
        return enqueue(
            self, project_id,
            storage::open_row{std::move(wa_id), std::move(name), std::move(initial_state)});
      },
      [=](inbound_atom, const std::string& project_id, storage::inbound_row& row) {
        return enqueue(self, project_id, std::move(row));
      },
      [=](step_atom, const std::string& project_id, storage::step_row& step, save_list& saves) {
        return enqueue(self, project_id, step_req{std::move(step), std::move(saves)});
      },
      [=](exchange_atom, const std::string& project_id, storage::inbound_row& row,
          storage::step_row& step, save_list& saves) {
        return enqueue(self, project_id,
                       exchange_req{std::move(row), step_req{std::move(step), std::move(saves)}});
      },
      [=](first_atom, const std::string& project_id, storage::open_row& open,
          std::string& name_seen, storage::inbound_row& row, storage::step_row& step,
          save_list& saves) {
        return enqueue(
            self, project_id,
            first_req{std::move(open),
                      std::move(name_seen),
                      exchange_req{std::move(row), step_req{std::move(step), std::move(saves)}},
                      {}});
      },
      [=](accepted_atom, const std::string& project_id, std::int64_t message_id,
          std::string& wamid) {
        return enqueue(self, project_id, storage::accepted_row{message_id, std::move(wamid)});
      },
      [=](status_atom, const std::string& project_id, status_req& rows) {
        return enqueue(self, project_id, std::move(rows));
      },
      [=](run_atom, const std::string& project_id, tx_job& job) {
        return enqueue(self, project_id, std::move(job));
      },
      [=](flush_atom) {
        self->state.flush_queued = false;
        flush_due(self);
      },
      [=](close_idle_atom) {
        close_idle(self);
        self->delayed_send(self, self->state.options.idle_close, close_idle_atom::value);
      },
      [=](linger_atom, std::uint64_t id) {
        if (id != self->state.wake_id) return;  // replaced by an earlier one, which came first
        self->state.wake_at.reset();
        flush_due(self);
      },
  };
}

}  // namespace

void apply_save(pqxx::transaction_base& tx, const bot::save_op& save) {
  if (save.what == bot::save_op::kind::opt_out)
    storage::set_contact_opt_out(tx, save.wa_id, save.opted_out);
  else if (save.what == bot::save_op::kind::flow_answer)
    storage::record_flow_answer(tx, save.values);
  else if (save.what == bot::save_op::kind::flow_token)
    storage::record_flow_tokens(
        tx, {{value_of(save, "token"), value_of(save, "flow_name"), value_of(save, "wa_id")}});
  else
    storage::save_row(tx, save.table, save.values);
}

std::vector<caf::actor> spawn_persistence(caf::actor_system& sys, std::size_t workers,
                                          persistence_options options) {
  std::vector<caf::actor> out;
  for (std::size_t i = 0; i < std::max<std::size_t>(1, workers); ++i)
    out.push_back(sys.spawn<caf::detached>(persistence_worker, i, options));
  return out;
}

persistence_pool::persistence_pool(std::vector<caf::actor> workers)
    : workers_(std::move(workers)), projects_per_worker_(workers_.size(), 0) {
  if (workers_.empty()) throw std::invalid_argument("a persistence pool needs at least one worker");
}

std::size_t persistence_pool::index_for(const std::string& project_id) {
  std::lock_guard<std::mutex> lock{mutex_};
  auto [it, added] = assigned_.try_emplace(project_id, 0);
  if (added) {
    it->second = static_cast<std::size_t>(
        std::min_element(projects_per_worker_.begin(), projects_per_worker_.end()) -
        projects_per_worker_.begin());
    ++projects_per_worker_[it->second];
  }
  return it->second;
}

const caf::actor& persistence_pool::worker_for(const std::string& project_id) {
  return workers_[index_for(project_id)];
}

}  // namespace paige::actors
