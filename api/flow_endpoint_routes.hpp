/// @file
/// @brief The data-exchange endpoint of a project's WhatsApp Flows (spec/meta-cloud-api.md
/// §9.4, docs/flows.md): what Meta calls while a user is inside a dynamic flow.
///   POST /v1/flows/endpoint/{project_id} {"encrypted_flow_data", "encrypted_aes_key",
///        "initial_vector"} signed with X-Hub-Signature-256 (the app secret): decrypted with the
///        number's private key, answered encrypted (base64, text/plain) with the inverted IV.
///        `ping` answers {"data": {"status": "active"}}; an error notification {"data":
///        {"acknowledged": true}}; INIT, BACK and data_exchange need a flow_token this project
///        sent (else 427) and answer the screen the request leads to, its data from the flow's
///        SQL sources (run as the project's role, with the database API's timeout and caps:
///        actors/core/flow_exchange.hpp); a source that fails answers the same screen with an
///        error_message; SUCCESS ends the flow with the request's data as its params.
///        A bad signature is 432; a body that does not decrypt (another key, a changed byte, no
///        key yet) 421, so Meta fetches the key again. No API key: Meta's signature is the
///        authentication.
/// Decryption and encryption run on the HTTP thread; the project actor only lends the key.
#pragma once

#include "api/router.hpp"
#include "storage/database_requests.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <chrono>
#include <string>

namespace paige::api {

struct flow_endpoint_context {
  caf::actor_system* sys = nullptr;
  caf::actor directory;
  std::string app_secret;
  std::chrono::milliseconds timeout{8000};  ///< well within Meta's 10 s
  /// How the screens' SQL sources run: the project-database API's timeout and caps.
  storage::database_rules rules;
};

void add_flow_endpoint_routes(router& routes, flow_endpoint_context ctx);

}  // namespace paige::api
