/// @file
/// @brief Meta's webhook: GET handshake and signed POST events (spec/api.md § Webhook).
#pragma once

#include "api/router.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <chrono>
#include <string>

namespace paige::actors {
class number_directory;
}
namespace paige::metrics {
class registry;
}

namespace paige::api {

struct webhook_context {
  caf::actor_system* sys = nullptr;
  const actors::number_directory* numbers = nullptr;
  caf::actor directory;  ///< to tell "no project owns it" from "its project is starting"
  std::string app_secret;
  std::string verify_token;
  metrics::registry* metrics = nullptr;
  /// How long a webhook waits for its projects (the route's answer deadline: 503 after it) and
  /// for the rare control-database lookup.
  std::chrono::milliseconds timeout{20000};
};

/// GET /webhook answers Meta's subscription handshake (200 with the challenge, else 403).
/// POST /webhook checks X-Hub-Signature-256 over the raw body before parsing (401), parses
/// the envelope (400), routes each phone number's events to its project actor without a
/// database round trip, and answers 200 only once every message and status is committed
/// (or known as a duplicate); 503 when that cannot happen now, so Meta redelivers. A number
/// that is not routed is looked up in the control database (a rare path): if a live project
/// owns it (its actor is starting) the answer is 503; events of numbers no project owns are
/// counted, logged and answered 200.
void add_webhook_routes(router& routes, webhook_context ctx);

}  // namespace paige::api
