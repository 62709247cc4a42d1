#include "actors/provisioner.hpp"

#include "actors/db_pool.hpp"
#include "actors/errors.hpp"
#include "actors/project_types.hpp"
#include "common/log.hpp"
#include "storage/conninfo.hpp"
#include "storage/provisioning.hpp"

#include <caf/all.hpp>
#include <pqxx/pqxx>

#include <random>
#include <unordered_map>

namespace paige::actors {
namespace {

using retry_atom = caf::atom_constant<caf::atom("retry")>;

/// The outcome of one attempt, as the job's reply: ok, or transient/permanent with a reason.
using outcome_atom = caf::atom_constant<caf::atom("outcome")>;
enum class outcome : int { ok = 0, transient = 1, permanent = 2 };

caf::message outcome_message(outcome o, std::string reason = {}) {
  return caf::make_message(outcome_atom::value, static_cast<int>(o), std::move(reason));
}

/// Runs `step` and classifies its failure. A lost *worker* connection is rethrown so the pool
/// worker reconnects (the pool reports it as db_unavailable, which we retry); a lost
/// connection of the step's own is simply transient.
template <class Step>
caf::message classified(bool step_owns_connection, Step&& step) {
  try {
    step();
    return outcome_message(outcome::ok);
  } catch (const pqxx::broken_connection& e) {
    if (!step_owns_connection) throw;
    return outcome_message(outcome::transient, e.what());
  } catch (const pqxx::sql_error& e) {
    // Besides transient states, the races of two runs on one database (23505 on pg_authid,
    // 42710 duplicate role) settle on a retry, whose steps then find the objects.
    bool race = e.sqlstate() == "23505" || e.sqlstate() == "42710";
    return outcome_message(
        is_transient_sqlstate(e.sqlstate()) || race ? outcome::transient : outcome::permanent,
        e.what());
  } catch (const std::exception& e) {
    return outcome_message(outcome::permanent, e.what());
  }
}

struct provisioner_state {
  static constexpr const char* name = "provisioner";
  std::minstd_rand rng{std::random_device{}()};
  /// Databases being worked on → whom to tell when done. A second request for the same
  /// database (its project actor restarted) takes over the answer instead of running the
  /// steps in parallel.
  std::unordered_map<std::string, caf::actor> in_progress;
};

struct request {
  bool provision = true;
  caf::actor project;
  storage::project_database db;
  provision_options options;
  int attempt = 1;
};

}  // namespace
}  // namespace paige::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::request)

namespace paige::actors {
namespace {

void attempt(caf::stateful_actor<provisioner_state>* self, caf::actor admin_db,
             std::string server_conninfo, int max_attempts, request req) {
  db_job job;
  if (req.provision) {
    job = [db = req.db, options = req.options, server_conninfo](pqxx::connection& admin) {
      auto created = classified(false, [&] {
        storage::ensure_project_role(admin, db, options.temp_file_limit_mb);
        storage::ensure_project_database(admin, db);
      });
      if (created.get_as<int>(1) != static_cast<int>(outcome::ok)) return created;
      // Migrations run as the admin, on a connection to the project's database: the admin
      // owns the system tables, the project's role gets their rows.
      return classified(true, [&] {
        storage::migrate_project_database(
            storage::with_params(server_conninfo, {{"dbname", db.name}}), db.role,
            options.migrated_before);
      });
    };
  } else {
    job = [db = req.db](pqxx::connection& admin) {
      return classified(false, [&] { storage::drop_project_database(admin, db); });
    };
  }
  // Whoever asked last for this database gets the answer.
  auto requester = [self, req]() {
    auto it = self->state.in_progress.find(req.db.name);
    auto who = it == self->state.in_progress.end() ? req.project : it->second;
    self->state.in_progress.erase(req.db.name);
    return who;
  };
  auto finish = [self, req, requester](outcome o, const std::string& reason, auto retry) {
    if (o == outcome::ok) {
      log::info(req.provision ? "provisioning.done" : "deprovisioning.done",
                {{"db", req.db.name}, {"attempts", req.attempt}});
      if (req.provision)
        self->send(requester(), provisioned_atom::value);
      else
        self->send(requester(), deprovisioned_atom::value);
      return;
    }
    if (o == outcome::transient) return retry(reason);
    log::error(req.provision ? "provisioning.failed" : "deprovisioning.failed",
               {{"db", req.db.name}, {"reason", reason}});
    self->send(requester(), prov_failed_atom::value, reason);
  };
  auto retry = [self, req, max_attempts, requester](const std::string& reason) {
    if (req.attempt >= max_attempts) {
      log::error("provisioning.gave_up", {{"db", req.db.name}, {"reason", reason}});
      self->send(requester(), prov_failed_atom::value,
                 "gave up after " + std::to_string(req.attempt) + " attempts: " + reason);
      return;
    }
    auto next = req;
    ++next.attempt;
    std::uniform_real_distribution<double> unit{0.0, 1.0};
    auto delay = provisioning_backoff(next.attempt, unit(self->state.rng));
    log::warn("provisioning.retry", {{"db", req.db.name},
                                     {"attempt", next.attempt},
                                     {"delay_ms", static_cast<long>(delay.count())},
                                     {"reason", reason}});
    self->delayed_send(self, delay, retry_atom::value, std::move(next));
  };
  self->request(admin_db, caf::infinite, run_atom::value, std::move(job))
      .then(
          [finish, retry](outcome_atom, int o, std::string& reason) {
            finish(static_cast<outcome>(o), reason, retry);
          },
          [retry, finish](caf::error& err) {
            if (code_of(err) == errc::db_unavailable) return retry(reason_of(err));
            finish(outcome::permanent, reason_of(err), retry);
          });
}

caf::behavior provisioner(caf::stateful_actor<provisioner_state>* self, caf::actor admin_db,
                          std::string server_conninfo, int max_attempts) {
  return {
      [=](provision_atom, caf::actor project, std::string db_name, std::string role,
          std::string password, provision_options options) {
        auto [it, fresh] = self->state.in_progress.emplace(db_name, project);
        if (!fresh) {
          it->second = project;  // already running: the new requester gets the answer
          return;
        }
        attempt(self, admin_db, server_conninfo, max_attempts,
                request{true,
                        std::move(project),
                        {std::move(db_name), std::move(role), std::move(password)},
                        options,
                        1});
      },
      [=](provision_atom, caf::actor project, std::string& db_name, std::string& role,
          std::string& password) {
        self->send(self, provision_atom::value, std::move(project), std::move(db_name),
                   std::move(role), std::move(password), provision_options{});
      },
      [=](deprovision_atom, caf::actor project, std::string db_name, std::string role) {
        auto [it, fresh] = self->state.in_progress.emplace(db_name, project);
        if (!fresh) {
          it->second = project;
          return;
        }
        attempt(
            self, admin_db, server_conninfo, max_attempts,
            request{false, std::move(project), {std::move(db_name), std::move(role), {}}, {}, 1});
      },
      [=](retry_atom, request& req) {
        attempt(self, admin_db, server_conninfo, max_attempts, std::move(req));
      },
  };
}

}  // namespace

bool is_transient_sqlstate(const std::string& state) {
  if (state.size() != 5) return false;
  auto cls = state.substr(0, 2);
  if (cls == "08" || cls == "53") return true;    // connection trouble, out of resources
  if (cls == "57") return state != "57014";       // shutting down, cannot connect now
  return state == "40001" || state == "40P01" ||  // serialization failure, deadlock
         state == "55P03" || state == "55006";    // lock not available, object in use
}

std::chrono::milliseconds provisioning_backoff(int attempt, double unit_random,
                                               std::chrono::milliseconds first,
                                               std::chrono::milliseconds cap) {
  double base = static_cast<double>(first.count());
  for (int i = 2; i < attempt && base < static_cast<double>(cap.count()); ++i) base *= 2;
  base = std::min(base, static_cast<double>(cap.count()));
  return std::chrono::milliseconds{static_cast<long>(base * (0.5 + 0.5 * unit_random))};
}

caf::actor spawn_provisioner(caf::actor_system& sys, caf::actor admin_db,
                             std::string server_conninfo, int max_attempts) {
  return sys.spawn(provisioner, std::move(admin_db), std::move(server_conninfo), max_attempts);
}

}  // namespace paige::actors
