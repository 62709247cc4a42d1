#include "bench/metasim/webhook_sender.hpp"

#include <chrono>

#include "common/json_text.hpp"
#include "common/log.hpp"
#include "common/secrets.hpp"

#include <algorithm>

namespace paige::metasim {

namespace {

/// The endpoint calls' client: the webhooks' options, with connections for every session.
api::http_client_options calls_options(api::http_client_options o) {
  o.max_connections_per_origin = 256;
  return o;
}

}  // namespace

webhook_sender::webhook_sender(std::string url, std::string app_secret, int max_attempts,
                               sim_state& state, scheduler& timers, api::http_client_options client)
    : url_(std::move(url)),
      secret_(std::move(app_secret)),
      max_attempts_(max_attempts),
      state_(state),
      timers_(timers),
      client_(client),
      calls_(calls_options(client)) {}

webhook_sender::~webhook_sender() {
  client_.stop();
  calls_.stop();
}

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
  value["metadata"] = {{"display_phone_number", n.display_phone_number},
                       {"phone_number_id", n.phone_number_id}};
  return {
      {"object", "whatsapp_business_account"},
      {"entry",
       {{{"id", n.waba_id}, {"changes", {{{"field", "messages"}, {"value", std::move(value)}}}}}}}};
}

json webhook_sender::account_envelope(const number& n, const std::string& field, json value) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  return {{"object", "whatsapp_business_account"},
          {"entry",
           {{{"id", n.waba_id},
             {"time", now},
             {"changes", {{{"field", field}, {"value", std::move(value)}}}}}}}};
}

namespace {

/// `{"object":...,"entry":[{"id":<waba>,"changes":[{"field":"messages","value":{` — the
/// caller writes the value's own members and then closes with envelope_tail.
void envelope_head(std::string& out, const number& n) {
  out += R"({"object":"whatsapp_business_account","entry":[{"id":)";
  json_text::append_string(out, n.waba_id);
  out +=
      R"(,"changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":)";
  json_text::append_string(out, n.display_phone_number);
  out += R"(,"phone_number_id":)";
  json_text::append_string(out, n.phone_number_id);
  out += "},";
}

constexpr std::string_view envelope_tail = "}}]}]}";

}  // namespace

std::string webhook_sender::status_envelope(const number& n, std::string_view wamid,
                                            std::string_view status, std::string_view timestamp,
                                            std::string_view recipient_id) {
  std::string out;
  out.reserve(400);
  envelope_head(out, n);
  out += R"("statuses":[{"id":)";
  json_text::append_string(out, wamid);
  out += R"(,"status":)";
  json_text::append_string(out, status);
  out += R"(,"timestamp":)";
  json_text::append_string(out, timestamp);
  out += R"(,"recipient_id":)";
  json_text::append_string(out, recipient_id);
  out += "}]";
  out += envelope_tail;
  return out;
}

std::string webhook_sender::text_message_envelope(const number& n, std::string_view wa_id,
                                                  std::string_view profile_name,
                                                  std::string_view wamid,
                                                  std::string_view timestamp,
                                                  std::string_view body) {
  std::string out;
  out.reserve(512);
  envelope_head(out, n);
  out += R"("contacts":[{"profile":{"name":)";
  json_text::append_string(out, profile_name);
  out += R"(},"wa_id":)";
  json_text::append_string(out, wa_id);
  out += R"(}],"messages":[{"from":)";
  json_text::append_string(out, wa_id);
  out += R"(,"id":)";
  json_text::append_string(out, wamid);
  out += R"(,"timestamp":)";
  json_text::append_string(out, timestamp);
  out += R"(,"type":"text","text":{"body":)";
  json_text::append_string(out, body);
  out += "}}]";
  out += envelope_tail;
  return out;
}

void webhook_sender::post(const json& envelope, std::function<void(delivery_outcome)> done) {
  // Meta escapes non-ASCII as \uXXXX and signs exactly the bytes it sends.
  post(envelope.dump(-1, ' ', true), std::move(done));
}

void webhook_sender::post(std::string text, std::function<void(delivery_outcome)> done) {
  auto body = std::make_shared<const std::string>(std::move(text));
  auto signature = "sha256=" + secrets::hmac_sha256_hex(secret_, *body);
  bool duplicate = state_.chance(state_.current_faults()->duplicate_rate);
  state_.count("webhook_posts");
  auto settled = [this, done = std::move(done)](delivery_outcome out) {
    state_.count("webhooks_settled");
    if (done) done(out);
  };
  attempt(std::move(body), std::move(signature), 1, duplicate, std::move(settled));
}

void webhook_sender::attempt(std::shared_ptr<const std::string> body, std::string signature, int n,
                             bool duplicate, std::function<void(delivery_outcome)> done) {
  state_.count("webhook_attempts");
  client_.request("POST", url(),
                  {{"Content-Type", "application/json"}, {"X-Hub-Signature-256", signature}}, *body,
                  [this, body, signature, n, duplicate, done](api::client_response r) {
                    if (r.status == 200) {
                      state_.count("webhooks_delivered");
                      if (duplicate) {
                        // Meta delivers again when several apps are subscribed or a retry crossed
                        // the ack.
                        state_.count("webhooks_duplicated");
                        attempt(body, signature, 1, false, {});
                      }
                      if (done) done({true, n, 200});
                      return;
                    }
                    state_.count("webhook_failures");
                    if (n >= max_attempts_) {
                      log::warn("metasim.webhook_gave_up",
                                {{"attempts", n}, {"status", r.status}, {"error", r.error}});
                      if (done) done({false, n, r.status});
                      return;
                    }
                    auto delay = std::chrono::milliseconds{std::min(2000, 25 << std::min(n, 6))};
                    timers_.after(delay, [this, body, signature, n, duplicate, done] {
                      attempt(body, signature, n + 1, duplicate, done);
                    });
                  });
}

void webhook_sender::call(const std::string& method, const std::string& url,
                          std::vector<std::pair<std::string, std::string>> headers,
                          std::string body, std::function<void(api::client_response)> done) {
  calls_.request(method, url, std::move(headers), std::move(body), std::move(done));
}

}  // namespace paige::metasim
