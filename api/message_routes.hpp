/// @file
/// @brief Operator sends (spec/api.md § Contacts and conversations): messages queued through
/// the contact's conversation actor, so they are ordered with the bot's own messages.
#pragma once

#include "api/project_routes.hpp"

namespace paige::api {

/// POST /v1/projects/{p}/conversations/{c}/messages {Cloud API message without "to"} and
/// POST /v1/projects/{p}/messages {"to", Cloud API message} → 202 the queued message.
/// 422 `invalid_message` lists every problem of the message (Cloud API limits); 422
/// `outside_service_window` for a non-template message when the contact's last message is
/// more than 24 hours old (nothing is stored or sent); 404 `conversation_not_found`.
void add_message_routes(router& routes, project_routes_context ctx);

}  // namespace paige::api
