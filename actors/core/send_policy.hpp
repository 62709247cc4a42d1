/// @file
/// @brief How outbound sends pace and retry (spec/meta-cloud-api.md §6, §7). Pure logic.
#pragma once

#include "actors/core/graph_result.hpp"

#include <chrono>

namespace paige::actors {

/// A token bucket: `rate` tokens per second, at most `burst` banked.
class token_bucket {
 public:
  using clock = std::chrono::steady_clock;
  token_bucket(double rate, double burst, clock::time_point now);

  /// Takes a token if one is available at `now` with `keep` more left in the bucket (at most
  /// burst - 1 are kept): a sender that passes a reserve leaves room for one that does not.
  bool try_take(clock::time_point now, double keep = 0);
  /// When the next token will be available (now if one is), with `keep` more left.
  clock::time_point next_token(clock::time_point now, double keep = 0) const;
  void set_rate(double rate, double burst);
  double rate() const { return rate_; }
  double burst() const { return burst_; }

 private:
  void refill(clock::time_point now);
  double needed(double keep) const;
  double rate_;
  double burst_;
  double tokens_;
  clock::time_point last_;
};

/// Tokens a broadcast leaves banked in its number's bucket: all but a twentieth of a second of
/// the rate. So a broadcast goes out evenly, never a full bucket at once (whose thousand status
/// webhooks would then arrive together), and a live reply finds nearly a second of tokens; the
/// broadcast still gets the whole rate the replies leave it (decision 0018).
double bulk_reserve(const token_bucket& bucket);

/// What to do after a failed send.
enum class send_verdict {
  retry,             ///< transient (network, 5xx, throughput, service errors): back off, then again
  retry_recipient,   ///< 131056 pair rate limit: back off for this recipient only, longer
  fail,              ///< permanent: store the error, go on with the next message
  wait_for_token,    ///< 190: the number's token is expired or revoked; every send of the number
                     ///< waits, untried, until it is connected again (no retries meanwhile)
  wait_for_account,  ///< 368, 131031: Meta blocked or locked the account; every send of the
                     ///< number waits, untried, until the hold ends (number_health.hpp)
};

send_verdict classify_send_failure(const graph_result& r);

/// Delay before retry number `attempt` (1, 2, ...): exponential with full jitter in
/// [base/2, base], from 500 ms (retry) or 6 s (retry_recipient), capped at 60 s / 5 min.
std::chrono::milliseconds send_backoff(send_verdict v, int attempt, double unit_random);

/// Bounds on retrying one message: attempts and age (from its first attempt).
inline constexpr int max_send_attempts = 8;
inline constexpr std::chrono::minutes max_send_age{15};

}  // namespace paige::actors
