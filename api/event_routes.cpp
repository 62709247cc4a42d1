#include "api/event_routes.hpp"

#include "actors/event_hub.hpp"
#include "actors/project_types.hpp"
#include "api/actor_call.hpp"
#include "api/json_body.hpp"
#include "api/route_guard.hpp"

namespace paige::api {
namespace {

/// Hands the hub's frames to an HTTP stream; the stream never blocks the hub (it queues, and
/// drops a client that falls behind).
struct stream_subscriber : actors::event_subscriber {
  explicit stream_subscriber(std::shared_ptr<stream_sink> s) : sink(std::move(s)) {}
  bool deliver(const std::string& frame) override { return sink->write(frame); }
  void end() override { sink->close(); }
  std::shared_ptr<stream_sink> sink;
};

}  // namespace

void add_event_routes(router& routes, project_routes_context ctx) {
  auto& sys = *ctx.sys;
  auto dir = ctx.directory;
  auto timeout = ctx.timeout;
  routes.add(
      "GET", "/v1/projects/{project_id}/events",
      guarded(*ctx.auth, access::own_project,
              [&sys, dir, timeout](http_request&& req, responder respond) {
                std::int64_t conversation = 0;
                if (auto text = req.query_param("conversation_id")) {
                  auto id = parse_id(*text);
                  if (!id)
                    return respond(http_response::error(api_code::invalid_conversation_id,
                                                        "conversation_id is a conversation's id"));
                  conversation = *id;
                }
                std::string last{req.header("last-event-id")
                                     .value_or(req.query_param("last_event_id").value_or(""))};
                std::string project{req.param("project_id")};
                // The project must exist before the stream's head goes out (a 404 cannot follow a
                // 200).
                ask(
                    sys, dir, timeout,
                    [&sys, dir, timeout, respond, project, last,
                     conversation](actors::project_info&) {
                      http_response r;
                      r.content_type = "text/event-stream";
                      r.stream = [&sys, dir, timeout, project, last,
                                  conversation](std::shared_ptr<stream_sink> sink) {
                        sink->write(": paige events of project " + project + "\n\n");
                        ask(
                            sys, dir, timeout, [](caf::ok_atom) {},
                            [sink](const caf::error&) { sink->close(); },
                            actors::subscribe_atom::value, project, last, conversation,
                            actors::event_sink{std::make_shared<stream_subscriber>(sink)});
                      };
                      respond(std::move(r));
                    },
                    fail_with(respond), caf::get_atom::value, project);
              }));
  // The project's bot log, followed live (docs/bot-contract.md, "Logs").
  routes.add(
      "GET", "/v1/projects/{project_id}/bot/logs/stream",
      guarded(*ctx.auth, access::own_project,
              [&sys, dir, timeout](http_request&& req, responder respond) {
                std::string last{req.header("last-event-id")
                                     .value_or(req.query_param("last_event_id").value_or(""))};
                std::string project{req.param("project_id")};
                ask(
                    sys, dir, timeout,
                    [&sys, dir, timeout, respond, project, last](actors::project_info&) {
                      http_response r;
                      r.content_type = "text/event-stream";
                      r.stream = [&sys, dir, timeout, project,
                                  last](std::shared_ptr<stream_sink> sink) {
                        sink->write(": paige bot log of project " + project + "\n\n");
                        ask(
                            sys, dir, timeout, [](caf::ok_atom) {},
                            [sink](const caf::error&) { sink->close(); },
                            actors::bot_follow_atom::value, project, last,
                            actors::event_sink{std::make_shared<stream_subscriber>(sink)});
                      };
                      respond(std::move(r));
                    },
                    fail_with(respond), caf::get_atom::value, project);
              }));
}

}  // namespace paige::api
