#include "api/flow_routes.hpp"

#include "actors/core/flow_rules.hpp"
#include "actors/project_types.hpp"
#include "api/actor_call.hpp"
#include "api/api_errors.hpp"
#include "api/json_body.hpp"
#include "api/route_guard.hpp"
#include "storage/conversation_queries.hpp"

namespace paige::api {
namespace {

using json = nlohmann::json;

constexpr int default_page = 50;
constexpr int max_page = 200;
constexpr std::size_t max_name_bytes = 800;  // 200 characters of up to 4 bytes

/// A name from a path a flow can have (anything else names none).
bool flow_name(std::string_view name) {
  return name.size() <= max_name_bytes && actors::flows::path_safe_name(std::string{name});
}

http_response not_found(std::string_view name) {
  return http_response::error(api_code::flow_not_found, "no flow '" + std::string{name} + "'");
}

}  // namespace

void add_flow_routes(router& routes, project_routes_context ctx) {
  auto& sys = *ctx.sys;
  auto dir = ctx.directory;
  auto timeout = ctx.timeout;
  auto depth = ctx.max_json_depth;
  const std::string base = "/v1/projects/{project_id}/flows";
  const std::string one = base + "/{name}";

  routes.add("POST", base,
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout, depth](http_request&& req, responder respond) {
                       auto parsed = parse_json_object(req.body, depth,
                                                       {"name", "categories", "flow_json",
                                                        "endpoint_uri", "answers", "data_sources"});
                       if (auto* err = std::get_if<http_response>(&parsed))
                         return respond(std::move(*err));
                       auto f = std::get<json>(std::move(parsed));
                       auto problems = actors::flows::check_flow(f, false);
                       if (!problems.empty())
                         return respond(problems_response(api_code::invalid_flow, problems));
                       ask(sys, dir, timeout * 4, json_text_reply(respond, 201), fail_with(respond),
                           actors::flow_create_atom::value, std::string{req.param("project_id")},
                           f.dump());
                     }));

  routes.add(
      "GET", base,
      guarded(*ctx.auth, access::own_project,
              [&sys, dir, timeout](http_request&& req, responder respond) {
                auto limit = parse_limit(req, default_page, max_page);
                if (auto* err = std::get_if<http_response>(&limit)) return respond(std::move(*err));
                auto status = std::string{req.query_param("status").value_or("")};
                if (status.size() > 32 ||
                    status.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != std::string::npos)
                  return respond(http_response::error(api_code::invalid_argument,
                                                      "status is a status such as PUBLISHED"));
                auto after = std::string{req.query_param("cursor").value_or("")};
                if (req.query_param("cursor") && !flow_name(after))
                  return respond(http_response::error(api_code::invalid_cursor,
                                                      "the cursor is not one this API issued"));
                ask(
                    sys, dir, timeout,
                    [respond](std::string& page_json) {
                      auto page = json::parse(page_json);
                      respond(http_response::json(200, {{"items", std::move(page["items"])},
                                                        {"next_cursor", page["next"]}}));
                    },
                    fail_with(respond), actors::flow_list_atom::value,
                    std::string{req.param("project_id")}, status, after, std::get<int>(limit));
              }));

  // One flow by name: the actor's answer as it is, or 404 for a name no flow can have.
  auto by_name = [&sys, dir, timeout](auto atom, int slowness, unsigned status) {
    return [&sys, dir, timeout, atom, slowness, status](http_request&& req, responder respond) {
      auto name = req.param("name");
      if (!flow_name(name)) return respond(not_found(name));
      ask(sys, dir, timeout * slowness, json_text_reply(respond, status), fail_with(respond), atom,
          std::string{req.param("project_id")}, std::string{name});
    };
  };
  routes.add(
      "GET", one,
      guarded(*ctx.auth, access::own_project, by_name(actors::flow_get_atom::value, 1, 200)));
  routes.add(
      "DELETE", one,
      guarded(*ctx.auth, access::own_project, by_name(actors::flow_delete_atom::value, 4, 200)));
  routes.add(
      "POST", one + "/publish",
      guarded(*ctx.auth, access::own_project, by_name(actors::flow_publish_atom::value, 4, 200)));
  routes.add(
      "POST", one + "/deprecate",
      guarded(*ctx.auth, access::own_project, by_name(actors::flow_deprecate_atom::value, 4, 200)));
  routes.add(
      "GET", one + "/preview",
      guarded(*ctx.auth, access::own_project, by_name(actors::flow_preview_atom::value, 4, 200)));

  // The answers come from the project's database (flow_answers), newest first.
  routes.add(
      "GET", one + "/answers",
      guarded(
          *ctx.auth, access::own_project,
          [&sys, dir, timeout](http_request&& req, responder respond) {
            auto name = req.param("name");
            if (!flow_name(name)) return respond(not_found(name));
            auto limit = parse_limit(req, default_page, max_page);
            if (auto* err = std::get_if<http_response>(&limit)) return respond(std::move(*err));
            auto cursor = cursor_of(req);
            if (auto* err = std::get_if<http_response>(&cursor)) return respond(std::move(*err));
            ask(
                sys, dir, timeout,
                [respond](storage::read_result& r) {
                  respond(http_response::json(
                      200, {{"items", json::parse(r.json)},
                            {"next_cursor",
                             r.next_before ? json(encode_cursor(r.next_before)) : json(nullptr)}}));
                },
                fail_with(respond), actors::query_atom::value, std::string{req.param("project_id")},
                storage::project_read{storage::flow_answers_read{
                    std::string{name}, {std::get<int>(limit), std::get<std::int64_t>(cursor)}}});
          }));

  // The number's key pair for the flows' data-exchange endpoint: read, or made anew.
  routes.add("GET", "/v1/projects/{project_id}/whatsapp/flows-key",
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout](http_request&& req, responder respond) {
                       ask(sys, dir, timeout * 4, json_text_reply(respond), fail_with(respond),
                           actors::flow_key_atom::value, std::string{req.param("project_id")});
                     }));
  routes.add("PUT", "/v1/projects/{project_id}/whatsapp/flows-key",
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout](http_request&& req, responder respond) {
                       ask(sys, dir, timeout * 4, json_text_reply(respond), fail_with(respond),
                           actors::flow_key_atom::value, std::string{req.param("project_id")},
                           true);
                     }));

  routes.add(
      "PATCH", one,
      guarded(
          *ctx.auth, access::own_project,
          [&sys, dir, timeout, depth](http_request&& req, responder respond) {
            auto name = std::string{req.param("name")};
            if (!flow_name(name)) return respond(not_found(name));
            auto parsed = parse_json_object(
                req.body, depth,
                {"name", "categories", "flow_json", "endpoint_uri", "answers", "data_sources"});
            if (auto* err = std::get_if<http_response>(&parsed)) return respond(std::move(*err));
            auto patch = std::get<json>(std::move(parsed));
            if (patch.empty())
              return respond(http_response::error(
                  api_code::empty_patch,
                  "name the name, categories, flow_json, endpoint_uri and/or answers to change"));
            auto problems = actors::flows::check_flow(patch, true);
            if (!problems.empty())
              return respond(problems_response(api_code::invalid_flow, problems));
            ask(sys, dir, timeout * 4, json_text_reply(respond), fail_with(respond),
                actors::flow_edit_atom::value, std::string{req.param("project_id")}, name,
                patch.dump());
          }));
}

}  // namespace paige::api
