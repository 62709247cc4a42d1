#include "api/message_routes.hpp"

#include "actors/conversation_actor.hpp"
#include "actors/outbound_rules.hpp"
#include "actors/project_types.hpp"
#include "api/actor_call.hpp"
#include "api/json_body.hpp"
#include "api/route_guard.hpp"

#include <charconv>

namespace paige::api {
namespace {

using json = nlohmann::json;

json message_json(const actors::outbound_view& v) {
  return {{"id", v.id},          {"wamid", nullptr},       {"direction", "out"},   {"type", v.type},
          {"content", json::parse(v.content_json)}, {"status", "queued"}, {"error", nullptr},
          {"created_at", v.created_at}, {"sent_at", nullptr}, {"delivered_at", nullptr}, {"read_at", nullptr}};
}

/// The message object (with "to" moved out into `to`), checked against the Cloud API
/// limits; or the 4xx to answer.
std::variant<json, http_response> checked_message(const http_request& req, std::size_t depth, bool with_to,
                                                  std::string& to) {
  auto parsed = parse_json(req.body, depth);
  if (auto* err = std::get_if<http_response>(&parsed)) return std::move(*err);
  auto msg = std::get<json>(std::move(parsed));
  if (with_to) {
    if (!msg.is_object() || !msg.contains("to") || !msg["to"].is_string())
      return http_response::error(422, "invalid_recipient", "'to' (the contact's wa_id) is required");
    to = msg["to"].get<std::string>();
    if (to.empty() || to.size() > 20 || to.find_first_not_of("0123456789") != std::string::npos)
      return http_response::error(422, "invalid_recipient", "'to' must be a wa_id: digits only, no '+'");
    msg.erase("to");
  }
  auto problems = actors::check_outbound_message(msg);
  if (!problems.empty()) {
    json list = json::array();
    for (const auto& p : problems) list.push_back({{"pointer", p.pointer}, {"message", p.message}});
    return http_response::error(422, "invalid_message", problems.front().message, {{"problems", list}});
  }
  return msg;
}

}  // namespace

void add_message_routes(router& routes, project_routes_context ctx) {
  auto& sys = *ctx.sys;
  auto dir = ctx.directory;
  auto timeout = ctx.timeout;
  auto depth = ctx.max_json_depth;
  auto reply = [](responder respond) {
    return [respond](actors::outbound_view& v) { respond(http_response::json(202, message_json(v))); };
  };

  routes.add("POST", "/v1/projects/{project_id}/conversations/{conversation_id}/messages",
             guarded(*ctx.auth, access::own_project, [&sys, dir, timeout, depth, reply](http_request&& req, responder respond) {
               std::int64_t conversation = 0;
               auto text = req.param("conversation_id");
               auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), conversation);
               if (ec != std::errc{} || ptr != text.data() + text.size() || conversation <= 0)
                 return respond(http_response::error(404, "conversation_not_found", "no conversation " + std::string{text}));
               std::string unused;
               auto checked = checked_message(req, depth, false, unused);
               if (auto* err = std::get_if<http_response>(&checked)) return respond(std::move(*err));
               ask(sys, dir, timeout, reply(respond), fail_with(respond), actors::operator_send_atom::value,
                   std::string{req.param("project_id")}, conversation, std::get<json>(checked).dump());
             }));

  routes.add("POST", "/v1/projects/{project_id}/messages",
             guarded(*ctx.auth, access::own_project, [&sys, dir, timeout, depth, reply](http_request&& req, responder respond) {
               std::string to;
               auto checked = checked_message(req, depth, true, to);
               if (auto* err = std::get_if<http_response>(&checked)) return respond(std::move(*err));
               ask(sys, dir, timeout, reply(respond), fail_with(respond), actors::operator_send_atom::value,
                   std::string{req.param("project_id")}, to, std::get<json>(checked).dump());
             }));
}

}  // namespace paige::api
