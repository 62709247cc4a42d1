// Meta's Flows API (spec/meta-cloud-api.md §9.1, §9.3) as the simulator plays it: flows made
// on a WABA as drafts, their Flow JSON uploaded as a multipart asset and validated (the rules
// Paige checks too, and those of PUT /control/flows/validation), published, deprecated,
// deleted while drafts, each status change announced with the `flows` webhook.
#include "actors/core/flow_rules.hpp"
#include "api/request_target.hpp"
#include "bench/metasim/routes.hpp"
#include "common/flow_crypto.hpp"
#include "common/secrets.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>

namespace paige::metasim {
namespace {

using api::http_request;
using api::http_response;
using api::responder;

std::string bearer(const http_request& req) {
  auto auth = std::string{req.header("authorization").value_or("")};
  return auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : std::string{};
}

/// The flow `id` if the request's token is its WABA's; nullopt with `denied` otherwise (an
/// unknown id leaves `denied` empty: the id may be something else's).
std::optional<json> flow_of(const sim_context& ctx, const http_request& req,
                            std::optional<http_response>& denied) {
  auto f = ctx.state.find_flow(std::string{req.param("id")});
  if (!f) return std::nullopt;
  auto n = ctx.state.find_waba(f->value("waba_id", ""), bearer(req));
  if (!n || n->access_token != bearer(req)) {
    denied = graph_error(190, "Invalid OAuth access token - Cannot parse access token");
    return std::nullopt;
  }
  return f;
}

/// What Meta finds in a Flow JSON text: the rules Paige checks too, then the control rules.
json validate(const sim_context& ctx, const std::string& text) {
  json errors = json::array();
  auto doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) {
    errors.push_back({{"error", "INVALID_FLOW_JSON"},
                      {"error_type", "FLOW_JSON_ERROR"},
                      {"message", "The Flow JSON is not valid JSON."},
                      {"line_start", 1},
                      {"line_end", 1},
                      {"column_start", 1},
                      {"column_end", 1},
                      {"pointers", json::array()}});
    return errors;
  }
  auto error = [](const std::string& code, const std::string& message, const std::string& path) {
    json pointers = json::array();
    if (!path.empty())
      pointers.push_back({{"line_start", 1},
                          {"line_end", 1},
                          {"column_start", 1},
                          {"column_end", 1},
                          {"path", path}});
    return json{{"error", code},      {"error_type", "FLOW_JSON_ERROR"},
                {"message", message}, {"line_start", 1},
                {"line_end", 1},      {"column_start", 1},
                {"column_end", 1},    {"pointers", pointers}};
  };
  for (const auto& p : actors::flows::check_flow_json(doc))
    errors.push_back(
        error("INVALID_PROPERTY_VALUE", p.message, actors::flows::meta_path_of_pointer(p.pointer)));
  for (const auto& r : ctx.state.flow_validation().value("rules", json::array()))
    if (r.is_object() && r.value("match", json()).is_string() &&
        text.find(r["match"].get<std::string>()) != std::string::npos)
      errors.push_back(error(r.value("error", "INVALID_PROPERTY_VALUE"),
                             r.value("message", "Invalid value found."), r.value("path", "")));
  return errors;
}

/// Posts the `flows` webhook of a status change (`old_status` empty: the flow was made).
void post_status_webhook(const sim_context& ctx, const json& f, const std::string& old_status) {
  auto n = ctx.state.find_waba(f.value("waba_id", ""));
  if (!n) return;
  auto now = f.value("status", "");
  json value{
      {"event", "FLOW_STATUS_CHANGE"},
      {"message", "Flow " + f.value("name", "") + " changed status from " +
                      (old_status.empty() ? std::string{"nothing"} : old_status) + " to " + now},
      {"flow_id", f.value("id", "")},
      {"new_status", now}};
  if (!old_status.empty()) value["old_status"] = old_status;
  ctx.sender.post(webhook_sender::account_envelope(*n, "flows", std::move(value)));
  ctx.state.count("flow_webhooks_sent");
}

/// Sets a flow's status and announces it.
void change_status(const sim_context& ctx, const std::string& id, const std::string& status) {
  std::string old;
  ctx.state.update_flow(id, [&](json& f) {
    old = f.value("status", "");
    f["status"] = status;
  });
  if (auto f = ctx.state.find_flow(id); f && old != status) post_status_webhook(ctx, *f, old);
}

/// The parts of a multipart/form-data body: name → (filename, content).
std::map<std::string, std::pair<std::string, std::string>> form_parts(const http_request& req) {
  std::map<std::string, std::pair<std::string, std::string>> out;
  auto type = std::string{req.header("content-type").value_or("")};
  auto b = type.find("boundary=");
  if (type.rfind("multipart/form-data", 0) != 0 || b == std::string::npos) return out;
  auto boundary = "--" + type.substr(b + 9);
  if (boundary.size() > 2 && boundary[2] == '"')
    boundary = "--" + boundary.substr(3, boundary.find('"', 3) - 3);
  const auto& body = req.body;
  for (auto at = body.find(boundary); at != std::string::npos;) {
    auto start = at + boundary.size();
    if (body.compare(start, 2, "--") == 0) break;
    auto head_end = body.find("\r\n\r\n", start);
    auto next = body.find("\r\n" + boundary, start);
    if (head_end == std::string::npos || next == std::string::npos) break;
    auto head = body.substr(start, head_end - start);
    auto field = [&](const std::string& key) {
      auto k = head.find(key + "=\"");
      if (k == std::string::npos) return std::string{};
      auto from = k + key.size() + 2;
      return head.substr(from, head.find('"', from) - from);
    };
    out[field("name")] = {field("filename"), body.substr(head_end + 4, next - head_end - 4)};
    at = next + 2;
  }
  return out;
}

json view_of(const json& f, bool with_preview) {
  json out{{"id", f.value("id", "")},
           {"name", f.value("name", "")},
           {"status", f.value("status", "")},
           {"categories", f.value("categories", json::array())},
           {"validation_errors", f.value("validation_errors", json::array())}};
  auto doc = json::parse(f.value("flow_json", "{}"), nullptr, false);
  if (doc.is_object() && doc.value("version", json()).is_string())
    out["json_version"] = doc["version"];
  if (doc.is_object() && doc.value("data_api_version", json()).is_string())
    out["data_api_version"] = doc["data_api_version"];
  if (!f.value("endpoint_uri", "").empty()) out["endpoint_uri"] = f["endpoint_uri"];
  if (with_preview) {
    auto expires = std::time(nullptr) + 30 * 24 * 3600;
    char at[32];
    std::tm tm{};
    gmtime_r(&expires, &tm);
    std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%S+0000", &tm);
    out["preview"] = {
        {"preview_url", "https://business.facebook.com/wa/manage/flows/" + f.value("id", "") +
                            "/preview/?token=sim-" + f.value("id", "")},
        {"expires_at", at}};
  }
  return out;
}

http_response success() { return http_response::json(200, {{"success", true}}); }

/// A flow a message sent: its token, and Meta's id of the flow.
struct sent_flow {
  std::string token, flow_id;
};

std::string text_at(const json& obj, const char* key) {
  auto it = obj.is_object() ? obj.find(key) : obj.end();
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

/// The flow an outbound message opens: an interactive flow message's, or a template's flow
/// button's (its flow from the template as Meta keeps it; the token "unused" when the send gave
/// the button no parameter, as Meta does).
std::optional<sent_flow> flow_sent(const sim_context& ctx, const number& n, const json& m) {
  if (!m.is_object()) return std::nullopt;
  if (m.value("type", json()) == "interactive") {
    const auto& i = m.value("interactive", json::object());
    if (!i.is_object() || i.value("type", json()) != "flow") return std::nullopt;
    auto p = i.value("action", json::object()).value("parameters", json::object());
    return sent_flow{text_at(p, "flow_token"), text_at(p, "flow_id")};
  }
  if (m.value("type", json()) != "template") return std::nullopt;
  const auto& t = m.value("template", json::object());
  auto stored = ctx.state.find_template(n.waba_id, text_at(t, "name"),
                                        text_at(t.value("language", json::object()), "code"));
  if (!stored) return std::nullopt;
  for (const auto& c : stored->value("components", json::array())) {
    if (text_at(c, "type") != "BUTTONS") continue;
    const auto& buttons = c.value("buttons", json::array());
    for (std::size_t i = 0; i < buttons.size(); ++i) {
      if (text_at(buttons[i], "type") != "FLOW") continue;
      sent_flow out{"unused", text_at(buttons[i], "flow_id")};
      if (out.flow_id.empty())
        for (const auto& f : ctx.state.flows(n.waba_id))
          if (text_at(f, "name") == text_at(buttons[i], "flow_name"))
            out.flow_id = text_at(f, "id");
      for (const auto& given : t.value("components", json::array()))
        if (text_at(given, "sub_type") == "flow" && text_at(given, "index") == std::to_string(i))
          for (const auto& p : given.value("parameters", json::array()))
            if (auto token = text_at(p.value("action", json::object()), "flow_token");
                !token.empty())
              out.token = token;
      return out;
    }
  }
  return std::nullopt;
}

/// Where a flow's endpoint calls go: its number (with its public key) and endpoint_uri; or
/// why none (`error`, with the status to answer).
struct endpoint_target {
  std::optional<number> n;
  std::string url;
  unsigned status = 200;
  std::string error;
};

endpoint_target endpoint_of(const sim_context& ctx, const std::string& flow_id) {
  endpoint_target t;
  auto f = ctx.state.find_flow(flow_id);
  if (!f) return t.status = 404, t.error = "no such flow", t;
  t.n = ctx.state.find_waba(f->value("waba_id", ""));
  t.url = f->value("endpoint_uri", "");
  if (!t.n || t.n->flows_public_key.empty() || t.url.empty())
    return t.status = 409, t.error = "the flow has no endpoint or key", t;
  return t;
}

/// One call of Meta's to the endpoint: `body` ({"action", "screen"?, "data"?, "flow_token"?,
/// "tamper"?: "signature" | "key" | "payload"}) encrypted to the number's key as Meta does,
/// signed, sent; `done` gets {"status", "elapsed_ms", "response" (decrypted) | "body" | "error"}.
void exchange(const sim_context& ctx, const endpoint_target& target, const json& body,
              std::function<void(json)> done) {
  json payload{{"version", "3.0"}, {"action", body.value("action", "ping")}};
  for (const char* key : {"screen", "data", "flow_token"})
    if (body.contains(key)) payload[key] = body[key];
  auto tamper = body.value("tamper", "");
  auto key = tamper == "key" ? flow_crypto::make_key_pair().public_pem : target.n->flows_public_key;
  auto sealed = flow_crypto::encrypt_request(key, payload.dump());
  if (tamper == "payload") {
    auto data = flow_crypto::base64_decode(sealed.encrypted_flow_data);
    data[data.size() / 2] = static_cast<char>(data[data.size() / 2] ^ 0x20);
    sealed.encrypted_flow_data = flow_crypto::base64_encode(data);
  }
  auto text = json{{"encrypted_flow_data", sealed.encrypted_flow_data},
                   {"encrypted_aes_key", sealed.encrypted_aes_key},
                   {"initial_vector", sealed.initial_vector}}
                  .dump();
  auto secret = tamper == "signature" ? ctx.app_secret + "-not" : ctx.app_secret;
  auto plain = sealed.plain;
  ctx.state.count("flow_exchanges");
  auto signature = "sha256=" + secrets::hmac_sha256_hex(secret, text);
  auto started = std::chrono::steady_clock::now();
  ctx.sender.call("POST", target.url,
                  {{"Content-Type", "application/json"}, {"X-Hub-Signature-256", signature}},
                  std::move(text),
                  [done = std::move(done), plain, started](api::client_response r) {
                    // The endpoint's time, from the request sent to its answer (what Meta's 10 s
                    // bound).
                    json out{{"status", r.status},
                             {"elapsed_ms", std::chrono::duration<double, std::milli>(
                                                std::chrono::steady_clock::now() - started)
                                                .count()}};
                    if (r.status == 200) {
                      try {
                        out["response"] = json::parse(flow_crypto::decrypt_response(plain, r.body));
                      } catch (const std::exception& e) {
                        out["error"] = std::string{"the answer does not decrypt: "} + e.what();
                      }
                    } else {
                      out["body"] = r.body;
                    }
                    done(std::move(out));
                  });
}

}  // namespace

bool flow_call(const sim_context& ctx, const http_request& req, responder respond) {
  std::optional<http_response> denied;
  auto f = flow_of(ctx, req, denied);
  if (denied) return respond(std::move(*denied)), true;
  if (!f) return false;
  auto id = f->value("id", "");
  if (req.method == "GET") {
    auto fields = std::string{req.query_param("fields").value_or("")};
    respond(http_response::json(200, view_of(*f, fields.find("preview") != std::string::npos)));
  } else if (req.method == "DELETE") {
    if (f->value("status", "") != "DRAFT")
      return respond(graph_error(139004, "Flow can't be deleted",
                                 "Only a draft flow can be deleted; deprecate it instead")),
             true;
    ctx.state.remove_flow(id);
    ctx.state.count("flows_deleted");
    respond(success());
  } else {  // POST: the metadata
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object())
      return respond(graph_error(100, "Invalid parameter", "a JSON body")), true;
    if (f->value("status", "") != "DRAFT")
      return respond(graph_error(139001, "Can't update a published flow",
                                 "Only a draft flow can be changed")),
             true;
    if (body.contains("name"))
      for (const auto& other : ctx.state.flows(f->value("waba_id", "")))
        if (other.value("id", "") != id && other.value("name", "") == body["name"])
          return respond(graph_error(100, "Invalid parameter", "Flow name is already taken")), true;
    ctx.state.update_flow(id, [&](json& x) {
      for (const char* key : {"name", "categories", "endpoint_uri"})
        if (body.contains(key)) x[key] = body[key];
    });
    respond(success());
  }
  return true;
}

void add_flow_routes(api::router& routes, sim_context ctx) {
  routes.add("POST", "/{version}/{id}/flows", [ctx](http_request&& req, responder respond) {
    auto n = ctx.state.find_waba(std::string{req.param("id")}, bearer(req));
    if (!n) return respond(graph_error(100, "Unsupported request", "unknown WABA"));
    if (n->access_token != bearer(req))
      return respond(graph_error(190, "Invalid OAuth access token - Cannot parse access token"));
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.value("name", json()).is_string() ||
        body["name"].get<std::string>().empty())
      return respond(graph_error(100, "Invalid parameter", "name is required"));
    if (!body.value("categories", json()).is_array() || body["categories"].empty())
      return respond(graph_error(100, "Invalid parameter", "categories is required"));
    for (const auto& other : ctx.state.flows(n->waba_id))
      if (other.value("name", "") == body["name"])
        return respond(graph_error(100, "Invalid parameter", "Flow name is already taken"));
    json stored{{"name", body["name"]}, {"categories", body["categories"]}};
    if (body.value("endpoint_uri", json()).is_string())
      stored["endpoint_uri"] = body["endpoint_uri"];
    if (body.value("flow_json", json()).is_string()) {
      stored["flow_json"] = body["flow_json"];
      stored["validation_errors"] = validate(ctx, body["flow_json"]);
    }
    stored = ctx.state.add_flow(n->waba_id, std::move(stored));
    ctx.state.count("flows_created");
    post_status_webhook(ctx, stored, "");
    respond(http_response::json(200, {{"id", stored["id"]},
                                      {"success", true},
                                      {"validation_errors", stored["validation_errors"]}}));
  });

  routes.add("GET", "/{version}/{id}/flows", [ctx](http_request&& req, responder respond) {
    auto n = ctx.state.find_waba(std::string{req.param("id")}, bearer(req));
    if (!n || n->access_token != bearer(req))
      return respond(graph_error(190, "Invalid OAuth access token - Cannot parse access token"));
    json data = json::array();
    for (const auto& f : ctx.state.flows(n->waba_id)) data.push_back(view_of(f, false));
    respond(http_response::json(200, {{"data", data}, {"paging", {{"cursors", json::object()}}}}));
  });

  // The Flow JSON, as a multipart file named flow.json of asset_type FLOW_JSON.
  routes.add("POST", "/{version}/{id}/assets", [ctx](http_request&& req, responder respond) {
    std::optional<http_response> denied;
    auto f = flow_of(ctx, req, denied);
    if (denied) return respond(std::move(*denied));
    if (!f) return respond(graph_error(100, "Unsupported request", "unknown flow"));
    auto parts = form_parts(req);
    if (!parts.count("file") || parts["name"].second != "flow.json" ||
        parts["asset_type"].second != "FLOW_JSON")
      return respond(graph_error(100, "Invalid parameter",
                                 "file, name=flow.json and asset_type=FLOW_JSON are required"));
    if (f->value("status", "") != "DRAFT")
      return respond(graph_error(139001, "Can't update a published flow",
                                 "Only a draft flow's Flow JSON can be changed"));
    auto text = parts["file"].second;
    auto errors = validate(ctx, text);
    ctx.state.update_flow(f->value("id", ""), [&](json& x) {
      x["flow_json"] = text;
      x["validation_errors"] = errors;
    });
    ctx.state.count("flow_assets_uploaded");
    respond(http_response::json(200, {{"success", true}, {"validation_errors", errors}}));
  });

  routes.add("POST", "/{version}/{id}/publish", [ctx](http_request&& req, responder respond) {
    std::optional<http_response> denied;
    auto f = flow_of(ctx, req, denied);
    if (denied) return respond(std::move(*denied));
    if (!f) return respond(graph_error(100, "Unsupported request", "unknown flow"));
    if (f->value("status", "") != "DRAFT")
      return respond(
          graph_error(139002, "Publishing failed", "Only a draft flow can be published"));
    if (!f->contains("flow_json") || !f->value("validation_errors", json::array()).empty())
      return respond(graph_error(139002, "Publishing failed",
                                 "The flow has validation errors or no Flow JSON"));
    auto doc = json::parse(f->value("flow_json", "{}"), nullptr, false);
    if (doc.is_object() && doc.contains("data_api_version") && f->value("endpoint_uri", "").empty())
      return respond(graph_error(139002, "Publishing failed", "The flow needs an endpoint_uri"));
    change_status(ctx, f->value("id", ""), "PUBLISHED");
    respond(success());
  });

  routes.add("POST", "/{version}/{id}/deprecate", [ctx](http_request&& req, responder respond) {
    std::optional<http_response> denied;
    auto f = flow_of(ctx, req, denied);
    if (denied) return respond(std::move(*denied));
    if (!f) return respond(graph_error(100, "Unsupported request", "unknown flow"));
    // BLOCKED and THROTTLED flows are published flows with an unhealthy endpoint (whether
    // Meta deprecates them is unconfirmed: spec §12).
    auto status = f->value("status", "");
    if (status != "PUBLISHED" && status != "BLOCKED" && status != "THROTTLED")
      return respond(
          graph_error(139003, "Can't deprecate flow", "Only a published flow can be deprecated"));
    change_status(ctx, f->value("id", ""), "DEPRECATED");
    respond(success());
  });

  // A user completes the flow last sent to them (or the one of `flow_token`): Meta sends the
  // business the nfm_reply message, its response_json the `response` plus the flow_token.
  routes.add(
      "POST", "/control/numbers/{pnid}/users/{wa_id}/flows/complete",
      [ctx](http_request&& req, responder respond) {
        auto n = ctx.state.find_number(std::string{req.param("pnid")});
        if (!n) return respond(http_response::json(404, {{"error", "no such number"}}));
        auto wa_id = std::string{req.param("wa_id")};
        auto body = json::parse(req.body, nullptr, false);
        if (!body.is_object() || !body.value("response", json()).is_object())
          return respond(
              http_response::json(400, {{"error", "{\"response\": {...}} is required"}}));
        auto wanted = body.value("flow_token", json()).is_string()
                          ? body["flow_token"].get<std::string>()
                          : std::string{};
        std::string token, context_id, flow_id;  // of the latest flow sent (with that token)
        for (const auto& r : ctx.state.records(n->phone_number_id, wa_id, 0)) {
          if (r.direction != "out") continue;
          auto sent = flow_sent(ctx, *n, r.message);
          if (!sent || (!wanted.empty() && sent->token != wanted)) continue;
          token = sent->token;
          context_id = r.wamid;
          flow_id = sent->flow_id;
        }
        if (context_id.empty())
          return respond(http_response::json(404, {{"error", "no flow was sent to this user"}}));
        if (!flow_id.empty() && !ctx.state.find_flow(flow_id))
          return respond(
              http_response::json(404, {{"error", "the flow sent is not one Meta has"}}));
        auto response = body["response"];
        response["flow_token"] = token;
        json m{{"from", wa_id},
               {"id", ctx.state.next_wamid()},
               {"timestamp", std::to_string(std::time(nullptr))},
               {"type", "interactive"},
               {"context", {{"from", n->display_phone_number}, {"id", context_id}}},
               {"interactive",
                {{"type", "nfm_reply"},
                 {"nfm_reply",
                  {{"name", "flow"}, {"body", "Sent"}, {"response_json", response.dump()}}}}}};
        json value{
            {"messages", {m}},
            {"contacts", {{{"profile", {{"name", body.value("name", wa_id)}}}, {"wa_id", wa_id}}}}};
        ctx.state.add({0, n->phone_number_id, wa_id, "in", m["id"], m, 0});
        ctx.state.count("flow_replies_sent");
        std::string wamid = m["id"];
        ctx.sender.post(
            webhook_sender::envelope(*n, value), [respond, wamid, token](delivery_outcome o) {
              respond(http_response::json(
                  200, {{"wamid", wamid}, {"flow_token", token}, {"delivered", o.delivered}}));
            });
      });

  // The number's public key for its flows' endpoints: a form field, as Meta takes it.
  routes.add(
      "POST", "/{version}/{id}/whatsapp_business_encryption",
      [ctx](http_request&& req, responder respond) {
        auto n = ctx.state.find_number(std::string{req.param("id")});
        if (!n || n->access_token != bearer(req))
          return respond(graph_error(190, "Invalid OAuth access token"));
        auto form = api::parse_request_target("/?" + req.body);
        std::string key;
        if (auto* t = std::get_if<api::request_target>(&form))
          for (const auto& [k, v] : t->query)
            if (k == "business_public_key") key = v;
        if (key.find("BEGIN PUBLIC KEY") == std::string::npos)
          return respond(
              graph_error(100, "Invalid parameter", "business_public_key is not a PEM public key"));
        ctx.state.update_number(n->phone_number_id, [&](number& x) { x.flows_public_key = key; });
        ctx.state.count("flow_keys_uploaded");
        respond(success());
      });
  routes.add(
      "GET", "/{version}/{id}/whatsapp_business_encryption",
      [ctx](http_request&& req, responder respond) {
        auto n = ctx.state.find_number(std::string{req.param("id")});
        if (!n || n->access_token != bearer(req))
          return respond(graph_error(190, "Invalid OAuth access token"));
        respond(http_response::json(200, {{"business_public_key", n->flows_public_key},
                                          {"business_public_key_signature_status",
                                           n->flows_public_key.empty() ? "MISMATCH" : "VALID"}}));
      });

  // Meta's client of a flow's data-exchange endpoint: {"action", "screen"?, "data"?,
  // "flow_token"?, "tamper"?: "signature" | "key" | "payload"} encrypted to the number's key,
  // signed, sent to the flow's endpoint_uri; the answer decrypted.
  routes.add("POST", "/control/flows/{id}/exchange", [ctx](http_request&& req, responder respond) {
    auto target = endpoint_of(ctx, std::string{req.param("id")});
    if (!target.error.empty())
      return respond(http_response::json(target.status, {{"error", target.error}}));
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) return respond(http_response::json(400, {{"error", "a JSON object"}}));
    exchange(ctx, target, body, [respond](json out) { respond(http_response::json(200, out)); });
  });

  // Meta's client in many sessions at once, for the benchmark: {"sessions": [[request, ...],
  // ...]} (each request as /exchange takes it); each session's requests one after another,
  // every session at once. Answers {"requests", "ok", "wall_ms", "elapsed_ms": [sorted]}.
  routes.add("POST", "/control/flows/{id}/sessions", [ctx](http_request&& req, responder respond) {
    auto target = endpoint_of(ctx, std::string{req.param("id")});
    if (!target.error.empty())
      return respond(http_response::json(target.status, {{"error", target.error}}));
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.value("sessions", json()).is_array())
      return respond(
          http_response::json(400, {{"error", "{\"sessions\": [[...], ...]} is required"}}));
    struct run {
      std::mutex mutex;
      std::vector<double> elapsed;
      std::size_t ok = 0, open = 0;
      std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
      responder respond;
    };
    auto r = std::make_shared<run>();
    r->respond = std::move(respond);
    auto sessions = std::make_shared<json>(std::move(body["sessions"]));
    auto finish = [r] {
      std::sort(r->elapsed.begin(), r->elapsed.end());
      r->respond(
          http_response::json(200, {{"requests", r->elapsed.size()},
                                    {"ok", r->ok},
                                    {"wall_ms", std::chrono::duration<double, std::milli>(
                                                    std::chrono::steady_clock::now() - r->started)
                                                    .count()},
                                    {"elapsed_ms", r->elapsed}}));
    };
    // One session's request `i`, then its next; the last session to end answers.
    auto step = std::make_shared<std::function<void(std::size_t, std::size_t)>>();
    *step = [ctx, target, r, sessions, finish, weak = std::weak_ptr(step)](std::size_t k,
                                                                           std::size_t i) {
      const auto& session = (*sessions)[k];
      if (!session.is_array() || i >= session.size() || !session[i].is_object()) {
        std::lock_guard<std::mutex> lock{r->mutex};
        if (--r->open == 0) finish();
        return;
      }
      // The calls in flight hold the step function; it holds itself only weakly.
      exchange(ctx, target, session[i], [r, k, i, next = weak.lock()](json out) {
        {
          std::lock_guard<std::mutex> lock{r->mutex};
          r->elapsed.push_back(out.value("elapsed_ms", 0.0));
          if (out.value("status", 0) == 200 && !out.contains("error")) ++r->ok;
        }
        if (next) (*next)(k, i + 1);
      });
    };
    r->open = sessions->size();
    if (sessions->empty()) return finish();
    for (std::size_t k = 0; k < sessions->size(); ++k) (*step)(k, 0);
  });

  // Control: the rules Meta's validation adds; the flows; a status change on command
  // (BLOCKED, THROTTLED, or back to PUBLISHED), announced with the webhook.
  routes.add("PUT", "/control/flows/validation", [ctx](http_request&& req, responder respond) {
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.value("rules", json()).is_array())
      return respond(http_response::json(400, {{"error", "{\"rules\": [...]} is required"}}));
    ctx.state.set_flow_validation(body);
    respond(http_response::json(200, body));
  });
  routes.add("GET", "/control/flows", [ctx](http_request&&, responder respond) {
    json all = json::array();
    std::set<std::string> seen;
    for (const auto& n : ctx.state.numbers())
      if (seen.insert(n.waba_id).second)
        for (auto& f : ctx.state.flows(n.waba_id)) all.push_back(std::move(f));
    respond(http_response::json(200, {{"flows", all}}));
  });
  routes.add("POST", "/control/flows/{id}/status", [ctx](http_request&& req, responder respond) {
    auto body = json::parse(req.body, nullptr, false);
    auto id = std::string{req.param("id")};
    if (!body.is_object() || !body.value("status", json()).is_string())
      return respond(http_response::json(400, {{"error", "'status' is required"}}));
    if (!ctx.state.find_flow(id))
      return respond(http_response::json(404, {{"error", "no such flow"}}));
    change_status(ctx, id, body["status"]);
    respond(http_response::json(200, *ctx.state.find_flow(id)));
  });
}

}  // namespace paige::metasim
