#include "actors/system_config.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

using namespace paige::actors;

TEST_CASE("the actor system's idle workers wait on their condition variable instead of polling") {
  caf::actor_system_config cfg;
  REQUIRE(caf::get_or(cfg, "work-stealing.moderate-poll-attempts", std::size_t{500}) == 500);
  configure_actor_system(cfg, 2);
  CHECK(caf::get_or(cfg, "work-stealing.moderate-poll-attempts", std::size_t{500}) ==
        moderate_poll_attempts);
  CHECK(moderate_poll_attempts == 0);
  CHECK(caf::get_or(cfg, "scheduler.max-threads", std::size_t{0}) == 2);
}

TEST_CASE("scheduler threads: zero means one per core") {
  CHECK(scheduler_threads(3) == 3);
  CHECK(scheduler_threads(0) >= 1);
}
