#include "api/message_routes.hpp"

#include "actors/conversation_actor.hpp"
#include "actors/core/outbound_rules.hpp"
#include "actors/persistence.hpp"
#include "actors/project_types.hpp"
#include "api/actor_call.hpp"
#include "api/api_errors.hpp"
#include "api/json_body.hpp"
#include "api/route_guard.hpp"
#include "api/template_routes.hpp"

namespace paige::api {
namespace {

using json = nlohmann::json;

json message_json(const actors::outbound_view& v) {
  return {{"id", v.id},
          {"wamid", nullptr},
          {"direction", "out"},
          {"type", v.type},
          {"content", json::parse(v.content_json)},
          {"status", "queued"},
          {"error", nullptr},
          {"created_at", v.created_at},
          {"sent_at", nullptr},
          {"delivered_at", nullptr},
          {"read_at", nullptr}};
}

/// The message object (with "to" moved out into `to`), checked against the Cloud API
/// limits; or the 4xx to answer.
std::variant<json, http_response> checked_message(const http_request& req, std::size_t depth,
                                                  bool with_to, std::string& to) {
  auto parsed = parse_json(req.body, depth);
  if (auto* err = std::get_if<http_response>(&parsed)) return std::move(*err);
  auto msg = std::get<json>(std::move(parsed));
  if (with_to) {
    if (!msg.is_object() || !msg.contains("to") || !msg["to"].is_string())
      return http_response::error(api_code::invalid_recipient,
                                  "'to' (the contact's wa_id) is required");
    to = msg["to"].get<std::string>();
    if (to.empty() || to.size() > 20 || to.find_first_not_of("0123456789") != std::string::npos)
      return http_response::error(api_code::invalid_recipient,
                                  "'to' must be a wa_id: digits only, no '+'");
    msg.erase("to");
  }
  auto problems = actors::check_outbound_message(msg);
  if (!problems.empty()) return problems_response(api_code::invalid_message, problems);
  return msg;
}

json stored_message_json(const storage::message_row& m) {
  auto opt = [](const std::string& v) { return v.empty() ? json(nullptr) : json(v); };
  return {
      {"id", m.id},
      {"wamid", opt(m.wamid)},
      {"direction", m.direction},
      {"type", m.type},
      {"content", json::parse(m.content_json, nullptr, false)},
      {"status", m.status},
      {"error", m.error_json.empty() ? json(nullptr) : json::parse(m.error_json, nullptr, false)},
      {"created_at", m.created_at},
      {"sent_at", opt(m.sent_at)},
      {"delivered_at", opt(m.delivered_at)},
      {"read_at", opt(m.read_at)}};
}

std::optional<std::int64_t> conversation_of(const http_request& req) {
  return parse_id(req.param("conversation_id"));
}

}  // namespace

void add_message_routes(router& routes, project_routes_context ctx) {
  auto& sys = *ctx.sys;
  auto dir = ctx.directory;
  auto timeout = ctx.timeout;
  auto depth = ctx.max_json_depth;
  auto reply = [](responder respond) {
    return
        [respond](actors::outbound_view& v) { respond(http_response::json(202, message_json(v))); };
  };
  // A checked message to `target` (a conversation id, or the contact's wa_id), sent once a
  // template in it was judged against the approved one.
  auto send = [&sys, dir, timeout, reply, ctx](const http_request& req, json msg, auto target,
                                               responder respond) {
    auto project = std::string{req.param("project_id")};
    judge_template_send(ctx, project, msg, respond, [=, &sys] {
      ask(sys, dir, timeout, reply(respond), fail_with(respond), actors::operator_send_atom::value,
          project, target, msg.dump());
    });
  };

  routes.add(
      "POST", "/v1/projects/{project_id}/conversations/{conversation_id}/messages",
      guarded(*ctx.auth, access::own_project, [depth, send](http_request&& req, responder respond) {
        auto conversation = conversation_of(req);
        if (!conversation)
          return respond(
              http_response::error(api_code::conversation_not_found,
                                   "no conversation " + std::string{req.param("conversation_id")}));
        std::string unused;
        auto checked = checked_message(req, depth, false, unused);
        if (auto* err = std::get_if<http_response>(&checked)) return respond(std::move(*err));
        send(req, std::get<json>(std::move(checked)), *conversation, std::move(respond));
      }));

  routes.add(
      "GET", "/v1/projects/{project_id}/conversations/{conversation_id}/messages",
      guarded(*ctx.auth, access::own_project,
              [&sys, dir, timeout](http_request&& req, responder respond) {
                auto conversation = conversation_of(req);
                if (!conversation)
                  return respond(http_response::error(
                      api_code::conversation_not_found,
                      "no conversation " + std::string{req.param("conversation_id")}));
                auto limit = parse_limit(req, 50, 200);
                if (auto* err = std::get_if<http_response>(&limit)) return respond(std::move(*err));
                auto cursor = cursor_of(req);
                if (auto* err = std::get_if<http_response>(&cursor))
                  return respond(std::move(*err));
                auto before = std::get<std::int64_t>(cursor);
                auto page = std::get<int>(limit);
                ask(
                    sys, dir, timeout,
                    [respond, page](std::vector<storage::message_row>& rows) {
                      // One row more than asked tells whether another page follows.
                      bool more = static_cast<int>(rows.size()) > page;
                      if (more) rows.pop_back();
                      json items = json::array();
                      for (const auto& m : rows) items.push_back(stored_message_json(m));
                      json next = more ? json(encode_cursor(rows.back().id)) : json(nullptr);
                      respond(http_response::json(200, {{"items", items}, {"next_cursor", next}}));
                    },
                    fail_with(respond), actors::messages_atom::value,
                    std::string{req.param("project_id")}, *conversation, before, page + 1);
              }));

  routes.add(
      "POST", "/v1/projects/{project_id}/messages",
      guarded(*ctx.auth, access::own_project, [depth, send](http_request&& req, responder respond) {
        std::string to;
        auto checked = checked_message(req, depth, true, to);
        if (auto* err = std::get_if<http_response>(&checked)) return respond(std::move(*err));
        send(req, std::get<json>(std::move(checked)), to, std::move(respond));
      }));
}

}  // namespace paige::api
