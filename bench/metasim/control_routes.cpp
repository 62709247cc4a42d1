#include "bench/metasim/routes.hpp"

#include <chrono>

namespace paige::metasim {
namespace {

using api::http_request;
using api::http_response;
using api::responder;

json record_json(const record& r) {
  return {{"seq", r.seq},     {"wa_id", r.wa_id},     {"direction", r.direction},
          {"wamid", r.wamid}, {"message", r.message}, {"at", r.at}};
}

std::string now_seconds() {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
}

/// An inbound message object from a control request item {"wa_id"?, "name"?, "message"}.
std::optional<json> inbound_object(sim_context& ctx, const std::string& wa_id, const json& item,
                                   std::string& error) {
  if (!item.contains("message") || !item["message"].is_object() ||
      !item["message"].contains("type")) {
    error = "'message' must be an object with a 'type'";
    return std::nullopt;
  }
  auto m = item["message"];
  m["from"] = wa_id;
  if (!m.contains("id")) m["id"] = ctx.state.next_wamid();
  m["timestamp"] = now_seconds();
  return m;
}

/// Answers with the records after `after` once there are some, or empty after `wait_ms`.
void long_poll(sim_context ctx, responder respond, std::string number_id, std::string wa_id,
               std::uint64_t after, std::chrono::steady_clock::time_point deadline) {
  auto items = ctx.state.records(number_id, wa_id, after);
  if (!items.empty() || std::chrono::steady_clock::now() >= deadline) {
    json list = json::array();
    for (const auto& r : items) list.push_back(record_json(r));
    return respond(http_response::json(200, {{"items", list}, {"last_seq", ctx.state.last_seq()}}));
  }
  ctx.timers.after(std::chrono::milliseconds{5}, [ctx, respond, number_id, wa_id, after, deadline] {
    long_poll(ctx, respond, number_id, wa_id, after, deadline);
  });
}

void list_records(sim_context ctx, const http_request& req, responder respond, std::string wa_id) {
  std::uint64_t after = 0;
  long wait_ms = 0;
  try {
    after = std::stoull(std::string{req.query_param("after").value_or("0")});
    wait_ms = std::stol(std::string{req.query_param("wait_ms").value_or("0")});
  } catch (const std::exception&) {
    return respond(http_response::foreign_error(400, "bad_query", "after and wait_ms are numbers"));
  }
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds{std::min(wait_ms, 30000L)};
  long_poll(ctx, respond, std::string{req.param("pnid")}, std::move(wa_id), after, deadline);
}

/// The number of the request's {pnid}; nullopt (and a 404 answered) when there is none.
std::optional<number> number_of(const sim_context& ctx, const http_request& req,
                                const responder& respond) {
  auto n = ctx.state.find_number(std::string{req.param("pnid")});
  if (!n) respond(http_response::foreign_error(404, "unknown_number", "create the number first"));
  return n;
}

}  // namespace

void add_control_routes(api::router& routes, sim_context ctx) {
  routes.add("PUT", "/control/numbers/{pnid}", [ctx](http_request&& req, responder respond) {
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("access_token"))
      return respond(http_response::foreign_error(
          400, "bad_body", "give waba_id, display_phone_number, verified_name, access_token"));
    number n{std::string{req.param("pnid")},
             body.value("waba_id", "WABA" + std::string{req.param("pnid")}),
             body.value("display_phone_number", "15550000000"),
             body.value("verified_name", "Simulated Business"),
             body.value("access_token", ""),
             false,
             false};
    ctx.state.put_number(n);
    respond(
        http_response::json(200, {{"phone_number_id", n.phone_number_id}, {"waba_id", n.waba_id}}));
  });

  routes.add("GET", "/control/numbers/{pnid}", [ctx](http_request&& req, responder respond) {
    auto n = number_of(ctx, req, respond);
    if (!n) return;
    respond(http_response::json(200, to_json(*n)));
  });

  // How Meta decides the number's next display-name request:
  // {"decision": "APPROVED"|"REJECTED"|"PENDING"|"DEFERRED", "rejection_reason"?, "delay_ms"?}.
  routes.add(
      "PUT", "/control/numbers/{pnid}/name_review", [ctx](http_request&& req, responder respond) {
        auto body = json::parse(req.body, nullptr, false);
        if (!body.is_object() || !body.contains("decision") || !body["decision"].is_string())
          return respond(http_response::foreign_error(
              400, "bad_body", "give {\"decision\", \"rejection_reason\"?, \"delay_ms\"?}"));
        if (!ctx.state.update_number(std::string{req.param("pnid")},
                                     [&](number& n) { n.name_review = body; }))
          return respond(
              http_response::foreign_error(404, "unknown_number", "create the number first"));
        respond(http_response::json(200, body));
      });

  // Meta tells Paige about the account: {"field", "value"} sent as that webhook field for the
  // number's WABA (quality, account_update, account_alerts, phone_number_name_update, ...);
  // answered once Paige acknowledged it (or the sender gave up).
  routes.add("POST", "/control/numbers/{pnid}/webhooks",
             [ctx](http_request&& req, responder respond) mutable {
               auto n = number_of(ctx, req, respond);
               if (!n) return;
               auto body = json::parse(req.body, nullptr, false);
               if (!body.is_object() || !body.contains("field") || !body["field"].is_string() ||
                   !body.contains("value"))
                 return respond(
                     http_response::foreign_error(400, "bad_body", "give {\"field\", \"value\"}"));
               ctx.state.count("account_webhooks_sent");
               ctx.sender.post(webhook_sender::account_envelope(
                                   *n, body["field"].get<std::string>(), body["value"]),
                               [respond](delivery_outcome o) {
                                 respond(http_response::json(200, {{"delivered", o.delivered},
                                                                   {"attempts", o.attempts},
                                                                   {"status", o.last_status}}));
                               });
             });

  // One user sends one message; answered once Paige acknowledged the webhook (or it gave up),
  // unless "wait" is false.
  routes.add("POST", "/control/numbers/{pnid}/users/{wa_id}/messages",
             [ctx](http_request&& req, responder respond) mutable {
               auto n = number_of(ctx, req, respond);
               if (!n) return;
               auto body = json::parse(req.body, nullptr, false);
               std::string wa_id{req.param("wa_id")};
               std::string error;
               auto m = body.is_object() ? inbound_object(ctx, wa_id, body, error) : std::nullopt;
               if (!m)
                 return respond(http_response::foreign_error(
                     400, "bad_body", error.empty() ? "a JSON object is required" : error));
               json value{{"messages", {*m}}};
               if ((*m)["type"] != "system")
                 value["contacts"] = {
                     {{"profile", {{"name", body.value("name", wa_id)}}}, {"wa_id", wa_id}}};
               ctx.state.add({0, n->phone_number_id, wa_id, "in", (*m)["id"], *m, 0});
               ctx.state.count("inbound_sent");
               std::string wamid = (*m)["id"];
               if (!body.value("wait", true)) {
                 ctx.sender.post(webhook_sender::envelope(*n, value));
                 return respond(http_response::json(202, {{"wamid", wamid}}));
               }
               ctx.sender.post(webhook_sender::envelope(*n, value),
                               [respond, wamid](delivery_outcome o) {
                                 respond(http_response::json(200, {{"wamid", wamid},
                                                                   {"delivered", o.delivered},
                                                                   {"attempts", o.attempts},
                                                                   {"status", o.last_status}}));
                               });
             });

  // Several users' messages in one webhook POST: {"messages": [{"wa_id", "name"?, "message"}...]}.
  routes.add("POST", "/control/numbers/{pnid}/inbound",
             [ctx](http_request&& req, responder respond) mutable {
               auto n = number_of(ctx, req, respond);
               if (!n) return;
               auto body = json::parse(req.body, nullptr, false);
               if (!body.is_object() || !body.contains("messages") || !body["messages"].is_array())
                 return respond(
                     http_response::foreign_error(400, "bad_body", "give {\"messages\": [...]}"));
               json messages = json::array(), contacts = json::array(), wamids = json::array();
               for (const auto& item : body["messages"]) {
                 std::string error;
                 auto wa_id = item.value("wa_id", "");
                 auto m = wa_id.empty() ? std::nullopt : inbound_object(ctx, wa_id, item, error);
                 if (!m)
                   return respond(http_response::foreign_error(
                       400, "bad_body", error.empty() ? "every item needs wa_id" : error));
                 contacts.push_back(
                     {{"profile", {{"name", item.value("name", wa_id)}}}, {"wa_id", wa_id}});
                 ctx.state.add({0, n->phone_number_id, wa_id, "in", (*m)["id"], *m, 0});
                 wamids.push_back((*m)["id"]);
                 messages.push_back(std::move(*m));
               }
               ctx.state.count("inbound_sent", static_cast<long>(messages.size()));
               ctx.sender.post(
                   webhook_sender::envelope(*n, {{"contacts", contacts}, {"messages", messages}}),
                   [respond, wamids](delivery_outcome o) {
                     respond(http_response::json(200, {{"wamids", wamids},
                                                       {"delivered", o.delivered},
                                                       {"attempts", o.attempts},
                                                       {"status", o.last_status}}));
                   });
             });

  routes.add("GET", "/control/numbers/{pnid}/users/{wa_id}/messages",
             [ctx](http_request&& req, responder respond) {
               list_records(ctx, req, respond, std::string{req.param("wa_id")});
             });
  routes.add("GET", "/control/numbers/{pnid}/messages",
             [ctx](http_request&& req, responder respond) { list_records(ctx, req, respond, ""); });

  routes.add("GET", "/control/faults", [ctx](http_request&&, responder respond) {
    respond(http_response::json(200, to_json(ctx.state.get_faults())));
  });
  routes.add("PUT", "/control/faults", [ctx](http_request&& req, responder respond) {
    auto body = json::parse(req.body, nullptr, false);
    auto f = ctx.state.get_faults();
    try {
      apply_faults(f, body);
    } catch (const std::exception& e) {
      return respond(http_response::foreign_error(400, "bad_faults", e.what()));
    }
    ctx.state.set_faults(f);
    respond(http_response::json(200, to_json(f)));
  });
  routes.add("PUT", "/control/webhook", [ctx](http_request&& req, responder respond) {
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("url") || !body["url"].is_string())
      return respond(http_response::foreign_error(400, "bad_body",
                                                  "give {\"url\": \"http://host:port/webhook\"}"));
    ctx.sender.set_url(body["url"].get<std::string>());
    respond(http_response::json(200, {{"url", ctx.sender.url()}}));
  });
  routes.add("GET", "/control/stats", [ctx](http_request&&, responder respond) {
    respond(http_response::json(200, ctx.state.stats()));
  });
}

}  // namespace paige::metasim
