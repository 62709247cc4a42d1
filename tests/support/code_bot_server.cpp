#include "tests/support/code_bot_server.hpp"

#include "api/http_server.hpp"
#include "common/metrics.hpp"
#include "common/secrets.hpp"

#include <chrono>

namespace paige::test {

using json = nlohmann::json;

bot_answer actions(const json& actions) { return {200, json{{"actions", actions}}.dump(), false}; }

struct code_bot_server::impl {
  answerer answer;
  mutable std::mutex mutex;
  std::string secret;
  std::vector<received_event> events;
  std::vector<api::responder> held;  ///< hanging answers, released when the server stops
  metrics::registry metrics;
  api::router routes;
  std::unique_ptr<api::http_server> server;
  std::uint16_t port = 0;
};

code_bot_server::code_bot_server(answerer answer) : impl_(std::make_unique<impl>()) {
  impl_->answer = std::move(answer);
  auto* i = impl_.get();
  i->routes.add("POST", "/paige/events", [i](api::http_request&& req, api::responder respond) {
    received_event e;
    e.body = json::parse(req.body, nullptr, false);
    e.event_id = std::string{req.header("paige-event").value_or("")};
    e.contract = std::string{req.header("paige-contract").value_or("")};
    auto ts = std::string{req.header("paige-timestamp").value_or("")};
    auto signature = std::string{req.header("paige-signature").value_or("")};
    bot_answer a;
    {
      std::lock_guard<std::mutex> lock{i->mutex};
      e.signature_valid =
          !i->secret.empty() &&
          secrets::constant_time_equal(
              signature, "sha256=" + secrets::hmac_sha256_hex(i->secret, ts + "." + req.body));
      i->events.push_back(e);
    }
    a = i->answer(e.body);
    if (a.hang) {
      std::lock_guard<std::mutex> lock{i->mutex};
      i->held.push_back(std::move(respond));
      return;
    }
    api::http_response res;
    res.status = a.status;
    res.body = std::move(a.body);
    respond(std::move(res));
  });
  api::http_server_options opts;
  opts.port = 0;
  i->server = std::make_unique<api::http_server>(opts, i->routes, i->metrics);
  i->port = i->server->start();
}

code_bot_server::~code_bot_server() {
  impl_->server->stop(std::chrono::milliseconds{0});
  std::lock_guard<std::mutex> lock{impl_->mutex};
  impl_->held.clear();
}

std::string code_bot_server::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port) + "/paige/events";
}

void code_bot_server::set_secret(std::string secret) {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  impl_->secret = std::move(secret);
}

std::vector<received_event> code_bot_server::events() const {
  std::lock_guard<std::mutex> lock{impl_->mutex};
  return impl_->events;
}

}  // namespace paige::test
