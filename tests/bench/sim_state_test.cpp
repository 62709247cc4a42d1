// The simulator's message ids.
#include "bench/metasim/sim_state.hpp"

#include <catch2/catch.hpp>

#include <set>

TEST_CASE("simulated wamids are unique within a run and across runs with the same seed",
          "[unit][metasim]") {
  std::set<std::string> seen;
  for (int run = 0; run < 2; ++run) {
    paige::metasim::sim_state state{1};  // the same seed: a restarted simulator
    for (int i = 0; i < 100; ++i) CHECK(seen.insert(state.next_wamid()).second);
  }
}

TEST_CASE("counters add up by name and faults are shared until replaced", "[unit][metasim]") {
  paige::metasim::sim_state state{1};
  state.count("webhooks_settled");
  state.count(std::string{"webhooks_settled"}, 2);
  state.count("statuses_posted");
  CHECK(state.stats()["webhooks_settled"] == 3);
  CHECK(state.stats()["statuses_posted"] == 1);
  auto before = state.current_faults();
  CHECK(before == state.current_faults());
  paige::metasim::faults f;
  f.statuses = {"sent"};
  state.set_faults(f);
  CHECK(before->statuses.size() == 3);  // a snapshot taken before stays as it was
  CHECK(state.current_faults()->statuses == std::vector<std::string>{"sent"});
  CHECK(state.get_faults().statuses == std::vector<std::string>{"sent"});
}
