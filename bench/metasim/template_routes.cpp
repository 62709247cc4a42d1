// Meta's message templates API (spec/meta-cloud-api.md §8) as the simulator plays it: created
// templates are reviewed after a delay by rules the control API sets, decided with the
// message_template_status_update webhook; sends of templates are refused as Meta refuses them.
#include "actors/core/template_rules.hpp"
#include "actors/core/template_send.hpp"
#include "bench/metasim/routes.hpp"

#include <algorithm>
#include <chrono>

namespace paige::metasim {
namespace {

using api::http_request;
using api::http_response;
using api::responder;

/// The WABA's number whose token the request carries, or the refusal.
std::optional<number> waba_of(const sim_context& ctx, const http_request& req,
                              http_response& denied) {
  auto auth = std::string{req.header("authorization").value_or("")};
  auto token = auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : std::string{};
  auto n = ctx.state.find_waba(std::string{req.param("id")}, token);
  if (!n) {
    denied = graph_error(100, "Unsupported request", "unknown WABA");
    return std::nullopt;
  }
  if (n->access_token != token) {
    denied = graph_error(190, "Invalid OAuth access token - Cannot parse access token");
    return std::nullopt;
  }
  return n;
}

json numeric_id(const std::string& id) {
  try {
    return std::stoull(id);
  } catch (const std::exception&) {
    return id;
  }
}

/// Posts a template webhook of `field` for the template (its WABA's first number carries it).
void post_template_webhook(const sim_context& ctx, const json& t, const std::string& field,
                           json value) {
  auto n = ctx.state.find_waba(t.value("waba_id", ""));
  if (!n) return;
  value["message_template_id"] = numeric_id(t.value("id", ""));
  value["message_template_name"] = t.value("name", "");
  value["message_template_language"] = t.value("language", "");
  ctx.sender.post(webhook_sender::account_envelope(*n, field, std::move(value)));
  ctx.state.count("template_webhooks_sent");
}

/// Decides a template in review as the review rules say, after their delay.
void review(const sim_context& ctx, const std::string& id) {
  auto rules = ctx.state.template_review();
  auto t = ctx.state.find_template(id);
  if (!t) return;
  auto decision = rules.value("decision", std::string{"APPROVED"});
  auto reason = rules.value("reason", std::string{"NONE"});
  for (const auto& r : rules.value("rules", json::array()))
    if (r.is_object() && t->value("name", "").find(r.value("match", "")) != std::string::npos) {
      decision = r.value("decision", decision);
      reason = r.value("reason", std::string{"NONE"});
      break;
    }
  if (decision == "APPROVED") reason = "NONE";
  if (decision == "REJECTED" && reason == "NONE") reason = "INVALID_FORMAT";
  ctx.timers.after(
      std::chrono::milliseconds{rules.value("delay_ms", 100L)}, [ctx, id, decision, reason] {
        json category;
        bool changed = ctx.state.update_template(id, [&](json& x) {
          if (x.value("status", "") != "PENDING") return;  // deleted or decided
          x["status"] = decision;
          x["rejected_reason"] = reason;
          category = x.value("category", "");
        });
        auto now = ctx.state.find_template(id);
        if (!changed || !now || now->value("status", "") != decision) return;
        post_template_webhook(
            ctx, *now, "message_template_status_update",
            {{"event", decision}, {"reason", reason}, {"message_template_category", category}});
      });
}

}  // namespace

bool edit_template(const sim_context& ctx, const http_request& req, responder respond) {
  auto id = std::string{req.param("id")};
  auto t = ctx.state.find_template(id);
  if (!t) return false;
  auto n = ctx.state.find_waba(t->value("waba_id", ""));
  if (!n || req.header("authorization").value_or("") != "Bearer " + n->access_token) {
    respond(graph_error(190, "Invalid OAuth access token"));
    return true;
  }
  auto body = json::parse(req.body, nullptr, false);
  auto status = t->value("status", "");
  if (status != "APPROVED" && status != "REJECTED" && status != "PAUSED") {
    respond(graph_error(100, "Invalid parameter", "a " + status + " template cannot be edited"));
    return true;
  }
  if (!body.is_object() || (!body.contains("components") && !body.contains("category"))) {
    respond(graph_error(100, "Invalid parameter", "components or category is required"));
    return true;
  }
  if (status == "APPROVED" && body.contains("category") && body["category"] != (*t)["category"]) {
    respond(graph_error(100, "Invalid parameter", "an approved template's category is fixed"));
    return true;
  }
  // An approved template: one edit a day, ten in 30 days (the times of its edits are kept).
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  auto edits = t->value("approved_edits", json::array());
  if (status == "APPROVED") {
    long last_day = 0, last_month = 0;
    for (const auto& e : edits) {
      auto at = e.get<long>();
      last_day += now - at < 86400;
      last_month += now - at < 30 * 86400;
    }
    if (last_day >= 1 || last_month >= 10) {
      respond(graph_error(100, "Invalid parameter",
                          "an approved template can be edited once in 24 hours and 10 times "
                          "in 30 days"));
      return true;
    }
    edits.push_back(now);
  }
  auto edited = *t;
  for (const char* k : {"components", "category"})
    if (body.contains(k)) edited[k] = body[k];
  json whole{{"name", edited["name"]},
             {"language", edited["language"]},
             {"category", edited["category"]},
             {"parameter_format", edited.value("parameter_format", "positional")},
             {"components", edited["components"]}};
  auto problems = actors::templates::check_template(whole);
  if (!problems.empty()) {
    respond(
        graph_error(100, "Invalid parameter", problems[0].pointer + ": " + problems[0].message));
    return true;
  }
  ctx.state.update_template(id, [&](json& x) {
    x["components"] = edited["components"];
    x["category"] = edited["category"];
    x["status"] = "PENDING";
    x["approved_edits"] = edits;
    x.erase("rejected_reason");
  });
  ctx.state.count("templates_edited");
  review(ctx, id);
  respond(http_response::json(200, {{"success", true}}));
  return true;
}

long template_send_error(const sim_state& state, const number& n, const json& msg,
                         std::string& detail) {
  auto text_of = [](const json& obj, const char* key) {
    return obj.is_object() && obj.contains(key) && obj[key].is_string()
               ? obj[key].get<std::string>()
               : std::string{};
  };
  const auto& sent = msg.value("template", json::object());
  auto name = text_of(sent, "name");
  auto language = text_of(sent.is_object() ? sent.value("language", json()) : json(), "code");
  auto t = state.find_template(n.waba_id, name, language);
  if (!t) {
    detail = "template name (" + name + ") does not exist in " + language;
    return 132001;
  }
  auto status = t->value("status", "");
  if (status == "PAUSED") return detail = "template is paused", 132015;
  if (status == "DISABLED") return detail = "template is disabled", 132016;
  if (status != "APPROVED") return detail = "template is " + status, 132001;
  auto problems = actors::templates::check_send(*t, sent);
  if (problems.empty()) return 0;
  detail = problems[0].pointer + ": " + problems[0].message;
  const auto& said = problems[0].message;
  auto says = [&said](const char* words) { return said.find(words) != std::string::npos; };
  if (says("as sent has more than")) return 132005;  // the message is too long
  bool count = says(" takes ") || says(" is not given") || says(" is given twice");
  return count ? 132000 : 132012;  // the number of parameters, else their format
}

void add_template_routes(api::router& routes, sim_context ctx) {
  const std::string path = "/{version}/{id}/message_templates";

  routes.add("POST", path, [ctx](http_request&& req, responder respond) {
    http_response denied;
    auto n = waba_of(ctx, req, denied);
    if (!n) return respond(std::move(denied));
    auto t = json::parse(req.body, nullptr, false);
    auto problems = actors::templates::check_template(t);
    if (!problems.empty())
      return respond(
          graph_error(100, "Invalid parameter", problems[0].pointer + ": " + problems[0].message));
    // A media header's example is a file uploaded first (the Resumable Upload API's handle).
    for (const auto& c : t["components"])
      if (c.value("type", "") == "HEADER" && c.value("format", "") != "TEXT" &&
          c.value("format", "") != "LOCATION") {
        auto handles = c.value("example", json::object()).value("header_handle", json::array());
        if (!handles.is_array() || handles.empty() || !handles[0].is_string() ||
            !ctx.state.known_handle(handles[0].get<std::string>()))
          return respond(graph_error(100, "Invalid parameter",
                                     "example.header_handle is not the handle of an upload"));
      }
    if (ctx.state.find_template(n->waba_id, t["name"], t["language"]))
      return respond(graph_error(100, "Invalid parameter",
                                 "Message template already exists in this language"));
    json stored{{"name", t["name"]},
                {"language", t["language"]},
                {"category", t["category"]},
                {"parameter_format", t.value("parameter_format", "positional")},
                {"components", t["components"]}};
    stored = ctx.state.add_template(n->waba_id, std::move(stored));
    ctx.state.count("templates_created");
    review(ctx, stored["id"]);
    respond(http_response::json(
        200, {{"id", stored["id"]}, {"status", "PENDING"}, {"category", stored["category"]}}));
  });

  // Pages of `limit` by id; the cursor is the last id of the page.
  routes.add("GET", path, [ctx](http_request&& req, responder respond) {
    http_response denied;
    auto n = waba_of(ctx, req, denied);
    if (!n) return respond(std::move(denied));
    std::size_t limit = 25;
    if (auto l = req.query_param("limit")) limit = std::max(1, std::atoi(std::string{*l}.c_str()));
    auto after = std::string{req.query_param("after").value_or("")};
    auto all = ctx.state.templates(n->waba_id);
    json data = json::array();
    bool more = false;
    for (const auto& t : all) {
      if (!after.empty() && t.value("id", "") <= after) continue;
      if (data.size() == limit) {
        more = true;
        break;
      }
      auto item = t;
      item.erase("waba_id");
      item["parameter_format"] =
          item.value("parameter_format", "positional") == "named" ? "NAMED" : "POSITIONAL";
      if (item.contains("quality")) item["quality_score"] = {{"score", item["quality"]}};
      item.erase("quality");
      data.push_back(std::move(item));
    }
    json paging{{"cursors",
                 {{"before", data.empty() ? "" : data.front().value("id", "")},
                  {"after", data.empty() ? "" : data.back().value("id", "")}}}};
    if (more) paging["next"] = "https://graph.facebook.com/next";
    ctx.state.count("template_lists");
    // The list as it was when asked for, answered after the faults' latency.
    auto latency = ctx.state.current_faults()->latency_ms;
    auto answer = http_response::json(200, {{"data", data}, {"paging", paging}});
    if (latency <= 0) return respond(std::move(answer));
    ctx.timers.after(std::chrono::milliseconds{latency},
                     [respond, answer]() mutable { respond(std::move(answer)); });
  });

  routes.add("DELETE", path, [ctx](http_request&& req, responder respond) {
    http_response denied;
    auto n = waba_of(ctx, req, denied);
    if (!n) return respond(std::move(denied));
    auto name = std::string{req.query_param("name").value_or("")};
    auto id = std::string{req.query_param("hsm_id").value_or("")};
    if (name.empty()) return respond(graph_error(100, "Invalid parameter", "name is required"));
    if (ctx.state.remove_templates(n->waba_id, name, id).empty())
      return respond(graph_error(100, "Invalid parameter", "no such template"));
    ctx.state.count("templates_deleted");
    respond(http_response::json(200, {{"success", true}}));
  });

  // Control: how templates are reviewed; the templates; a template webhook on command.
  routes.add("PUT", "/control/templates/review", [ctx](http_request&& req, responder respond) {
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object())
      return respond(http_response::json(400, {{"error", "a JSON object is required"}}));
    auto review = ctx.state.template_review();
    review.update(body);
    ctx.state.set_template_review(review);
    respond(http_response::json(200, review));
  });
  routes.add("GET", "/control/templates", [ctx](http_request&&, responder respond) {
    json all = json::array();
    for (const auto& n : ctx.state.numbers())
      for (auto& t : ctx.state.templates(n.waba_id))
        if (std::none_of(all.begin(), all.end(), [&](const json& x) { return x["id"] == t["id"]; }))
          all.push_back(std::move(t));
    respond(http_response::json(200, {{"templates", all}}));
  });
  // {"field": "message_template_status_update", "event", "reason"?} (the status changes) |
  // {"field": "message_template_quality_update", "new_quality_score"} |
  // {"field": "template_category_update", "new_category"}; other members go into the value.
  routes.add(
      "POST", "/control/templates/{id}/webhooks", [ctx](http_request&& req, responder respond) {
        auto id = std::string{req.param("id")};
        auto body = json::parse(req.body, nullptr, false);
        if (!body.is_object() || !body.value("field", json()).is_string())
          return respond(http_response::json(400, {{"error", "'field' is required"}}));
        auto field = body["field"].get<std::string>();
        body.erase("field");
        bool found = ctx.state.update_template(id, [&](json& t) {
          if (field == "message_template_status_update" && body.value("event", json()).is_string())
            t["status"] = body["event"] == "REINSTATED" ? json("APPROVED") : body["event"];
          if (field == "message_template_quality_update")
            t["quality"] = body.value("new_quality_score", "UNKNOWN");
          if (field == "template_category_update")
            t["category"] = body.value("new_category", t.value("category", ""));
        });
        auto t = ctx.state.find_template(id);
        if (!found || !t) return respond(http_response::json(404, {{"error", "no such template"}}));
        post_template_webhook(ctx, *t, field, body);
        respond(http_response::json(200, *t));
      });
}

}  // namespace paige::metasim
