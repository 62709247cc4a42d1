#include "api/account_routes.hpp"

#include "actors/core/number_health.hpp"
#include "actors/project_types.hpp"
#include "api/actor_call.hpp"
#include "api/json_body.hpp"
#include "api/route_guard.hpp"
#include "api/whatsapp_ids.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace paige::api {
namespace {

using json = nlohmann::json;

constexpr int default_page = 50;
constexpr int max_page = 200;

/// Webhook field names are lower-case words joined by '_'.
bool field_name(std::string_view s) {
  return !s.empty() && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

}  // namespace

void add_account_routes(router& routes, project_routes_context ctx) {
  auto& sys = *ctx.sys;
  auto dir = ctx.directory;
  auto timeout = ctx.timeout;
  auto depth = ctx.max_json_depth;

  routes.add("GET", "/v1/projects/{project_id}/whatsapp/events",
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout](http_request&& req, responder respond) {
                       auto limit = parse_limit(req, default_page, max_page);
                       if (auto* err = std::get_if<http_response>(&limit))
                         return respond(std::move(*err));
                       auto field = std::string{req.query_param("field").value_or("")};
                       if (req.query_param("field") && !field_name(field))
                         return respond(http_response::error(
                             api_code::invalid_field,
                             "field is a webhook field name such as account_update"));
                       auto cursor = cursor_of(req);
                       if (auto* err = std::get_if<http_response>(&cursor))
                         return respond(std::move(*err));
                       auto before = std::get<std::int64_t>(cursor);
                       auto n = std::get<int>(limit);
                       ask(
                           sys, dir, timeout,
                           [respond, n](std::string& items_json) {
                             respond(page_response(items_json, n, "id"));
                           },
                           fail_with(respond), actors::account_events_atom::value,
                           std::string{req.param("project_id")}, field, before, n);
                     }));

  // What Meta's signup dialog handed the browser; the signup's steps run before the answer
  // (longer than other requests: several calls to Meta), and are shown on the project as
  // they go (whatsapp.signup).
  routes.add(
      "POST", "/v1/projects/{project_id}/whatsapp/signup",
      guarded(
          *ctx.auth, access::admin,
          [&sys, dir, timeout, depth](http_request&& req, responder respond) {
            auto parsed = parse_json_object(req.body, depth,
                                            {"code", "waba_id", "phone_number_id", "redirect_uri"});
            if (auto* err = std::get_if<http_response>(&parsed)) return respond(std::move(*err));
            const auto& body = std::get<json>(parsed);
            const auto code = body.value("code", json()).is_string()
                                  ? body["code"].get<std::string>()
                                  : std::string{};
            bool printable = !code.empty() && code.size() <= 2048 &&
                             std::all_of(code.begin(), code.end(),
                                         [](unsigned char c) { return c > 0x20 && c < 0x7f; });
            if (!printable)
              return respond(http_response::error(
                  api_code::invalid_code, "code is the signup dialog's code (text, no spaces)"));
            auto waba = meta_id(body, "waba_id");
            if (!waba)
              return respond(http_response::error(api_code::invalid_waba_id,
                                                  "waba_id must be Meta's numeric id"));
            auto number = meta_id(body, "phone_number_id");
            if (!number)
              return respond(http_response::error(api_code::invalid_phone_number_id,
                                                  "phone_number_id must be Meta's numeric id"));
            std::string redirect;
            if (body.contains("redirect_uri")) {
              redirect =
                  body["redirect_uri"].is_string() ? body["redirect_uri"].get<std::string>() : "";
              if ((redirect.rfind("https://", 0) != 0 && redirect.rfind("http://", 0) != 0) ||
                  redirect.size() > 2048)
                return respond(http_response::error(
                    api_code::invalid_body, "redirect_uri must be the dialog's http(s) URL"));
            }
            ask(
                sys, dir, timeout * 4,
                [respond](actors::project_info& p) {
                  respond(http_response::json(200, project_json(p)));
                },
                fail_with(respond), actors::signup_atom::value,
                std::string{req.param("project_id")}, code, *waba, *number, new_pin(),
                std::move(redirect));
          }));

  routes.add(
      "POST", "/v1/projects/{project_id}/whatsapp/display-name",
      guarded(*ctx.auth, access::own_project,
              [&sys, dir, timeout, depth](http_request&& req, responder respond) {
                auto parsed = parse_json_object(req.body, depth, {"name"});
                if (auto* err = std::get_if<http_response>(&parsed))
                  return respond(std::move(*err));
                const auto& body = std::get<json>(parsed);
                if (!body.contains("name") || !body["name"].is_string())
                  return respond(http_response::error(api_code::invalid_display_name,
                                                      "name is required and is text"));
                auto name = body["name"].get<std::string>();
                if (auto problem = actors::health::display_name_problem(name); !problem.empty())
                  return respond(http_response::error(api_code::invalid_display_name, problem));
                ask(
                    sys, dir, timeout,
                    [respond](std::string& whatsapp_json) {
                      http_response r;
                      r.body = std::move(whatsapp_json);
                      respond(std::move(r));
                    },
                    fail_with(respond), actors::display_name_atom::value,
                    std::string{req.param("project_id")}, std::move(name));
              }));
}

}  // namespace paige::api
