// The conversation actor's phase machine, driven alone: each path the actor takes, and the
// transitions it must never make.
#include "actors/core/conversation_phases.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using namespace paige::actors;

namespace {

conversation_phases open_at(std::int64_t id) {
  conversation_phases p;
  p.open_requested();
  p.opened(id);
  return p;
}

}  // namespace

TEST_CASE("a conversation opens, takes steps and exchanges, and settles", "[phases]") {
  conversation_phases p;
  CHECK(p.conversation() == conversation_phase::none);
  CHECK(p.settled());
  p.open_requested();
  CHECK(p.conversation() == conversation_phase::opening);
  CHECK_FALSE(p.settled());
  p.opened(7);
  CHECK(p.is_open());
  CHECK(p.conversation_id() == 7);
  CHECK(p.settled());

  p.exchange_started();
  CHECK(p.front() == front_phase::exchanging);
  p.exchange_committed();
  CHECK(p.front() == front_phase::running);
  p.step_finished();
  CHECK(p.front() == front_phase::idle);

  p.store_started();
  p.store_started();
  CHECK_FALSE(p.settled());
  p.store_finished();
  p.store_finished();
  CHECK(p.settled());
}

TEST_CASE("a step that closes: closing until the close commits, then none or open again",
          "[phases]") {
  auto p = open_at(7);
  p.step_started();
  p.close_requested();
  CHECK(p.conversation() == conversation_phase::closing);
  CHECK_FALSE(p.is_open());
  p.step_finished();
  p.close_settled(true);
  CHECK(p.conversation() == conversation_phase::none);
  CHECK(p.conversation_id() == 0);

  auto q = open_at(8);
  q.exchange_started();
  q.close_requested();
  q.close_settled(false);  // its commit failed: still open
  CHECK(q.is_open());
  CHECK(q.conversation_id() == 8);
  CHECK(q.front() == front_phase::exchanging);
}

TEST_CASE("a first message opens its conversation with its step", "[phases]") {
  SECTION("held: the step settles next, and a close it asked for follows the open") {
    conversation_phases p;
    p.first_started();
    CHECK(p.conversation() == conversation_phase::opening);
    CHECK(p.front() == front_phase::exchanging);
    p.close_requested();
    CHECK(p.conversation() == conversation_phase::opening);
    p.first_committed(5, true);
    CHECK(p.conversation() == conversation_phase::closing);
    CHECK(p.conversation_id() == 5);
    p.exchange_committed();
    p.step_finished();
    p.close_settled(true);
    CHECK(p.conversation() == conversation_phase::none);
  }
  SECTION("not held: only the open committed, and the step's close is dropped") {
    conversation_phases p;
    p.first_started();
    p.close_requested();
    p.first_committed(5, false);
    CHECK(p.is_open());
    CHECK(p.front() == front_phase::idle);
  }
  SECTION("failed: nothing was opened, and it can start again") {
    conversation_phases p;
    p.first_started();
    p.close_requested();
    p.first_failed();
    CHECK(p.conversation() == conversation_phase::none);
    CHECK(p.front() == front_phase::idle);
    p.first_started();
    p.first_committed(6, true);
    CHECK(p.is_open());  // the earlier close request was forgotten with the failure
  }
  SECTION("an open that fails leaves none") {
    conversation_phases p;
    p.open_requested();
    p.open_failed();
    CHECK(p.conversation() == conversation_phase::none);
    CHECK(p.settled());
  }
}

TEST_CASE("transitions the machine does not allow are refused", "[phases]") {
  conversation_phases none;
  CHECK_THROWS_AS(none.opened(3), std::logic_error);
  CHECK_THROWS_AS(none.exchange_started(), std::logic_error);
  CHECK_THROWS_AS(none.close_requested(), std::logic_error);
  CHECK_THROWS_AS(none.close_settled(true), std::logic_error);
  CHECK_THROWS_AS(none.step_finished(), std::logic_error);
  CHECK_THROWS_AS(none.store_finished(), std::logic_error);
  CHECK_THROWS_AS(none.exchange_committed(), std::logic_error);

  conversation_phases opening;
  opening.open_requested();
  CHECK_THROWS_AS(opening.open_requested(), std::logic_error);
  CHECK_THROWS_AS(opening.step_started(), std::logic_error);
  CHECK_THROWS_AS(opening.first_started(), std::logic_error);
  CHECK_THROWS_AS(opening.close_requested(), std::logic_error);  // no step asked for it
  CHECK_THROWS_AS(opening.opened(0), std::logic_error);

  auto open = open_at(9);
  CHECK_THROWS_AS(open.close_requested(), std::logic_error);  // only a step in flight closes
  CHECK_THROWS_AS(open.first_started(), std::logic_error);
  open.step_started();
  CHECK_THROWS_AS(open.step_started(), std::logic_error);
  CHECK_THROWS_AS(open.exchange_started(), std::logic_error);
  CHECK_THROWS_AS(open.first_committed(9, true), std::logic_error);
}
