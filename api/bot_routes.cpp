#include "api/bot_routes.hpp"

#include "actors/bot_runner.hpp"
#include "actors/core/bot_definition.hpp"
#include "actors/core/bot_log_filter.hpp"
#include "actors/core/bot_preview.hpp"
#include "actors/core/code_files.hpp"
#include "actors/project_preview.hpp"
#include "actors/project_types.hpp"
#include "api/actor_call.hpp"
#include "api/api_errors.hpp"
#include "api/json_body.hpp"
#include "api/route_guard.hpp"
#include "storage/bots.hpp"
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

/// Checks `doc` as a new bot version and asks the project to save it (a hosted bot is
/// installed and started first, which can take minutes): 201, or 422 with every problem.
void put_definition(caf::actor_system& sys, const caf::actor& dir,
                    std::chrono::milliseconds timeout,
                    const actors::bot::code_target_rules& code_bots, const std::string& project,
                    const json& doc, responder respond) {
  const auto& system = storage::system_table_names();
  auto compiled = actors::bot::compile(doc, {system.begin(), system.end()},
                                       actors::bot::compile_mode::submitted, code_bots);
  if (auto* problems = std::get_if<std::vector<actors::problem>>(&compiled)) {
    return respond(http_response::error(api_code::invalid_bot,
                                        "the bot definition has " +
                                            std::to_string(problems->size()) +
                                            " problem(s); the current version stays",
                                        {{"problems", problems_json(*problems)}}));
  }
  auto wait = actors::member_of(doc, "kind") == "code"
                  ? std::chrono::duration_cast<std::chrono::milliseconds>(
                        actors::hosted_deploy_wait + std::chrono::minutes{1})
                  : timeout;
  ask(sys, dir, wait, reply_bot(respond, 201), fail_with(respond), actors::bot_put_atom::value,
      project, doc.dump());
}

/// Asks for the project's kept versions (newest first), then runs `then` with them.
template <class Then>
void with_versions(caf::actor_system& sys, const caf::actor& dir, std::chrono::milliseconds timeout,
                   const std::string& project, const responder& respond, Then then) {
  ask(sys, dir, timeout, std::move(then), fail_with(respond), actors::bot_versions_atom::value,
      project);
}

const actors::bot_info* find_version(const std::vector<actors::bot_info>& versions,
                                     std::optional<std::int64_t> version) {
  if (!version) return nullptr;
  for (const auto& v : versions)
    if (v.version == *version) return &v;
  return nullptr;
}

http_response version_not_found(std::optional<std::int64_t> version) {
  return http_response::error(api_code::bot_version_not_found,
                              (version ? "no kept bot version " + std::to_string(*version)
                                       : std::string{"not a version number"}) +
                                  " (the last " + std::to_string(storage::bot_versions_kept) +
                                  " versions are kept)");
}

/// The longest a preview may run: a hosted version not running yet installs and starts first,
/// and each of its messages may wait for queries, requests or the bot's time box.
constexpr auto preview_wait = std::chrono::duration_cast<std::chrono::milliseconds>(
    actors::hosted_deploy_wait + std::chrono::minutes{3});

/// Asks the project for the preview of `request` against `definition` ("": the current bot).
void ask_preview(caf::actor_system& sys, const caf::actor& dir, const std::string& project,
                 std::string definition, std::int64_t version, actors::bot::preview_request request,
                 responder respond) {
  ask(
      sys, dir, preview_wait,
      [respond](std::string& preview) { respond(http_response::json(200, json::parse(preview))); },
      fail_with(respond), actors::bot_preview_atom::value, project, std::move(definition), version,
      std::move(request));
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
                       put_definition(sys, dir, timeout, code_bots,
                                      std::string{req.param("project_id")}, std::get<json>(parsed),
                                      std::move(respond));
                     }));
  routes.add("POST", "/v1/projects/{project_id}/bot/versions/{version}/restore",
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout, code_bots](http_request&& req, responder respond) {
                       auto version = parse_id(req.param("version"));
                       std::string project{req.param("project_id")};
                       with_versions(sys, dir, timeout, project, respond,
                                     [&sys, dir, timeout, code_bots, project, version,
                                      respond](std::vector<actors::bot_info>& versions) {
                                       auto* kept = find_version(versions, version);
                                       if (!kept) return respond(version_not_found(version));
                                       // Saved again as the newest version, checked (and, for
                                       // a hosted bot, deployed) as any new one.
                                       put_definition(sys, dir, timeout, code_bots, project,
                                                      json::parse(kept->definition_json), respond);
                                     });
                     }));
  routes.add(
      "GET", "/v1/projects/{project_id}/bot/diff",
      guarded(*ctx.auth, access::own_project,
              [&sys, dir, timeout](http_request&& req, responder respond) {
                auto from = parse_id(req.query_param("from").value_or(""));
                auto to_text = req.query_param("to");
                auto to = to_text ? parse_id(*to_text) : std::optional<std::int64_t>{0};
                if (!from || !to)
                  return respond(http_response::error(
                      api_code::invalid_argument,
                      "from (and to, default the current version) are version numbers"));
                with_versions(
                    sys, dir, timeout, std::string{req.param("project_id")}, respond,
                    [respond, from, to](std::vector<actors::bot_info>& versions) {
                      // to=0 or absent: the current version, the newest kept.
                      auto target = *to == 0 && !versions.empty()
                                        ? std::optional<std::int64_t>{versions.front().version}
                                        : to;
                      auto* a = find_version(versions, from);
                      auto* b = find_version(versions, target);
                      if (!a) return respond(version_not_found(from));
                      if (!b) return respond(version_not_found(target));
                      json out{
                          {"from", a->version},
                          {"to", b->version},
                          {"files", actors::bot::diff_versions(json::parse(a->definition_json),
                                                               json::parse(b->definition_json))}};
                      respond(http_response::json(200, out));
                    });
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
  routes.add(
      "GET", "/v1/projects/{project_id}/bot/logs",
      guarded(*ctx.auth, access::own_project,
              [&sys, dir, timeout](http_request&& req, responder respond) {
                actors::bot::log_filter filter;
                if (auto types = req.query_param("type"))
                  if (auto why = actors::bot::read_log_types(std::string{*types}, filter.types))
                    return respond(http_response::error(api_code::invalid_log_type, *why));
                auto limit = parse_limit(req, 200, static_cast<int>(actors::bot::max_log_read));
                if (auto* refused = std::get_if<http_response>(&limit))
                  return respond(std::move(*refused));
                filter.limit = static_cast<std::size_t>(std::get<int>(limit));
                filter.contains = std::string{req.query_param("contains").value_or("")};
                filter.after = std::string{req.query_param("after").value_or("")};
                ask(
                    sys, dir, timeout,
                    [respond, filter](std::string& window) {
                      auto items = actors::bot::filter_log(json::parse(window), filter);
                      json out{{"items", items}};
                      if (!items.empty()) out["last_id"] = items.back()["id"];
                      respond(http_response::json(200, out));
                    },
                    fail_with(respond), actors::bot_logs_atom::value,
                    std::string{req.param("project_id")});
              }));
  routes.add(
      "POST", "/v1/projects/{project_id}/bot/preview",
      guarded(*ctx.auth, access::own_project,
              [&sys, dir, timeout, depth](http_request&& req, responder respond) {
                auto parsed = parse_json(req.body, depth);
                if (auto* err = std::get_if<http_response>(&parsed))
                  return respond(std::move(*err));
                auto read = actors::bot::read_preview_request(std::get<json>(parsed));
                if (auto* problems = std::get_if<std::vector<actors::problem>>(&read))
                  return respond(http_response::error(
                      api_code::invalid_preview,
                      "the preview request has " + std::to_string(problems->size()) + " problem(s)",
                      {{"problems", problems_json(*problems)}}));
                auto request = std::get<actors::bot::preview_request>(std::move(read));
                std::string project{req.param("project_id")};
                if (!request.version)
                  return ask_preview(sys, dir, project, "", 0, std::move(request), respond);
                with_versions(sys, dir, timeout, project, respond,
                              [&sys, dir, project, request,
                               respond](std::vector<actors::bot_info>& versions) mutable {
                                auto* kept = find_version(versions, request.version);
                                if (!kept) return respond(version_not_found(request.version));
                                ask_preview(sys, dir, project, kept->definition_json, kept->version,
                                            std::move(request), respond);
                              });
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
