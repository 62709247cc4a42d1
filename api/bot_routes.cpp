#include "api/bot_routes.hpp"

#include "actors/bot_runner.hpp"
#include "actors/core/bot_definition.hpp"
#include "actors/project_types.hpp"
#include "api/actor_call.hpp"
#include "api/api_errors.hpp"
#include "api/json_body.hpp"
#include "api/route_guard.hpp"
#include "storage/project_schema.hpp"

#include <nlohmann/json.hpp>

namespace paige::api {
namespace {

using json = nlohmann::json;

json bot_json(const actors::bot_info& b) {
  json out{{"version", b.version},
           {"definition", json::parse(b.definition_json)},
           {"created_at", b.created_at}};
  // Made by this request for the project's first code bot: shown this once.
  if (!b.secret.empty()) out["secret"] = b.secret;
  return out;
}

auto reply_bot(responder respond, unsigned status) {
  return
      [respond, status](actors::bot_info& b) { respond(http_response::json(status, bot_json(b))); };
}

}  // namespace

void add_bot_routes(router& routes, project_routes_context ctx) {
  auto& sys = *ctx.sys;
  auto dir = ctx.directory;
  auto timeout = ctx.timeout;
  auto depth = ctx.max_json_depth;
  auto code_bots = ctx.code_bots;

  routes.add("GET", "/v1/projects/{project_id}/bot",
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout](http_request&& req, responder respond) {
                       ask(sys, dir, timeout, reply_bot(respond, 200), fail_with(respond),
                           actors::bot_get_atom::value, std::string{req.param("project_id")});
                     }));

  routes.add("GET", "/v1/projects/{project_id}/bot/versions",
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout](http_request&& req, responder respond) {
                       ask(
                           sys, dir, timeout,
                           [respond](std::vector<actors::bot_info>& versions) {
                             json items = json::array();
                             for (const auto& b : versions) items.push_back(bot_json(b));
                             respond(http_response::json(200, {{"items", items}}));
                           },
                           fail_with(respond), actors::bot_versions_atom::value,
                           std::string{req.param("project_id")});
                     }));

  routes.add("PUT", "/v1/projects/{project_id}/bot",
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout, depth, code_bots](http_request&& req, responder respond) {
                       auto parsed = parse_json(req.body, depth);
                       if (auto* err = std::get_if<http_response>(&parsed))
                         return respond(std::move(*err));
                       const auto& doc = std::get<json>(parsed);
                       const auto& system = storage::system_table_names();
                       auto compiled =
                           actors::bot::compile(doc, {system.begin(), system.end()},
                                                actors::bot::compile_mode::submitted, code_bots);
                       if (auto* problems = std::get_if<std::vector<actors::problem>>(&compiled)) {
                         return respond(http_response::error(
                             api_code::invalid_bot,
                             "the bot definition has " + std::to_string(problems->size()) +
                                 " problem(s); the current version stays",
                             {{"problems", problems_json(*problems)}}));
                       }
                       // A hosted bot is installed and started before it is stored.
                       auto wait = actors::member_of(doc, "kind") == "code"
                                       ? std::chrono::duration_cast<std::chrono::milliseconds>(
                                             actors::hosted_deploy_wait + std::chrono::minutes{1})
                                       : timeout;
                       ask(sys, dir, wait, reply_bot(respond, 201), fail_with(respond),
                           actors::bot_put_atom::value, std::string{req.param("project_id")},
                           doc.dump());
                     }));

  routes.add("GET", "/v1/projects/{project_id}/bot/runtime",
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout](http_request&& req, responder respond) {
                       ask(
                           sys, dir, timeout,
                           [respond](std::string& view) {
                             respond(http_response::json(200, json::parse(view)));
                           },
                           fail_with(respond), actors::bot_runtime_atom::value,
                           std::string{req.param("project_id")});
                     }));
  routes.add("POST", "/v1/projects/{project_id}/bot/secret",
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout](http_request&& req, responder respond) {
                       ask(
                           sys, dir, timeout,
                           [respond](std::string& secret) {
                             respond(http_response::json(200, {{"secret", secret}}));
                           },
                           fail_with(respond), actors::bot_secret_atom::value,
                           std::string{req.param("project_id")});
                     }));
}

}  // namespace paige::api
