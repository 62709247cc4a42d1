// Meta's embedded signup as the simulator plays it (spec/meta-cloud-api.md §10): the dialog,
// the single-use code and its exchange for a business token, debug_token's granular scopes;
// each step can be made to refuse through /control/signup.
#include "bench/metasim/routes.hpp"

#include "common/json_text.hpp"

namespace paige::metasim {
namespace {

using api::http_request;
using api::http_response;
using api::responder;

/// `s` as a JavaScript string literal inside a <script> element: JSON, with '<' escaped so no
/// value can close the element.
std::string script_string(const std::string& s) {
  std::string out;
  json_text::append_string(out, s);
  std::string safe;
  for (char c : out) safe += c == '<' ? std::string{"\\u003c"} : std::string(1, c);
  return safe;
}

/// The number a signup hands over: the configured one, else the first.
std::optional<number> signup_number(const sim_context& ctx) {
  auto id = ctx.state.signup_config().value("phone_number_id", "");
  return ctx.state.find_number(id);
}

}  // namespace

void add_signup_routes(api::router& routes, sim_context ctx) {
  // {"phone_number_id", "refuse"?: null | "exchange" | "scope" | "register"}.
  routes.add("PUT", "/control/signup", [ctx](http_request&& req, responder respond) {
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("phone_number_id") ||
        !ctx.state.find_number(body.value("phone_number_id", "")))
      return respond(http_response::foreign_error(
          400, "bad_body", "give {\"phone_number_id\" (a number created first), \"refuse\"?}"));
    ctx.state.set_signup_config(body);
    respond(http_response::json(200, body));
  });
  // What the dialog would hand the browser, without a browser: {"code", "waba_id",
  // "phone_number_id"}.
  routes.add("POST", "/control/signup/code", [ctx](http_request&&, responder respond) {
    auto n = signup_number(ctx);
    if (!n)
      return respond(
          http_response::foreign_error(409, "no_signup_number", "PUT /control/signup first"));
    respond(http_response::json(200, {{"code", ctx.state.issue_code(n->phone_number_id)},
                                      {"waba_id", n->waba_id},
                                      {"phone_number_id", n->phone_number_id}}));
  });

  // The dialog: a page that, on "Continue", posts the session info to the window that opened
  // it (as Meta's does, a JSON string) and goes to redirect_uri with the code and the state.
  routes.add("GET", "/{version}/dialog/oauth", [ctx](http_request&& req, responder respond) {
    auto n = signup_number(ctx);
    auto redirect = std::string{req.query_param("redirect_uri").value_or("")};
    if (!n || redirect.empty())
      return respond(http_response::foreign_error(
          400, "bad_request", "a signup number (PUT /control/signup) and a redirect_uri"));
    auto code = ctx.state.issue_code(n->phone_number_id);
    auto state = std::string{req.query_param("state").value_or("")};
    json session{{"type", "WA_EMBEDDED_SIGNUP"},
                 {"event", "FINISH"},
                 {"data", {{"phone_number_id", n->phone_number_id}, {"waba_id", n->waba_id}}}};
    http_response page;
    page.content_type = "text/html; charset=utf-8";
    page.body =
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>Simulated Meta signup</title></head><body>"
        "<h1>Simulated embedded signup</h1><p>Share a WhatsApp number with the app.</p>"
        "<button id=\"go\" type=\"button\">Continue</button><script>"
        "document.getElementById('go').onclick = function () {"
        "  if (window.opener) window.opener.postMessage(" +
        script_string(session.dump()) +
        ", '*');"
        "  var to = new URL(" +
        script_string(redirect) +
        ");"
        "  to.searchParams.set('code', " +
        script_string(code) +
        ");"
        "  to.searchParams.set('state', " +
        script_string(state) +
        ");"
        "  location.href = to.toString();"
        "};</script></body></html>";
    respond(std::move(page));
  });

  routes.add("GET", "/{version}/oauth/access_token", [ctx](http_request&& req, responder respond) {
    auto secret = std::string{req.query_param("client_secret").value_or("")};
    auto client = std::string{req.query_param("client_id").value_or("")};
    if (secret != ctx.app_secret || client.empty() || (!ctx.app_id.empty() && client != ctx.app_id))
      return respond(graph_error(101, "Error validating client secret."));
    if (ctx.state.signup_config().value("refuse", "") == "exchange")
      return respond(graph_error(100, "Invalid verification code format."));
    auto number_id = ctx.state.redeem_code(std::string{req.query_param("code").value_or("")});
    auto n = number_id ? ctx.state.find_number(*number_id) : std::nullopt;
    if (!n) return respond(graph_error(100, "This authorization code has been used."));
    ctx.state.count("codes_exchanged");
    // The business token: the number's own, so the Graph calls that follow are allowed.
    respond(
        http_response::json(200, {{"access_token", n->access_token}, {"token_type", "bearer"}}));
  });

  routes.add("GET", "/{version}/debug_token", [ctx](http_request&& req, responder respond) {
    auto token = std::string{req.query_param("input_token").value_or("")};
    auto app = "Bearer " + ctx.app_id + "|" + ctx.app_secret;
    if (req.header("authorization").value_or("") != app && !ctx.app_id.empty())
      return respond(graph_error(190, "Invalid OAuth access token - Cannot parse access token"));
    auto n = signup_number(ctx);
    if (!n || n->access_token != token)
      return respond(http_response::json(200, {{"data", {{"is_valid", false}}}}));
    json scopes = json::array();
    scopes.push_back({{"scope", "whatsapp_business_management"}, {"target_ids", {n->waba_id}}});
    if (ctx.state.signup_config().value("refuse", "") != "scope")
      scopes.push_back({{"scope", "whatsapp_business_messaging"}, {"target_ids", {n->waba_id}}});
    respond(http_response::json(200, {{"data",
                                       {{"is_valid", true},
                                        {"app_id", ctx.app_id},
                                        {"type", "SYSTEM_USER"},
                                        {"granular_scopes", scopes}}}}));
  });
}

}  // namespace paige::metasim
