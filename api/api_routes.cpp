#include "api/api_routes.hpp"

#include "api/account_routes.hpp"
#include "api/bot_routes.hpp"
#include "api/broadcast_routes.hpp"
#include "api/conversation_routes.hpp"
#include "api/database_routes.hpp"
#include "api/event_routes.hpp"
#include "api/flow_endpoint_routes.hpp"
#include "api/flow_routes.hpp"
#include "api/message_routes.hpp"
#include "api/profile_routes.hpp"
#include "api/secret_routes.hpp"
#include "api/session_routes.hpp"
#include "api/template_routes.hpp"
#include "api/web_routes.hpp"

namespace paige::api {

void add_api_routes(router& routes, api_routes_context ctx) {
  add_ops_routes(routes, std::move(ctx.probe), *ctx.metrics);
  add_web_routes(routes);
  add_session_routes(routes, ctx.projects);
  add_project_routes(routes, ctx.projects);
  add_bot_routes(routes, ctx.projects);
  add_secret_routes(routes, ctx.projects);
  add_profile_routes(routes, ctx.projects);
  add_account_routes(routes, ctx.projects);
  add_template_routes(routes, ctx.projects);
  add_flow_routes(routes, ctx.projects);
  add_broadcast_routes(routes, ctx.projects);
  add_message_routes(routes, ctx.projects);
  add_conversation_routes(routes, ctx.projects);
  add_database_routes(routes, ctx.projects);
  add_event_routes(routes, ctx.projects);
  add_flow_endpoint_routes(routes, {ctx.webhooks.sys,
                                    ctx.webhooks.directory,
                                    ctx.webhooks.app_secret,
                                    std::chrono::milliseconds{8000},
                                    {ctx.projects.sql_timeout, ctx.projects.watchdog,
                                     ctx.projects.sql_row_cap, ctx.projects.sql_max_bytes}});
  add_webhook_routes(routes, std::move(ctx.webhooks));
}

}  // namespace paige::api
