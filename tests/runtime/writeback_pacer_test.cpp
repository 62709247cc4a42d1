#include "runtime/writeback_pacer.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <optional>

#include "tests/support/child_process.hpp"

using namespace std::chrono_literals;
using paige::runtime::writeback_pacer;

TEST_CASE("the writeback pacer flushes its file system once per interval", "[writeback]") {
  writeback_pacer pacer{std::filesystem::temp_directory_path().string(), 10ms};
  CHECK(paige::test::wait_until([&] { return pacer.flushes() >= 3; }, 10s));
}

TEST_CASE("the writeback pacer stops without waiting out its interval", "[writeback]") {
  std::optional<writeback_pacer> pacer{std::in_place,
                                       std::filesystem::temp_directory_path().string(), 1h};
  auto began = std::chrono::steady_clock::now();
  pacer.reset();
  CHECK(std::chrono::steady_clock::now() - began < 5s);
}

TEST_CASE("the writeback pacer refuses a directory it cannot open", "[writeback]") {
  CHECK_THROWS_WITH((writeback_pacer{"/nonexistent/paige-pacer", 1s}),
                    Catch::Contains("/nonexistent/paige-pacer"));
}
