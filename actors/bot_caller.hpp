/// @file
/// @brief The bot caller: posts code bots' events (docs/bot-contract.md), signed with each
/// project's bot secret, and answers each with what the bot replied. One per server; the
/// network is behind `bot_transport` (implemented in api/, handed over by the runtime), so
/// actors never see it.
///
/// Protocol:
///   (bot_event_atom, code_target_ptr, event_id, body) → bot_reply
///   (bot_http_atom, fetch_request) → bot_reply: a declarative bot's request (`http` action),
///                                     its secrets' values already in its headers
/// The caller's request timeout is the event's time box (code_target::timeout); the transport
/// ends the exchange on the network after the same time, so a bot that hangs holds no
/// connection longer than its time box.
#pragma once

#include "actors/core/bot_interpreter.hpp"
#include "actors/core/code_bot_target.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/meta/type_name.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace paige::actors {

using bot_event_atom = caf::atom_constant<caf::atom("botevent")>;
using bot_http_atom = caf::atom_constant<caf::atom("bothttp")>;

using code_target_ptr = std::shared_ptr<const bot::code_target>;

/// What a bot answered to one event.
struct bot_reply {
  unsigned status = 0;  ///< 0: no answer arrived
  std::string body;
  std::string error;  ///< a transport failure (refused, timeout, TLS...), empty otherwise
  bool timed_out = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bot_reply& x) {
  return f(caf::meta::type_name("bot_reply"), x.status, x.body, x.error, x.timed_out);
}

/// Sends bots' requests (events, and declarative bots' `http` actions). `done` runs once, on
/// a network thread: it must not block.
class bot_transport {
 public:
  virtual ~bot_transport() = default;
  virtual void request(const std::string& method, const std::string& url,
                       std::vector<std::pair<std::string, std::string>> headers, std::string body,
                       std::chrono::milliseconds timeout, std::function<void(bot_reply)> done) = 0;
};

/// The contract's headers of event `event_id` with `body`, signed with `secret` at Unix time
/// `timestamp`: Content-Type, Paige-Contract, Paige-Event, Paige-Timestamp, Paige-Signature.
std::vector<std::pair<std::string, std::string>> event_headers(const std::string& secret,
                                                               std::int64_t event_id,
                                                               std::int64_t timestamp,
                                                               const std::string& body);

caf::actor spawn_bot_caller(caf::actor_system& sys, std::shared_ptr<bot_transport> transport);

}  // namespace paige::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::code_target_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::bot::fetch_request)
