#include "api/webhook_routes.hpp"

#include "actors/batch_ack.hpp"
#include "actors/core/number_health.hpp"
#include "actors/errors.hpp"
#include "actors/number_directory.hpp"
#include "actors/project_types.hpp"
#include "api/actor_call.hpp"
#include "api/api_errors.hpp"
#include "api/webhook_codec.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/secrets.hpp"

#include <atomic>
#include <map>
#include <memory>

namespace paige::api {
namespace {

/// What a webhook that cannot be recorded now answers (Meta redelivers it).
http_response unavailable_answer() {
  return http_response::error(api_code::unavailable, "cannot record the events now; retry");
}

/// Answers once every project has confirmed its part; the first failure answers 503.
struct fan_in {
  std::atomic<std::size_t> remaining;
  std::atomic<bool> answered{false};
  responder respond;
  metrics::counter* ok = nullptr;
  metrics::counter* late = nullptr;
  metrics::counter* unavailable = nullptr;

  void one_done() {
    if (--remaining == 0 && !answered.exchange(true)) {
      // Recorded, but after the route's deadline answered 503: Meta redelivers what is stored.
      static const http_response recorded = http_response::json(200, {{"status", "ok"}});
      if (respond.answer(recorded))
        ok->inc();
      else
        late->inc();
    }
  }
  void failed(const caf::error& err) {
    if (answered.exchange(true)) return;
    unavailable->inc();
    log::warn("webhook.unavailable", {{"reason", actors::reason_of(err)}});
    respond(unavailable_answer());
  }
};

}  // namespace

void add_webhook_routes(router& routes, webhook_context ctx) {
  auto& requests = ctx.metrics->counters("paige_webhook_requests_total", "webhook POSTs by outcome",
                                         {"outcome"});
  auto* ok = &requests.with({"ok"});
  auto* late = &requests.with({"late"});
  auto* bad_signature = &requests.with({"bad_signature"});
  auto* malformed = &requests.with({"malformed"});
  auto* unavailable = &requests.with({"unavailable"});
  auto& events = ctx.metrics->counters("paige_webhook_events_total",
                                       "webhook events received by kind", {"kind"});
  auto* messages = &events.with({"message"});
  auto* statuses = &events.with({"status"});
  auto* account_events = &events.with({"account"});
  auto* unknown_account =
      &ctx.metrics
           ->counters("paige_webhook_unknown_account_events_total",
                      "changes of WABAs or numbers no project owns (dropped)", {})
           .with({});
  auto* unknown = &ctx.metrics
                       ->counters("paige_webhook_unknown_number_events_total",
                                  "events of phone numbers no project owns (dropped)", {})
                       .with({});

  routes.add("GET", "/webhook", [ctx](http_request&& req, responder respond) {
    auto mode = req.query_param("hub.mode").value_or("");
    auto token = req.query_param("hub.verify_token").value_or("");
    auto challenge = req.query_param("hub.challenge");
    if (mode != "subscribe" || !challenge ||
        !secrets::constant_time_equal(token, ctx.verify_token)) {
      log::warn("webhook.handshake_refused", {{"mode", mode}});
      return respond(http_response::error(api_code::forbidden, "verification failed"));
    }
    http_response r;
    r.content_type = "text/plain";
    r.body = std::string{*challenge};
    respond(std::move(r));
  });

  // Past the deadline the webhook answers 503 (Meta redelivers) whatever its projects do later.
  answer_deadline deadline{ctx.timeout, unavailable_answer()};
  routes.add(
      "POST", "/webhook",
      [=](http_request&& req, responder respond) {
        // The signature covers the exact bytes received: check it before parsing anything.
        auto signature = req.header("x-hub-signature-256").value_or("");
        if (!valid_signature(ctx.app_secret, req.body, signature)) {
          bad_signature->inc();
          log::warn("webhook.bad_signature", {{"present", !signature.empty()}});
          return respond(http_response::error(api_code::invalid_signature,
                                              "missing or wrong X-Hub-Signature-256"));
        }
        auto parsed = parse_webhook(req.body);
        if (auto* why = std::get_if<std::string>(&parsed)) {
          malformed->inc();
          return respond(http_response::error(api_code::invalid_webhook, *why));
        }
        auto& envelope = std::get<webhook_events>(parsed);
        std::vector<std::pair<caf::actor, actors::number_batch>> routed;
        std::vector<actors::number_batch> unrouted;
        for (auto& batch : envelope.numbers) {
          messages->inc(batch.messages.size());
          statuses->inc(batch.statuses.size());
          auto project = ctx.numbers->find(batch.phone_number_id);
          if (project)
            routed.emplace_back(std::move(project), std::move(batch));
          else
            unrouted.push_back(std::move(batch));
        }
        // Changes of other fields: to every project of the WABA they concern (by the number they
        // name, if any), each project's in one message.
        std::map<caf::actor, std::vector<actors::account_change>> by_project;
        std::vector<std::string> unrouted_wabas;
        account_events->inc(envelope.account.size());
        for (auto& change : envelope.account) {
          auto target = actors::health::target_of(
              change.field, nlohmann::json::parse(change.value_json, nullptr, false));
          auto projects = ctx.numbers->find_account(change.waba_id, target.phone_number_id,
                                                    target.display_digits);
          if (projects.empty()) {
            if (ctx.numbers->find_account(change.waba_id, {}, {}).empty()) {
              unrouted_wabas.push_back(change.waba_id);  // no project routes this WABA now
            } else {
              unknown_account->inc();  // a number of the WABA that no project connected
              log::warn("webhook.unknown_number",
                        {{"waba_id", change.waba_id}, {"field", change.field}});
            }
            continue;
          }
          for (const auto& p : projects) by_project[p].push_back(change);
        }
        auto join = std::make_shared<fan_in>();
        join->remaining = routed.size() + unrouted.size() + by_project.size() +
                          unrouted_wabas.size() + 1;  // +1: released once all are sent
        join->respond = respond;
        join->ok = ok;
        join->late = late;
        join->unavailable = unavailable;
        for (auto& [project, batch] : routed) {
          actors::batch_ack ack{[join](const caf::error* err) {
            if (err)
              join->failed(*err);
            else
              join->one_done();
          }};
          caf::anon_send(project, actors::webhook_atom::value, std::move(batch), std::move(ack));
        }
        for (auto& batch : unrouted) {
          // Not routed: either no project owns the number (drop it, answer 200), or its project's
          // actor is (re)starting and has not registered yet (503: Meta will redeliver).
          auto count = batch.messages.size() + batch.statuses.size();
          ask(
              *ctx.sys, ctx.directory, ctx.timeout,
              [join, unknown, count, id = batch.phone_number_id](bool is_owned) {
                if (is_owned)
                  return join->failed(
                      actors::make_error(actors::errc::db_unavailable,
                                         "the project of number " + id + " is starting"));
                unknown->inc(count);
                log::warn("webhook.unknown_number", {{"phone_number_id", id}, {"events", count}});
                join->one_done();
              },
              [join](const caf::error& err) { join->failed(err); },
              actors::number_owned_atom::value, batch.phone_number_id);
        }
        for (auto& [project, changes] : by_project) {
          actors::batch_ack ack{[join](const caf::error* err) {
            if (err)
              join->failed(*err);
            else
              join->one_done();
          }};
          caf::anon_send(project, actors::account_events_atom::value, std::move(changes),
                         std::move(ack));
        }
        for (auto& waba : unrouted_wabas) {
          // No live project routes the WABA: either none has a number of it, and the change is
          // dropped; or its project is (re)starting: 503, Meta redelivers.
          ask(
              *ctx.sys, ctx.directory, ctx.timeout,
              [join, unknown_account, waba](bool is_owned) {
                if (is_owned)
                  return join->failed(actors::make_error(
                      actors::errc::db_unavailable, "a project of WABA " + waba + " is starting"));
                unknown_account->inc();
                log::warn("webhook.unknown_account", {{"waba_id", waba}});
                join->one_done();
              },
              [join](const caf::error& err) { join->failed(err); }, actors::waba_owned_atom::value,
              waba);
        }
        join->one_done();
      },
      std::move(deadline));
}

}  // namespace paige::api
