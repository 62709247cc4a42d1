#include "api/secret_routes.hpp"

#include "actors/project_types.hpp"
#include "api/actor_call.hpp"
#include "api/api_errors.hpp"
#include "api/json_body.hpp"
#include "api/route_guard.hpp"

#include <nlohmann/json.hpp>

namespace paige::api {

using json = nlohmann::json;

void add_secret_routes(router& routes, project_routes_context ctx) {
  auto& sys = *ctx.sys;
  auto dir = ctx.directory;
  auto timeout = ctx.timeout;
  auto depth = ctx.max_json_depth;

  routes.add("GET", "/v1/projects/{project_id}/secrets",
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout](http_request&& req, responder respond) {
                       ask(sys, dir, timeout, json_text_reply(respond), fail_with(respond),
                           actors::secret_list_atom::value, std::string{req.param("project_id")});
                     }));

  routes.add("PUT", "/v1/projects/{project_id}/secrets/{name}",
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout, depth](http_request&& req, responder respond) {
                       auto parsed = parse_json_object(req.body, depth, {"value"});
                       if (auto* err = std::get_if<http_response>(&parsed))
                         return respond(std::move(*err));
                       const auto& value = std::get<json>(parsed)["value"];
                       if (!value.is_string())
                         return respond(http_response::error(api_code::invalid_secret_value,
                                                             "value must be a string"));
                       ask(
                           sys, dir, timeout,
                           [respond](std::string& secret, bool created) {
                             json_text_reply(respond, created ? 201 : 200)(secret);
                           },
                           fail_with(respond), actors::secret_put_atom::value,
                           std::string{req.param("project_id")}, std::string{req.param("name")},
                           value.get<std::string>());
                     }));

  routes.add("DELETE", "/v1/projects/{project_id}/secrets/{name}",
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout](http_request&& req, responder respond) {
                       ask(sys, dir, timeout, no_content_reply(respond), fail_with(respond),
                           actors::secret_delete_atom::value, std::string{req.param("project_id")},
                           std::string{req.param("name")});
                     }));
}

}  // namespace paige::api
