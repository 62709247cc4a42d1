#include "actors/core/read_tickets.hpp"

#include <catch2/catch.hpp>

using paige::actors::core::read_tickets;

TEST_CASE("of reads answered out of order, the one asked last wins", "[core][read_tickets]") {
  read_tickets reads;
  auto first = reads.ask();
  auto second = reads.ask();
  CHECK(reads.take(second));
  CHECK_FALSE(reads.take(first));  // asked before the answer shown: it would undo it
  auto third = reads.ask();
  CHECK(reads.take(third));
  CHECK_FALSE(reads.take(third));
}

TEST_CASE("reads answered in order are all taken", "[core][read_tickets]") {
  read_tickets reads;
  auto first = reads.ask();
  auto second = reads.ask();
  CHECK(reads.take(first));
  CHECK(reads.take(second));
}
