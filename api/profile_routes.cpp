#include "api/profile_routes.hpp"

#include "actors/core/business_profile.hpp"
#include "actors/core/profile_photo.hpp"
#include "actors/project_types.hpp"
#include "api/actor_call.hpp"
#include "api/api_errors.hpp"
#include "api/json_body.hpp"
#include "api/route_guard.hpp"

#include <nlohmann/json.hpp>

#include <cctype>

namespace paige::api {
namespace {

using json = nlohmann::json;

auto reply_profile(responder respond) {
  return [respond](std::string& profile_json) {
    http_response r;
    r.body = std::move(profile_json);  // compact JSON from the account actor
    respond(std::move(r));
  };
}

}  // namespace

void add_photo_route(router& routes, const project_routes_context& ctx);

void add_profile_routes(router& routes, project_routes_context ctx) {
  add_photo_route(routes, ctx);
  auto& sys = *ctx.sys;
  auto dir = ctx.directory;
  auto timeout = ctx.timeout;
  auto depth = ctx.max_json_depth;
  const std::string path = "/v1/projects/{project_id}/whatsapp/profile";

  routes.add("GET", path,
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout](http_request&& req, responder respond) {
                       ask(sys, dir, timeout, reply_profile(respond), fail_with(respond),
                           actors::profile_get_atom::value, std::string{req.param("project_id")});
                     }));

  routes.add("PATCH", path,
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout, depth](http_request&& req, responder respond) {
                       auto parsed = parse_json(req.body, depth);
                       if (auto* err = std::get_if<http_response>(&parsed))
                         return respond(std::move(*err));
                       const auto& patch = std::get<json>(parsed);
                       auto problems = actors::profile::check_patch(patch);
                       if (!problems.empty()) {
                         // The first problem's field, for a form to show the error at.
                         auto field = problems.front().pointer.substr(
                             problems.front().pointer.empty() ? 0 : 1);
                         field = field.substr(0, field.find('/'));
                         return respond(http_response::error(
                             api_code::invalid_profile, problems.front().message,
                             {{"field", field}, {"problems", problems_json(problems)}}));
                       }
                       ask(sys, dir, timeout, reply_profile(respond), fail_with(respond),
                           actors::profile_set_atom::value, std::string{req.param("project_id")},
                           patch.dump());
                     }));
}

void add_photo_route(router& routes, const project_routes_context& ctx) {
  auto& sys = *ctx.sys;
  auto dir = ctx.directory;
  auto timeout = ctx.timeout;
  // The body is the image itself; its type is read from its bytes and must agree with the
  // Content-Type the client sent.
  routes.add("PUT", "/v1/projects/{project_id}/whatsapp/profile/photo",
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout](http_request&& req, responder respond) {
                       auto checked = actors::photo::check(req.body);
                       if (auto* why = std::get_if<std::string>(&checked))
                         return respond(http_response::error(api_code::invalid_photo, *why));
                       const auto& image = std::get<actors::photo::image>(checked);
                       auto declared = std::string{req.header("content-type").value_or("")};
                       declared = declared.substr(0, declared.find(';'));
                       while (!declared.empty() && declared.back() == ' ') declared.pop_back();
                       for (auto& c : declared)
                         c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                       if (declared != image.mime)
                         return respond(http_response::error(
                             api_code::invalid_photo,
                             "the photo is " + image.mime + " but was sent as '" + declared + "'"));
                       ask(sys, dir, timeout * 4, reply_profile(respond), fail_with(respond),
                           actors::photo_atom::value, std::string{req.param("project_id")},
                           std::move(req.body), image.mime);
                     }));
}

}  // namespace paige::api
