// Which persistence worker serves which project.
#include "actors/persistence.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace paige::actors;

namespace {
std::vector<caf::actor> null_workers(std::size_t n) { return std::vector<caf::actor>(n); }
}  // namespace

TEST_CASE("projects are spread evenly over the persistence workers and keep theirs",
          "[persistence]") {
  persistence_pool pool{null_workers(4)};
  std::vector<std::size_t> per_worker(4, 0);
  std::vector<std::size_t> first;
  for (int p = 0; p < 10; ++p) first.push_back(pool.index_for("project-" + std::to_string(p)));
  for (auto w : first) ++per_worker.at(w);
  std::sort(per_worker.begin(), per_worker.end());
  CHECK(per_worker == std::vector<std::size_t>{2, 2, 3, 3});
  // Asked again, in another order and after more projects came: the same worker each.
  pool.index_for("project-late");
  for (int p = 9; p >= 0; --p) CHECK(pool.index_for("project-" + std::to_string(p)) == first[p]);
  CHECK_THROWS_AS(persistence_pool{null_workers(0)}, std::invalid_argument);
}
