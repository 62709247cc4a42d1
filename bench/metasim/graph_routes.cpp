#include "actors/core/outbound_rules.hpp"
#include "bench/metasim/routes.hpp"
#include "common/json_text.hpp"

#include <chrono>
#include <map>

namespace paige::metasim {
namespace {

using api::http_request;
using api::http_response;
using api::responder;

/// The number named by {id} if the bearer token is its access token.
std::optional<number> authorized(const sim_context& ctx, const http_request& req,
                                 http_response& denied) {
  auto n = ctx.state.find_number(std::string{req.param("id")});
  auto auth = req.header("authorization").value_or("");
  if (!n) {
    denied = graph_error(100, "Unsupported request - method type: get",
                         "Object with ID '" + std::string{req.param("id")} + "' does not exist");
    return std::nullopt;
  }
  if (auth != "Bearer " + n->access_token) {
    denied = graph_error(190, "Invalid OAuth access token - Cannot parse access token");
    return std::nullopt;
  }
  return n;
}

/// Answers after the configured latency (global, plus the number's own).
void answer(const sim_context& ctx, const faults& f, responder respond, http_response res,
            const std::string& number_id = {}) {
  auto latency = f.latency_ms;
  if (auto it = f.number_latency_ms.find(number_id); it != f.number_latency_ms.end())
    latency += it->second;
  if (latency <= 0) return respond(std::move(res));
  ctx.timers.after(std::chrono::milliseconds{latency},
                   [respond, res = std::move(res)]() mutable { respond(std::move(res)); });
}

void answer(const sim_context& ctx, responder respond, http_response res,
            const std::string& number_id = {}) {
  answer(ctx, *ctx.state.current_faults(), std::move(respond), std::move(res), number_id);
}

/// The statuses Meta posts for one accepted message, shared by the steps that post them.
struct status_run {
  sim_context ctx;
  number n;
  std::string wa_id;
  std::string wamid;
  std::shared_ptr<const faults> f;  ///< its statuses: those in force when the send was accepted
};

/// Posts status `index` of the run, then the next once it was delivered.
void post_statuses(std::shared_ptr<const status_run> run, std::size_t index) {
  const auto& statuses = run->f->statuses;
  if (index >= statuses.size()) return;
  const auto& status = statuses[index];
  auto now = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  const auto& ctx = run->ctx;
  if (ctx.keep_records)
    ctx.state.add(
        {0, run->n.phone_number_id, run->wa_id, "status", run->wamid, {{"status", status}}, 0});
  ctx.state.count("statuses_posted");
  ctx.sender.post(webhook_sender::status_envelope(run->n, run->wamid, status, now, run->wa_id),
                  [run, index](delivery_outcome) { post_statuses(run, index + 1); });
}

}  // namespace

http_response graph_error(long code, const std::string& message, const std::string& details) {
  if (code == 500) {  // a plain server failure, not a Meta error object
    http_response r;
    r.status = 500;
    r.content_type = "text/plain";
    r.body = "Internal Server Error";
    return r;
  }
  return http_response::json(http_status_for(code), graph_error_body(code, message, details));
}

unsigned http_status_for(long code) {
  if (code == 0 || code == 190) return 401;
  if (code == 2 || code == 133004) return 503;
  if (code == 131000 || code == 131016 || code == 131057 || code == 3) return 500;
  if (code == 132001) return 404;
  if (code == 10 || (code >= 200 && code <= 299) || code == 131005 || code == 368 || code == 131031)
    return 403;
  return 400;
}

json graph_error_body(long code, const std::string& message, const std::string& details) {
  json e{{"message", "(#" + std::to_string(code) + ") " + message},
         {"type", "OAuthException"},
         {"code", code},
         {"fbtrace_id", "SIMtrace"}};
  if (!details.empty()) e["error_data"] = {{"messaging_product", "whatsapp"}, {"details", details}};
  return {{"error", e}};
}

void add_graph_routes(api::router& routes, sim_context ctx) {
  routes.add("GET", "/{version}/{id}", [ctx](http_request&& req, responder respond) {
    if (flow_call(ctx, req, respond)) return;
    http_response denied;
    auto n = authorized(ctx, req, denied);
    if (!n) return answer(ctx, respond, std::move(denied));
    answer(ctx, respond,
           http_response::json(200, {{"id", n->phone_number_id},
                                     {"display_phone_number", n->display_phone_number},
                                     {"verified_name", n->verified_name},
                                     {"quality_rating", n->quality_rating},
                                     {"platform_type", "CLOUD_API"},
                                     {"code_verification_status", "VERIFIED"},
                                     {"throughput", {{"level", "STANDARD"}}}}));
  });

  routes.add("DELETE", "/{version}/{id}", [ctx](http_request&& req, responder respond) {
    if (flow_call(ctx, req, respond)) return;
    answer(ctx, respond, graph_error(100, "Unsupported delete request"));
  });

  // A display-name change for review; decided as the number's name_review says, after its
  // delay, with the phone_number_name_update webhook (spec §10).
  routes.add("POST", "/{version}/{id}", [ctx](http_request&& req, responder respond) {
    if (req.param("id").rfind("upload:", 0) == 0) return receive_upload(ctx, req, respond);
    if (edit_template(ctx, req, respond)) return;
    if (flow_call(ctx, req, respond)) return;
    http_response denied;
    auto n = authorized(ctx, req, denied);
    if (!n) return answer(ctx, respond, std::move(denied));
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("new_display_name") ||
        !body["new_display_name"].is_string())
      return answer(ctx, respond,
                    graph_error(100, "Invalid parameter", "new_display_name is required"));
    auto name = body["new_display_name"].get<std::string>();
    ctx.state.update_number(n->phone_number_id, [&](number& x) { x.requested_name = name; });
    ctx.state.count("name_requests");
    auto review = n->name_review;
    auto decision = review.value("decision", std::string{"APPROVED"});
    json value{
        {"display_phone_number", n->display_phone_number},
        {"decision", decision},
        {"requested_verified_name", name},
        {"rejection_reason",
         decision == "REJECTED" ? json(review.value("rejection_reason", "NAME_FORMAT_UNACCEPTABLE"))
                                : json(nullptr)}};
    ctx.timers.after(std::chrono::milliseconds{review.value("delay_ms", 100L)},
                     [ctx, id = n->phone_number_id, value, name, decision]() mutable {
                       if (decision == "APPROVED")
                         ctx.state.update_number(id, [&](number& x) { x.verified_name = name; });
                       auto now = ctx.state.find_number(id);
                       if (now)
                         ctx.sender.post(webhook_sender::account_envelope(
                             *now, "phone_number_name_update", value));
                     });
    answer(ctx, respond, http_response::json(200, {{"success", true}}));
  });

  // The business profile, checked as Meta checks it (its own limits, not Paige's code).
  routes.add("GET", "/{version}/{id}/whatsapp_business_profile",
             [ctx](http_request&& req, responder respond) {
               http_response denied;
               auto n = authorized(ctx, req, denied);
               if (!n) return answer(ctx, respond, std::move(denied));
               auto data = n->profile;
               data["messaging_product"] = "whatsapp";
               answer(ctx, respond, http_response::json(200, {{"data", json::array({data})}}));
             });
  routes.add(
      "POST", "/{version}/{id}/whatsapp_business_profile",
      [ctx](http_request&& req, responder respond) {
        http_response denied;
        auto n = authorized(ctx, req, denied);
        if (!n) return answer(ctx, respond, std::move(denied));
        auto body = json::parse(req.body, nullptr, false);
        if (!body.is_object() || body.value("messaging_product", "") != "whatsapp")
          return answer(ctx, respond,
                        graph_error(100, "Invalid parameter", "messaging_product is required"));
        body.erase("messaging_product");
        static const std::map<std::string, std::size_t> max_bytes{{"about", 139 * 4},
                                                                  {"address", 256 * 4},
                                                                  {"description", 512 * 4},
                                                                  {"email", 128 * 4},
                                                                  {"vertical", 64}};
        if (body.contains("profile_picture_handle")) {
          auto handle = body["profile_picture_handle"];
          if (!handle.is_string() || !ctx.state.known_handle(handle.get<std::string>()))
            return answer(ctx, respond,
                          graph_error(100, "Invalid parameter", "profile_picture_handle: unknown"));
          body.erase("profile_picture_handle");
          body["profile_picture_url"] =
              "https://pps.whatsapp.net/v/sim/" + handle.get<std::string>() + ".jpg";
        }
        for (const auto& [key, value] : body.items()) {
          if (key == "profile_picture_url") continue;
          if (key == "websites") {
            if (!value.is_array() || value.size() > 2)
              return answer(ctx, respond,
                            graph_error(100, "Invalid parameter", "websites: at most 2"));
            continue;
          }
          auto limit = max_bytes.find(key);
          if (limit == max_bytes.end() || !value.is_string() ||
              value.get_ref<const std::string&>().size() > limit->second)
            return answer(ctx, respond, graph_error(100, "Invalid parameter", "field " + key));
        }
        ctx.state.update_profile(n->phone_number_id, body);
        answer(ctx, respond, http_response::json(200, {{"success", true}}));
      });

  routes.add("POST", "/{version}/{id}/register", [ctx](http_request&& req, responder respond) {
    http_response denied;
    auto n = authorized(ctx, req, denied);
    if (!n) return answer(ctx, respond, std::move(denied));
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || body.value("messaging_product", "") != "whatsapp" ||
        !body.contains("pin"))
      return answer(
          ctx, respond,
          graph_error(100, "Invalid parameter", "messaging_product and pin are required"));
    if (ctx.state.signup_config().value("refuse", "") == "register")
      return answer(ctx, respond,
                    graph_error(133005, "Two step verification PIN Mismatch",
                                "the simulator refuses registrations (/control/signup)"));
    ctx.state.mark_registered(n->phone_number_id);
    answer(ctx, respond, http_response::json(200, {{"success", true}}));
  });

  routes.add(
      "POST", "/{version}/{id}/subscribed_apps", [ctx](http_request&& req, responder respond) {
        auto auth = std::string{req.header("authorization").value_or("")};
        auto n = ctx.state.find_waba(std::string{req.param("id")},
                                     auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : "");
        if (!n)
          return answer(ctx, respond, graph_error(100, "Unsupported post request", "unknown WABA"));
        if (req.header("authorization").value_or("") != "Bearer " + n->access_token)
          return answer(ctx, respond, graph_error(190, "Invalid OAuth access token"));
        ctx.state.mark_subscribed(n->waba_id);
        answer(ctx, respond, http_response::json(200, {{"success", true}}));
      });

  routes.add("POST", "/{version}/{id}/messages", [ctx](http_request&& req, responder respond) {
    http_response denied;
    auto n = authorized(ctx, req, denied);
    if (!n) return answer(ctx, respond, std::move(denied));
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || body.value("messaging_product", "") != "whatsapp")
      return answer(
          ctx, respond,
          graph_error(100, "Invalid parameter", "messaging_product must be \"whatsapp\""));
    if (body.value("status", "") == "read") {  // mark as read
      ctx.state.add({0, n->phone_number_id, "", "read", body.value("message_id", ""), body, 0});
      return answer(ctx, respond, http_response::json(200, {{"success", true}}));
    }
    auto to = body.value("to", "");
    if (to.empty())
      return answer(ctx, respond, graph_error(131008, "Required parameter is missing", "to"));
    auto faults_now = ctx.state.current_faults();
    const auto& f = *faults_now;
    long code = 0;
    if (auto it = f.recipient_errors.find(to); it != f.recipient_errors.end())
      code = it->second;
    else
      code = ctx.state.draw_error(f);
    if (code) {
      ctx.state.count("sends_failed_injected");
      return answer(
          ctx, f, respond,
          graph_error(code, "Injected failure", "simulated error " + std::to_string(code)),
          n->phone_number_id);
    }
    auto msg = body;
    for (const char* k :
         {"messaging_product", "to", "recipient_type", "context", "biz_opaque_callback_data"})
      msg.erase(k);
    auto problems = actors::check_outbound_message(msg);
    if (!problems.empty()) {
      ctx.state.count("sends_invalid");
      return answer(
          ctx, respond,
          graph_error(100, "Invalid parameter", problems[0].pointer + ": " + problems[0].message));
    }
    if (msg.value("type", "") == "template") {
      std::string detail;
      if (auto refused = template_send_error(ctx.state, *n, msg, detail)) {
        ctx.state.count("sends_template_refused");
        return answer(ctx, respond, graph_error(refused, "Template refused", detail));
      }
    }
    auto wamid = ctx.state.next_wamid();
    if (ctx.keep_records) ctx.state.add({0, n->phone_number_id, to, "out", wamid, body, 0});
    if (ctx.on_send) ctx.on_send(n->phone_number_id, to, body);
    ctx.state.count("sends_accepted");
    http_response accepted;
    accepted.body = R"({"contacts":[{"input":)";
    json_text::append_string(accepted.body, to);
    accepted.body += R"(,"wa_id":)";
    json_text::append_string(accepted.body, to);
    accepted.body += R"(}],"messages":[{"id":)";
    json_text::append_string(accepted.body, wamid);
    accepted.body += R"(}],"messaging_product":"whatsapp"})";
    answer(ctx, f, respond, std::move(accepted), n->phone_number_id);
    post_statuses(std::make_shared<const status_run>(
                      status_run{ctx, std::move(*n), to, wamid, std::move(faults_now)}),
                  0);
  });
}

}  // namespace paige::metasim
