#include "actors/readiness.hpp"

#include "actors/db_pool.hpp"
#include "actors/errors.hpp"

#include <caf/all.hpp>
#include <pqxx/pqxx>

namespace paige::actors {

namespace {

// Spawned with arguments on purpose: CAF 0.17 dereferences a null argument tuple when a
// function actor is spawned without any (UBSan reports it).
void probe(caf::event_based_actor* self, caf::actor control_db, std::chrono::milliseconds timeout,
           readiness_callback done) {
  db_job ping = [](pqxx::connection& c) {
    pqxx::nontransaction{c}.exec("SELECT 1");
    return caf::make_message(caf::ok_atom::value);
  };
  // Retry-safe: after a restart of the database, the first probe on the pool's dead
  // connection reconnects instead of reporting not ready.
  self->request(control_db, caf::duration{timeout}, run_atom::value, retry_safe{std::move(ping)})
      .then([done](caf::ok_atom) { done(true, {}); },
            [done](caf::error& err) { done(false, reason_of(err)); });
}

}  // namespace

void check_readiness(caf::actor_system& sys, const caf::actor& control_db,
                     std::chrono::milliseconds timeout, readiness_callback done) {
  // A short-lived actor per probe: probes are rare, and it keeps the caller non-blocking.
  sys.spawn(probe, control_db, timeout, std::move(done));
}

}  // namespace paige::actors
