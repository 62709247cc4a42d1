#include "storage/session_state.hpp"

namespace paige::storage {

void no_silent_reconnect(pqxx::connection_base& conn) {
  // Deprecated with the reactivation it turns off (libpqxx 7 has neither): until then, the
  // only way to turn it off.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  conn.inhibit_reactivation(true);
#pragma GCC diagnostic pop
}

}  // namespace paige::storage
