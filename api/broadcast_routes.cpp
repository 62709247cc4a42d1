#include "api/broadcast_routes.hpp"

#include "actors/core/broadcast_rules.hpp"
#include "actors/core/template_send.hpp"
#include "actors/project_types.hpp"
#include "actors/template_shelf.hpp"
#include "api/actor_call.hpp"
#include "api/api_errors.hpp"
#include "api/json_body.hpp"
#include "api/route_guard.hpp"

#include <nlohmann/json.hpp>

#include <chrono>

namespace paige::api {
namespace {

using json = nlohmann::json;

constexpr int default_page = 50;
constexpr int max_page = 200;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// The message every recipient gets, with "x" for each audience value: what the template
/// must take.
json sample_message(const json& b) {
  auto components = b.value("components", json::array());
  json fields = json::object();
  for (const auto& c : actors::broadcasts::columns_of(components)) fields[c] = "x";
  return actors::broadcasts::message_of(b["template"],
                                        actors::broadcasts::resolve(components, fields));
}

/// The send's pointers (/template/components/...) as the broadcast's (/components/...).
std::vector<actors::problem> as_broadcast(std::vector<actors::problem> problems) {
  const std::string prefix = "/template";
  for (auto& p : problems)
    if (p.pointer.rfind(prefix, 0) == 0) p.pointer = p.pointer.substr(prefix.size());
  return problems;
}

std::optional<std::int64_t> broadcast_of(const http_request& req) {
  return parse_id(req.param("broadcast_id"));
}

http_response no_broadcast(const http_request& req) {
  return http_response::error(api_code::broadcast_not_found,
                              "no broadcast " + std::string{req.param("broadcast_id")});
}

}  // namespace

void add_broadcast_routes(router& routes, project_routes_context ctx) {
  auto& sys = *ctx.sys;
  auto dir = ctx.directory;
  auto timeout = ctx.timeout;
  auto depth = ctx.max_json_depth;
  const std::string base = "/v1/projects/{project_id}/broadcasts";
  auto own = [&ctx](handler h) { return guarded(*ctx.auth, access::own_project, std::move(h)); };

  routes.add(
      "POST", base, own([&sys, dir, timeout, depth](http_request&& req, responder respond) {
        auto parsed = parse_json_object(
            req.body, depth, {"name", "template", "audience", "components", "schedule_at"});
        if (auto* err = std::get_if<http_response>(&parsed)) return respond(std::move(*err));
        auto b = std::get<json>(std::move(parsed));
        std::int64_t schedule_at = 0;
        auto problems = actors::broadcasts::check_broadcast(b, unix_now(), schedule_at);
        if (!problems.empty())
          return respond(problems_response(api_code::invalid_broadcast, problems));
        auto project = std::string{req.param("project_id")};
        auto& s = sys;
        // The template is judged as each recipient's message will be, before anything is stored.
        ask(
            sys, dir, timeout,
            [&s, dir, timeout, respond, b, project,
             schedule_at](actors::templates::book_ptr& book) {
              if (book) {
                auto v = actors::templates::judge_send(*book, sample_message(b));
                using kind = actors::templates::send_verdict::kind;
                if (v.what == kind::not_found)
                  return respond(http_response::error(api_code::template_not_found, v.message));
                if (v.what == kind::not_approved)
                  return respond(http_response::error(api_code::template_not_approved, v.message,
                                                      {{"status", v.status}}));
                if (v.what == kind::invalid)
                  return respond(problems_response(api_code::invalid_template_parameters,
                                                   as_broadcast(v.problems)));
              }
              ask(s, dir, timeout, json_text_reply(respond, 201), fail_with(respond),
                  actors::broadcast_create_atom::value, project, b.dump(), schedule_at);
            },
            fail_with(respond), actors::template_get_atom::value, project);
      }));

  routes.add("POST", base + "/audience",
             own([&sys, dir, timeout, depth](http_request&& req, responder respond) {
               auto parsed = parse_json_object(req.body, depth, {"audience"});
               if (auto* err = std::get_if<http_response>(&parsed)) return respond(std::move(*err));
               auto body = std::get<json>(std::move(parsed));
               // Checked as a broadcast's audience (the rest of a broadcast made up).
               json whole{{"template", {{"name", "x"}, {"language", "en"}}},
                          {"audience", body.value("audience", json())}};
               std::int64_t unused = 0;
               auto problems = actors::broadcasts::check_broadcast(whole, unix_now(), unused);
               if (!problems.empty())
                 return respond(problems_response(api_code::invalid_broadcast, problems));
               ask(sys, dir, timeout, json_text_reply(respond), fail_with(respond),
                   actors::broadcast_count_atom::value, std::string{req.param("project_id")},
                   whole["audience"].dump());
             }));

  routes.add("GET", base, own([&sys, dir, timeout](http_request&& req, responder respond) {
               auto limit = parse_limit(req, default_page, max_page);
               if (auto* err = std::get_if<http_response>(&limit)) return respond(std::move(*err));
               auto cursor = cursor_of(req);
               if (auto* err = std::get_if<http_response>(&cursor)) return respond(std::move(*err));
               ask(
                   sys, dir, timeout,
                   [respond](std::string& page_json) {
                     auto page = json::parse(page_json);
                     auto next = page["next_before"].get<std::int64_t>();
                     respond(http_response::json(
                         200, {{"items", std::move(page["items"])},
                               {"next_cursor", next ? json(encode_cursor(next)) : json(nullptr)}}));
                   },
                   fail_with(respond), actors::broadcast_list_atom::value,
                   std::string{req.param("project_id")}, std::get<std::int64_t>(cursor),
                   std::get<int>(limit));
             }));

  routes.add("GET", base + "/{broadcast_id}",
             own([&sys, dir, timeout](http_request&& req, responder respond) {
               auto id = broadcast_of(req);
               if (!id) return respond(no_broadcast(req));
               ask(sys, dir, timeout, json_text_reply(respond), fail_with(respond),
                   actors::broadcast_get_atom::value, std::string{req.param("project_id")}, *id);
             }));

  routes.add(
      "GET", base + "/{broadcast_id}/recipients",
      own([&sys, dir, timeout](http_request&& req, responder respond) {
        auto id = broadcast_of(req);
        if (!id) return respond(no_broadcast(req));
        auto limit = parse_limit(req, default_page, max_page);
        if (auto* err = std::get_if<http_response>(&limit)) return respond(std::move(*err));
        auto cursor = cursor_of(req);
        if (auto* err = std::get_if<http_response>(&cursor)) return respond(std::move(*err));
        auto status = std::string{req.query_param("status").value_or("")};
        static const std::vector<std::string> statuses{"pending",   "skipped", "queued", "sent",
                                                       "delivered", "read",    "failed"};
        if (!status.empty() &&
            std::find(statuses.begin(), statuses.end(), status) == statuses.end())
          return respond(http_response::error(
              api_code::invalid_argument,
              "status is pending, skipped, queued, sent, delivered, read or failed"));
        auto n = std::get<int>(limit);
        ask(
            sys, dir, timeout,
            [respond, n](std::string& items_json) { respond(page_response(items_json, n, "seq")); },
            fail_with(respond), actors::broadcast_recipients_atom::value,
            std::string{req.param("project_id")}, *id, status, std::get<std::int64_t>(cursor), n);
      }));

  for (const char* action : {"pause", "resume", "cancel"})
    routes.add("POST", base + "/{broadcast_id}/" + action,
               own([&sys, dir, timeout, action = std::string{action}](http_request&& req,
                                                                      responder respond) {
                 auto id = broadcast_of(req);
                 if (!id) return respond(no_broadcast(req));
                 ask(sys, dir, timeout, json_text_reply(respond), fail_with(respond),
                     actors::broadcast_control_atom::value, std::string{req.param("project_id")},
                     *id, action);
               }));
}

}  // namespace paige::api
