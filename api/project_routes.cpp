#include "api/project_routes.hpp"

#include "actors/project_types.hpp"
#include "api/actor_call.hpp"
#include "api/api_errors.hpp"
#include "api/auth.hpp"
#include "api/json_body.hpp"
#include "api/route_guard.hpp"
#include "api/whatsapp_ids.hpp"
#include "common/secrets.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <optional>

namespace paige::api {
namespace {

using json = nlohmann::json;
using actors::project_info;

constexpr int default_page = 50;
constexpr int max_page = 200;

}  // namespace

nlohmann::json project_json(const project_info& p) {
  return {{"id", p.id},
          {"name", p.name},
          {"status", p.status},
          {"status_detail", p.status_detail.empty() ? json(nullptr) : json(p.status_detail)},
          {"created_at", p.created_at},
          {"updated_at", p.updated_at},
          {"whatsapp", p.whatsapp_json.empty() ? json(nullptr) : json::parse(p.whatsapp_json)},
          {"settings", json::parse(p.settings_json)}};
}

namespace {

json key_json(const actors::key_info& k) {
  json out{{"id", k.id}, {"name", k.name}, {"prefix", k.prefix}, {"created_at", k.created_at}};
  if (!k.key.empty()) out["key"] = k.key;
  return out;
}

auto reply_project(responder respond, unsigned status) {
  return
      [respond, status](project_info& p) { respond(http_response::json(status, project_json(p))); };
}

}  // namespace

void add_project_routes(router& routes, project_routes_context ctx) {
  auto& sys = *ctx.sys;
  auto dir = ctx.directory;
  auto timeout = ctx.timeout;
  auto depth = ctx.max_json_depth;

  routes.add("POST", "/v1/projects",
             guarded(*ctx.auth, access::admin,
                     [&sys, dir, timeout, depth](http_request&& req, responder respond) {
                       auto parsed = parse_json_object(req.body, depth, {"name", "settings"});
                       if (auto* err = std::get_if<http_response>(&parsed))
                         return respond(std::move(*err));
                       auto& body = std::get<json>(parsed);
                       if (!body.contains("name") || !body["name"].is_string())
                         return respond(http_response::error(
                             api_code::invalid_name, "name is required and must be a string"));
                       auto settings = body.value("settings", json::object());
                       ask(sys, dir, timeout, reply_project(respond, 202), fail_with(respond),
                           actors::create_atom::value, body["name"].get<std::string>(),
                           settings.dump());
                     }));

  routes.add(
      "GET", "/v1/projects",
      guarded(
          *ctx.auth, access::admin, [&sys, dir, timeout](http_request&& req, responder respond) {
            auto limit = parse_limit(req, default_page, max_page);
            if (auto* err = std::get_if<http_response>(&limit)) return respond(std::move(*err));
            auto cursor = cursor_of(req);
            if (auto* err = std::get_if<http_response>(&cursor)) return respond(std::move(*err));
            auto after = std::get<std::int64_t>(cursor);
            ask(
                sys, dir, timeout,
                [respond](actors::project_page& page) {
                  json items = json::array();
                  for (const auto& p : page.items) items.push_back(project_json(p));
                  respond(http_response::json(
                      200, {{"items", items},
                            {"next_cursor", page.next_after ? json(encode_cursor(page.next_after))
                                                            : json(nullptr)}}));
                },
                fail_with(respond), actors::list_atom::value, after, std::get<int>(limit));
          }));

  routes.add("GET", "/v1/projects/{project_id}",
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout](http_request&& req, responder respond) {
                       ask(sys, dir, timeout, reply_project(respond, 200), fail_with(respond),
                           caf::get_atom::value, std::string{req.param("project_id")});
                     }));

  routes.add("PATCH", "/v1/projects/{project_id}",
             guarded(*ctx.auth, access::admin,
                     [&sys, dir, timeout, depth](http_request&& req, responder respond) {
                       auto parsed = parse_json_object(req.body, depth, {"name", "settings"});
                       if (auto* err = std::get_if<http_response>(&parsed))
                         return respond(std::move(*err));
                       auto& body = std::get<json>(parsed);
                       actors::project_patch patch;
                       if (body.contains("name")) {
                         if (!body["name"].is_string())
                           return respond(http_response::error(api_code::invalid_name,
                                                               "name must be a string"));
                         patch.has_name = true;
                         patch.name = body["name"].get<std::string>();
                       }
                       if (body.contains("settings")) {
                         patch.has_settings = true;
                         patch.settings_patch_json = body["settings"].dump();
                       }
                       if (!patch.has_name && !patch.has_settings)
                         return respond(http_response::error(
                             api_code::empty_patch, "give name and/or settings to change"));
                       ask(sys, dir, timeout, reply_project(respond, 200), fail_with(respond),
                           caf::update_atom::value, std::string{req.param("project_id")},
                           std::move(patch));
                     }));

  auto lifecycle = [&](const char* method, const char* path, auto atom, unsigned status) {
    routes.add(method, path,
               guarded(*ctx.auth, access::admin,
                       [&sys, dir, timeout, atom, status](http_request&& req, responder respond) {
                         ask(sys, dir, timeout, reply_project(respond, status), fail_with(respond),
                             atom, std::string{req.param("project_id")});
                       }));
  };
  lifecycle("POST", "/v1/projects/{project_id}/pause", actors::pause_atom::value, 200);
  lifecycle("POST", "/v1/projects/{project_id}/resume", actors::resume_atom::value, 200);
  lifecycle("DELETE", "/v1/projects/{project_id}", actors::remove_atom::value, 202);

  routes.add(
      "PUT", "/v1/projects/{project_id}/whatsapp",
      guarded(*ctx.auth, access::admin,
              [&sys, dir, timeout, depth](http_request&& req, responder respond) {
                auto parsed = parse_json_object(
                    req.body, depth, {"phone_number_id", "waba_id", "access_token", "pin"});
                if (auto* err = std::get_if<http_response>(&parsed))
                  return respond(std::move(*err));
                auto& body = std::get<json>(parsed);
                auto number = meta_id(body, "phone_number_id");
                if (!number)
                  return respond(http_response::error(api_code::invalid_phone_number_id,
                                                      "phone_number_id must be Meta's numeric id"));
                auto waba = meta_id(body, "waba_id");
                if (!waba)
                  return respond(http_response::error(api_code::invalid_waba_id,
                                                      "waba_id must be Meta's numeric id"));
                auto token = body.value("access_token", json()).is_string()
                                 ? body["access_token"].get<std::string>()
                                 : "";
                bool printable = !token.empty() && token.size() <= 4096 &&
                                 std::all_of(token.begin(), token.end(),
                                             [](unsigned char c) { return c > 0x20 && c < 0x7f; });
                if (!printable)
                  return respond(http_response::error(
                      api_code::invalid_access_token,
                      "access_token must be a non-empty token without spaces"));
                std::string pin;
                if (body.contains("pin")) {
                  pin = body["pin"].is_string() ? body["pin"].get<std::string>() : "";
                  if (pin.size() != 6 || pin.find_first_not_of("0123456789") != std::string::npos)
                    return respond(
                        http_response::error(api_code::invalid_pin, "pin must be 6 digits"));
                } else {
                  pin = new_pin();
                }
                ask(sys, dir, timeout, reply_project(respond, 200), fail_with(respond),
                    actors::connect_atom::value, std::string{req.param("project_id")}, *number,
                    *waba, token, pin);
              }));

  routes.add("POST", "/v1/projects/{project_id}/keys",
             guarded(*ctx.auth, access::admin,
                     [&sys, dir, timeout, depth](http_request&& req, responder respond) {
                       auto parsed = parse_json_object(req.body, depth, {"name"});
                       if (auto* err = std::get_if<http_response>(&parsed))
                         return respond(std::move(*err));
                       auto& body = std::get<json>(parsed);
                       if (!body.contains("name") || !body["name"].is_string())
                         return respond(http_response::error(
                             api_code::invalid_name, "name is required and must be a string"));
                       ask(
                           sys, dir, timeout,
                           [respond](actors::key_info& k) {
                             respond(http_response::json(201, key_json(k)));
                           },
                           fail_with(respond), actors::key_create_atom::value,
                           std::string{req.param("project_id")}, body["name"].get<std::string>());
                     }));

  routes.add("GET", "/v1/projects/{project_id}/keys",
             guarded(*ctx.auth, access::admin,
                     [&sys, dir, timeout](http_request&& req, responder respond) {
                       ask(
                           sys, dir, timeout,
                           [respond](std::vector<actors::key_info>& keys) {
                             json items = json::array();
                             for (const auto& k : keys) items.push_back(key_json(k));
                             respond(http_response::json(200, {{"items", items}}));
                           },
                           fail_with(respond), actors::key_list_atom::value,
                           std::string{req.param("project_id")});
                     }));

  routes.add("DELETE", "/v1/projects/{project_id}/keys/{key_id}",
             guarded(*ctx.auth, access::admin,
                     [&sys, dir, timeout](http_request&& req, responder respond) {
                       ask(sys, dir, timeout, no_content_reply(respond), fail_with(respond),
                           actors::key_revoke_atom::value, std::string{req.param("project_id")},
                           std::string{req.param("key_id")});
                     }));
}

}  // namespace paige::api
