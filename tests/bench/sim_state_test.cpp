// The simulator's message ids.
#include "bench/metasim/sim_state.hpp"

#include <catch2/catch.hpp>

#include <set>

TEST_CASE("simulated wamids are unique within a run and across runs with the same seed", "[unit][metasim]") {
  std::set<std::string> seen;
  for (int run = 0; run < 2; ++run) {
    paige::metasim::sim_state state{1};  // the same seed: a restarted simulator
    for (int i = 0; i < 100; ++i) CHECK(seen.insert(state.next_wamid()).second);
  }
}
