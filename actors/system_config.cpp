#include "actors/system_config.hpp"

#include "actors/errors.hpp"

#include <caf/all.hpp>

#include <thread>

namespace paige::actors {

unsigned scheduler_threads(unsigned threads) {
  if (threads > 0) return threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

void configure_actor_system(caf::actor_system_config& cfg, unsigned threads) {
  cfg.set("scheduler.max-threads", static_cast<std::size_t>(scheduler_threads(threads)));
  cfg.set("scheduler.policy", caf::atom("stealing"));
  // An idle worker goes from spinning straight to its condition variable, without CAF's
  // phase of sleeping and polling, which cost our mostly idle workers half their CPU
  // (docs/decisions/0006).
  cfg.set("work-stealing.moderate-poll-attempts", std::size_t{moderate_poll_attempts});
  cfg.add_error_category(error_category,
                         [](std::uint8_t code, caf::atom_value, const caf::message& ctx) {
                           std::string out = to_string(static_cast<errc>(code));
                           if (ctx.match_elements<std::string, std::string>())
                             out += ": " + ctx.get_as<std::string>(0);
                           return out;
                         });
}

}  // namespace paige::actors
