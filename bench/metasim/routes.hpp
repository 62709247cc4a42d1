/// @file
/// @brief The simulator's HTTP surface: Meta's Graph API subset and the control API.
#pragma once

#include "api/router.hpp"
#include "bench/metasim/scheduler.hpp"
#include "bench/metasim/sim_state.hpp"
#include "bench/metasim/webhook_sender.hpp"

#include <functional>
#include <string>

namespace paige::metasim {

struct sim_context {
  sim_state& state;
  scheduler& timers;
  webhook_sender& sender;
  /// Whether sends and statuses are kept as records (the control API reads them); the
  /// benchmark turns this off and watches sends through on_send instead.
  bool keep_records = true;
  /// Called for every accepted send: (phone_number_id, to, the request body).
  std::function<void(const std::string&, const std::string&, const json&)> on_send;
  std::string app_id;      ///< the app's id (checked in the code exchange when set)
  std::string app_secret;  ///< the app's secret (checked in the code exchange)
};

/// GET /{version}/{phone-number-id}, POST .../register, POST /{version}/{waba-id}/subscribed_apps,
/// POST /{version}/{phone-number-id}/messages (sends and mark-as-read), bearer token checked.
void add_graph_routes(api::router& routes, sim_context ctx);

/// Meta's embedded signup: the dialog (GET /{version}/dialog/oauth, a page that posts the
/// session info to its opener and redirects with a code), the code exchange
/// (GET /{version}/oauth/access_token) and debug_token; /control/signup chooses the number a
/// signup hands over and which step Meta refuses. Add before add_graph_routes.
void add_signup_routes(api::router& routes, sim_context ctx);

/// The Resumable Upload API: POST /{version}/{app-id}/uploads?file_length=&file_type= opens a
/// session; receive_upload takes POST /{version}/upload:... (the bytes, from file_offset 0) and
/// answers the handle a profile update takes (profile_picture_handle).
void add_upload_routes(api::router& routes, sim_context ctx);
void receive_upload(const sim_context& ctx, const api::http_request& req, api::responder respond);

/// Meta's templates API on a WABA (POST/GET/DELETE /{version}/{waba-id}/message_templates),
/// reviewed after a delay by the rules of PUT /control/templates/review and decided with the
/// message_template_status_update webhook; GET /control/templates lists them all, POST
/// /control/templates/{id}/webhooks sends a template webhook (status, quality, category).
void add_template_routes(api::router& routes, sim_context ctx);
/// POST /{version}/{template-id}: an edit, if `id` is a template's (false: it is not).
bool edit_template(const sim_context& ctx, const api::http_request& req, api::responder respond);
/// Meta's refusal of a template send (132001 unknown or not approved, 132015 paused, 132016
/// disabled, 132000/132012 parameters), with its detail; 0: accepted.
long template_send_error(const sim_state& state, const number& n, const json& msg,
                         std::string& detail);

/// Meta's Flows API: POST/GET /{version}/{waba-id}/flows, POST /{version}/{flow-id}/assets
/// (multipart flow.json), /publish, /deprecate; PUT /control/flows/validation adds Meta's
/// validation rules, GET /control/flows lists them all, POST /control/flows/{id}/status changes a
/// status (with the `flows` webhook). Add before add_graph_routes.
void add_flow_routes(api::router& routes, sim_context ctx);
/// GET, POST (metadata) and DELETE /{version}/{flow-id}, if `id` is a flow's (false: it is not).
bool flow_call(const sim_context& ctx, const api::http_request& req, api::responder respond);

/// /control/...: numbers, simulated users sending inbound messages, the exchange records
/// (with long polling), faults, counters.
void add_control_routes(api::router& routes, sim_context ctx);

/// Meta's HTTP status for an error code (spec §6.2).
unsigned http_status_for(long code);

/// Meta's answer to a refused call: its error object with Meta's HTTP status (500: a plain
/// HTTP 500, not an error object).
api::http_response graph_error(long code, const std::string& message,
                               const std::string& details = {});

/// Meta's error body.
json graph_error_body(long code, const std::string& message, const std::string& details);

}  // namespace paige::metasim
