/// @file
/// @brief Delivers webhooks to Paige the way Meta does: signed over the exact bytes sent,
/// redelivered with backoff until answered 200, sometimes twice (fault injection).
#pragma once

#include "api/http_client.hpp"
#include "bench/metasim/scheduler.hpp"
#include "bench/metasim/sim_state.hpp"

#include <functional>
#include <mutex>
#include <string>

namespace paige::metasim {

struct delivery_outcome {
  bool delivered = false;
  int attempts = 0;
  unsigned last_status = 0;
};

class webhook_sender {
 public:
  webhook_sender(std::string url, std::string app_secret, int max_attempts, sim_state& state, scheduler& timers,
                 api::http_client_options client = {});
  ~webhook_sender();

  /// Posts `envelope`; `done` (optional) runs once delivered or given up. Counted in the
  /// stats as webhook_posts, and webhooks_settled once delivered or given up.
  void post(const json& envelope, std::function<void(delivery_outcome)> done = {});

  /// Where webhooks go from now on.
  void set_url(std::string url);
  std::string url() const;

  /// A `messages` envelope for one number with `value` (messages/statuses/contacts).
  static json envelope(const number& n, json value);

 private:
  void attempt(std::shared_ptr<const std::string> body, std::string signature, int n, bool duplicate,
               std::function<void(delivery_outcome)> done);

  mutable std::mutex url_mutex_;
  std::string url_;
  std::string secret_;
  int max_attempts_;
  sim_state& state_;
  scheduler& timers_;
  api::http_client client_;
};

}  // namespace paige::metasim
