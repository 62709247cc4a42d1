#include "bench/metasim/webhook_sender.hpp"

#include "common/log.hpp"
#include "common/secrets.hpp"

#include <algorithm>

namespace paige::metasim {

webhook_sender::webhook_sender(std::string url, std::string app_secret, int max_attempts, sim_state& state,
                               scheduler& timers, api::http_client_options client)
    : url_(std::move(url)), secret_(std::move(app_secret)), max_attempts_(max_attempts), state_(state),
      timers_(timers), client_(client) {}

webhook_sender::~webhook_sender() { client_.stop(); }

void webhook_sender::set_url(std::string url) {
  std::lock_guard<std::mutex> lock{url_mutex_};
  url_ = std::move(url);
}

std::string webhook_sender::url() const {
  std::lock_guard<std::mutex> lock{url_mutex_};
  return url_;
}

json webhook_sender::envelope(const number& n, json value) {
  value["messaging_product"] = "whatsapp";
  value["metadata"] = {{"display_phone_number", n.display_phone_number}, {"phone_number_id", n.phone_number_id}};
  return {{"object", "whatsapp_business_account"},
          {"entry", {{{"id", n.waba_id}, {"changes", {{{"field", "messages"}, {"value", std::move(value)}}}}}}}};
}

void webhook_sender::post(const json& envelope, std::function<void(delivery_outcome)> done) {
  // Meta escapes non-ASCII as \uXXXX and signs exactly the bytes it sends.
  auto body = std::make_shared<const std::string>(envelope.dump(-1, ' ', true));
  auto signature = "sha256=" + secrets::hmac_sha256_hex(secret_, *body);
  bool duplicate = state_.chance(state_.get_faults().duplicate_rate);
  state_.count("webhook_posts");
  auto settled = [this, done = std::move(done)](delivery_outcome out) {
    state_.count("webhooks_settled");
    if (done) done(out);
  };
  attempt(std::move(body), std::move(signature), 1, duplicate, std::move(settled));
}

void webhook_sender::attempt(std::shared_ptr<const std::string> body, std::string signature, int n, bool duplicate,
                             std::function<void(delivery_outcome)> done) {
  state_.count("webhook_attempts");
  client_.request(
      "POST", url(), {{"Content-Type", "application/json"}, {"X-Hub-Signature-256", signature}}, *body,
      [this, body, signature, n, duplicate, done](api::client_response r) {
        if (r.status == 200) {
          state_.count("webhooks_delivered");
          if (duplicate) {
            // Meta delivers again when several apps are subscribed or a retry crossed the ack.
            state_.count("webhooks_duplicated");
            attempt(body, signature, 1, false, {});
          }
          if (done) done({true, n, 200});
          return;
        }
        state_.count("webhook_failures");
        if (n >= max_attempts_) {
          log::warn("metasim.webhook_gave_up", {{"attempts", n}, {"status", r.status}, {"error", r.error}});
          if (done) done({false, n, r.status});
          return;
        }
        auto delay = std::chrono::milliseconds{std::min(2000, 25 << std::min(n, 6))};
        timers_.after(delay, [this, body, signature, n, duplicate, done] {
          attempt(body, signature, n + 1, duplicate, done);
        });
      });
}

}  // namespace paige::metasim
