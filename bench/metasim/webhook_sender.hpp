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
#include <string_view>

namespace paige::metasim {

struct delivery_outcome {
  bool delivered = false;
  int attempts = 0;
  unsigned last_status = 0;
};

class webhook_sender {
 public:
  webhook_sender(std::string url, std::string app_secret, int max_attempts, sim_state& state,
                 scheduler& timers, api::http_client_options client = {});
  ~webhook_sender();

  /// Posts `envelope`; `done` (optional) runs once delivered or given up. Counted in the
  /// stats as webhook_posts, and webhooks_settled once delivered or given up.
  void post(const json& envelope, std::function<void(delivery_outcome)> done = {});
  /// Posts a body already written (as Meta writes it: compact, ASCII escaped).
  void post(std::string body, std::function<void(delivery_outcome)> done = {});

  /// Another call of Meta's to the business (a flow's data-exchange endpoint), through a
  /// client of its own with room for many concurrent calls (Meta's flow sessions are many
  /// users at once, not a queue behind webhooks).
  void call(const std::string& method, const std::string& url,
            std::vector<std::pair<std::string, std::string>> headers, std::string body,
            std::function<void(api::client_response)> done);

  /// Where webhooks go from now on.
  void set_url(std::string url);
  std::string url() const;

  /// A `messages` envelope for one number with `value` (messages/statuses/contacts).
  static json envelope(const number& n, json value);

  /// A change of another field than messages (account_update, phone_number_quality_update,
  /// phone_number_name_update, account_alerts...) for the number's WABA, sent now.
  static json account_envelope(const number& n, const std::string& field, json value);

  /// The same envelope with one status, written as text (the load's most frequent webhook).
  /// Values are written as given: the bytes match Meta's when they are ASCII.
  static std::string status_envelope(const number& n, std::string_view wamid,
                                     std::string_view status, std::string_view timestamp,
                                     std::string_view recipient_id);
  /// The same envelope with one text message from `wa_id` and its profile name, as text.
  static std::string text_message_envelope(const number& n, std::string_view wa_id,
                                           std::string_view profile_name, std::string_view wamid,
                                           std::string_view timestamp, std::string_view body);

 private:
  void attempt(std::shared_ptr<const std::string> body, std::string signature, int n,
               bool duplicate, std::function<void(delivery_outcome)> done);

  mutable std::mutex url_mutex_;
  std::string url_;
  std::string secret_;
  int max_attempts_;
  sim_state& state_;
  scheduler& timers_;
  api::http_client client_;
  api::http_client calls_;
};

}  // namespace paige::metasim
