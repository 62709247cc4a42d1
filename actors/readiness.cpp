#include "actors/readiness.hpp"

#include "actors/db_pool.hpp"
#include "actors/errors.hpp"

#include <caf/all.hpp>
#include <pqxx/pqxx>

namespace paige::actors {

void check_readiness(caf::actor_system& sys, const caf::actor& control_db,
                     std::chrono::milliseconds timeout, readiness_callback done) {
  // A short-lived actor per probe: probes are rare, and it keeps the caller non-blocking.
  sys.spawn([control_db, timeout, done = std::move(done)](caf::event_based_actor* self) {
    db_job ping = [](pqxx::connection& c) {
      pqxx::nontransaction{c}.exec("SELECT 1");
      return caf::make_message(caf::ok_atom::value);
    };
    self->request(control_db, caf::duration{timeout}, run_atom::value, std::move(ping))
        .then([done](caf::ok_atom) { done(true, {}); },
              [done](caf::error& err) { done(false, reason_of(err)); });
  });
}

}  // namespace paige::actors
