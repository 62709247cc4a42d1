#include "actors/core/send_policy.hpp"

#include <algorithm>

namespace paige::actors {

token_bucket::token_bucket(double rate, double burst, clock::time_point now)
    : rate_(rate), burst_(std::max(1.0, burst)), tokens_(std::max(1.0, burst)), last_(now) {}

void token_bucket::refill(clock::time_point now) {
  if (now <= last_) return;
  tokens_ = std::min(burst_, tokens_ + rate_ * std::chrono::duration<double>(now - last_).count());
  last_ = now;
}

double token_bucket::needed(double keep) const { return 1.0 + std::clamp(keep, 0.0, burst_ - 1.0); }

bool token_bucket::try_take(clock::time_point now, double keep) {
  refill(now);
  if (tokens_ < needed(keep)) return false;
  tokens_ -= 1.0;
  return true;
}

token_bucket::clock::time_point token_bucket::next_token(clock::time_point now, double keep) const {
  auto tokens = std::min(
      burst_, tokens_ + rate_ * std::chrono::duration<double>(now - std::min(now, last_)).count());
  if (tokens >= needed(keep) || rate_ <= 0) return now;
  auto wait = std::chrono::duration<double>((needed(keep) - tokens) / rate_);
  return now + std::chrono::duration_cast<clock::duration>(wait);
}

void token_bucket::set_rate(double rate, double burst) {
  rate_ = rate;
  burst_ = std::max(1.0, burst);
  tokens_ = std::min(tokens_, burst_);
}

double bulk_reserve(const token_bucket& bucket) {
  return std::max(0.0, bucket.burst() - bucket.rate() / 20);
}

send_verdict classify_send_failure(const graph_result& r) {
  if (!r.transport_error.empty() || r.http_status >= 500 || r.http_status == 429) {
    // A 5xx with Meta's error object may still carry a permanent code.
    auto code = r.error_code();
    if (code == 0 || code == 1 || code == 2 || code == 131000 || code == 131016 || code == 131057 ||
        code == 133004 || code == 130429 || code == 4 || code == 80007)
      return send_verdict::retry;
  }
  switch (r.error_code()) {
    case 1:
    case 2:
    case 4:
    case 80007:
    case 130429:
    case 131000:
    case 131016:
    case 131057:
    case 133004:
      return send_verdict::retry;
    case 131056:
      return send_verdict::retry_recipient;
    case 190:
      return send_verdict::wait_for_token;
    case 368:     // temporarily blocked for policy violations
    case 131031:  // account locked
      return send_verdict::wait_for_account;
    default:
      return send_verdict::fail;
  }
}

std::chrono::milliseconds send_backoff(send_verdict v, int attempt, double unit_random) {
  double base = v == send_verdict::retry_recipient ? 6000.0 : 500.0;
  double cap = v == send_verdict::retry_recipient ? 300000.0 : 60000.0;
  for (int i = 1; i < attempt && base < cap; ++i) base *= 2;
  base = std::min(base, cap);
  return std::chrono::milliseconds{static_cast<long>(base * (0.5 + 0.5 * unit_random))};
}

}  // namespace paige::actors
