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

/// A project's part of the webhook: done (or the first failure answers 503) when it calls back.
actors::batch_ack ack_of(const std::shared_ptr<fan_in>& join) {
  return actors::batch_ack{[join](const caf::error* err) {
    if (err)
      join->failed(*err);
    else
      join->one_done();
  }};
}

/// Sends the changes of one WABA to the projects they concern: the one whose number a change
/// names, or every project with a number of the WABA (`owned`: [[project_id,
/// phone_number_id, display], ...], read from the control database). A project that owns
/// one but is not routing yet (its actor is starting) makes the webhook answer 503: Meta
/// redelivers; changes of numbers no project owns are dropped (answered 200).
void route_account_changes(const std::shared_ptr<fan_in>& join,
                           const actors::number_directory& numbers, metrics::counter& unknown,
                           const std::vector<actors::account_change>& changes,
                           const nlohmann::json& owned) {
  std::map<caf::actor, std::vector<actors::account_change>> by_project;
  for (const auto& change : changes) {
    auto target = actors::health::target_of(
        change.field, nlohmann::json::parse(change.value_json, nullptr, false));
    bool concerned_any = false;
    for (const auto& row : owned) {
      const auto& number_id = row[1].get_ref<const std::string&>();
      bool concerned =
          target.phone_number_id.empty() && target.display_digits.empty() ? true
          : target.phone_number_id.empty()
              ? actors::health::digits_of(row[2].get<std::string>()) == target.display_digits
              : number_id == target.phone_number_id;
      if (!concerned) continue;
      concerned_any = true;
      auto project = numbers.find(number_id);
      if (!project)
        return join->failed(actors::make_error(
            actors::errc::db_unavailable, "the project of number " + number_id + " is starting"));
      by_project[project].push_back(change);
    }
    if (!concerned_any) {
      unknown.inc();
      log::warn("webhook.unknown_account", {{"waba_id", change.waba_id}, {"field", change.field}});
    }
  }
  join->remaining += by_project.size();  // before this WABA's own count is released below
  for (auto& [project, list] : by_project) {
    caf::anon_send(project, actors::account_events_atom::value, std::move(list), ack_of(join));
  }
  join->one_done();
}

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
        // Changes of other fields, by WABA: routed once the WABA's numbers are read (rare).
        std::map<std::string, std::vector<actors::account_change>> by_waba;
        account_events->inc(envelope.account.size());
        for (auto& change : envelope.account) by_waba[change.waba_id].push_back(std::move(change));
        auto join = std::make_shared<fan_in>();
        join->remaining =
            routed.size() + unrouted.size() + by_waba.size() + 1;  // +1: released once all are sent
        join->respond = respond;
        join->ok = ok;
        join->late = late;
        join->unavailable = unavailable;
        for (auto& [project, batch] : routed) {
          caf::anon_send(project, actors::webhook_atom::value, std::move(batch), ack_of(join));
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
        for (auto& [waba, changes] : by_waba) {
          ask(
              *ctx.sys, ctx.directory, ctx.timeout,
              [join, numbers = ctx.numbers, unknown_account,
               changes = std::move(changes)](std::string& owned_json) {
                route_account_changes(join, *numbers, *unknown_account, changes,
                                      nlohmann::json::parse(owned_json));
              },
              [join](const caf::error& err) { join->failed(err); },
              actors::waba_numbers_atom::value, waba);
        }
        join->one_done();
      },
      std::move(deadline));
}

}  // namespace paige::api
