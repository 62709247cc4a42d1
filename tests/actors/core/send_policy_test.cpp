#include "actors/core/send_policy.hpp"

#include <catch2/catch.hpp>

using namespace paige::actors;
using namespace std::chrono_literals;

namespace {
graph_result meta_error(unsigned http, long code) {
  graph_result r;
  r.http_status = http;
  r.body = R"({"error":{"code":)" + std::to_string(code) + R"(,"message":"x"}})";
  return r;
}
}  // namespace

TEST_CASE("a token bucket paces to its rate after its burst", "[send]") {
  auto t0 = token_bucket::clock::time_point{} + 1h;
  token_bucket b{10, 2, t0};
  CHECK(b.try_take(t0));
  CHECK(b.try_take(t0));
  CHECK_FALSE(b.try_take(t0));
  CHECK(b.next_token(t0) == t0 + 100ms);
  CHECK_FALSE(b.try_take(t0 + 99ms));
  CHECK(b.try_take(t0 + 100ms));
  int taken = 0;
  for (auto t = t0 + 100ms; t <= t0 + 1100ms; t += 1ms) taken += b.try_take(t);
  CHECK(taken == 10);  // one second at 10/s, nothing banked beyond the burst
  b.set_rate(1000, 50);
  CHECK(b.rate() == 1000);
}

TEST_CASE("a sender that keeps a reserve leaves it for the others, at the same rate", "[send]") {
  auto t0 = token_bucket::clock::time_point{} + 1h;
  token_bucket b{100, 10, t0};
  int bulk = 0;
  while (b.try_take(t0, 3)) ++bulk;
  CHECK(bulk == 7);  // three stay for senders without a reserve
  CHECK(b.next_token(t0, 3) == t0 + 10ms);
  CHECK(b.try_take(t0));
  CHECK(b.try_take(t0));
  CHECK(b.try_take(t0));
  CHECK_FALSE(b.try_take(t0));
  // Once the reserve is refilled, the reserving sender gets the whole rate again.
  int later = 0;
  for (auto t = t0 + 1ms; t <= t0 + 1000ms; t += 1ms) later += b.try_take(t, 3);
  CHECK(later == 97);  // 100 a second, less the 3 that refill the reserve
  // A reserve never blocks a bucket too small to hold it.
  token_bucket one{1, 1, t0};
  CHECK(one.try_take(t0, 5));
}

TEST_CASE("a broadcast takes a full bucket a twentieth of a second at a time", "[send]") {
  auto t0 = token_bucket::clock::time_point{} + 1h;
  token_bucket b{1000, 1000, t0};
  int at_once = 0;
  while (b.try_take(t0, bulk_reserve(b))) ++at_once;
  CHECK(at_once == 50);
  // Over the next second it gets the whole rate, one token as each comes...
  int paced = 0;
  for (auto t = t0 + 1ms; t <= t0 + 1000ms; t += 1ms) paced += b.try_take(t, bulk_reserve(b));
  CHECK(paced == 1000);
  // ...and a live reply still finds all the rest banked.
  int live = 0;
  while (b.try_take(t0 + 1000ms)) ++live;
  CHECK(live == 950);
  // A slow number's broadcast still goes out, at its rate.
  token_bucket slow{10, 10, t0};
  int slow_sent = 0;
  for (auto t = t0; t < t0 + 1000ms; t += 1ms) slow_sent += slow.try_take(t, bulk_reserve(slow));
  CHECK(slow_sent == 10);
}

TEST_CASE("send failures are classified by Meta's codes", "[send]") {
  graph_result timeout;
  timeout.transport_error = "timed out";
  timeout.timed_out = true;
  CHECK(classify_send_failure(timeout) == send_verdict::retry);
  graph_result plain500;
  plain500.http_status = 500;
  plain500.body = "Internal Server Error";
  CHECK(classify_send_failure(plain500) == send_verdict::retry);
  for (long code : {1L, 2L, 4L, 80007L, 130429L, 131000L, 131016L, 131057L, 133004L})
    CHECK(classify_send_failure(meta_error(400, code)) == send_verdict::retry);
  CHECK(classify_send_failure(meta_error(400, 131056)) == send_verdict::retry_recipient);
  for (long code : {131047L, 131026L, 132000L, 132001L, 100L, 131051L})
    CHECK(classify_send_failure(meta_error(400, code)) == send_verdict::fail);
  // An expired or revoked token: nothing fails, everything waits for a new one.
  CHECK(classify_send_failure(meta_error(401, 190)) == send_verdict::wait_for_token);
  // The account blocked or locked: nothing fails either, the number's sends wait.
  CHECK(classify_send_failure(meta_error(403, 368)) == send_verdict::wait_for_account);
  CHECK(classify_send_failure(meta_error(403, 131031)) == send_verdict::wait_for_account);
}

TEST_CASE("backoff grows exponentially, jitters and is capped", "[send]") {
  CHECK(send_backoff(send_verdict::retry, 1, 1.0) == 500ms);
  CHECK(send_backoff(send_verdict::retry, 2, 1.0) == 1000ms);
  CHECK(send_backoff(send_verdict::retry, 3, 0.0) == 1000ms);
  CHECK(send_backoff(send_verdict::retry, 30, 1.0) == 60s);
  CHECK(send_backoff(send_verdict::retry_recipient, 1, 1.0) == 6s);
  CHECK(send_backoff(send_verdict::retry_recipient, 20, 1.0) == 300s);
}
