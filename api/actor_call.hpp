/// @file
/// @brief Calling an actor from an HTTP handler without blocking the I/O thread.
#pragma once

#include "api/http_types.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <functional>

namespace paige::api {

using error_callback = std::function<void(const caf::error&)>;

namespace detail {

template <class OnReply, class... Ts>
void ask_actor(caf::event_based_actor* self, caf::actor target, std::chrono::milliseconds timeout,
               OnReply on_reply, error_callback on_error, Ts... xs) {
  self->request(target, caf::duration{timeout}, std::move(xs)...)
      .then(std::move(on_reply), [on_error](caf::error& err) { on_error(err); });
}

}  // namespace detail

/// Sends `xs...` to `target` as a request from a short-lived actor. Exactly one of
/// `on_reply` (whose parameters select the expected reply) and `on_error` (any error,
/// including the timeout) runs, on an actor thread.
template <class OnReply, class... Ts>
void ask(caf::actor_system& sys, const caf::actor& target, std::chrono::milliseconds timeout,
         OnReply on_reply, error_callback on_error, Ts... xs) {
  sys.spawn(detail::ask_actor<OnReply, Ts...>, target, timeout, std::move(on_reply),
            std::move(on_error), std::move(xs)...);
}

/// An on_reply for requests the actor answers with ok_atom: 204 No Content.
inline auto no_content_reply(responder respond) {
  return [respond](caf::ok_atom) {
    http_response r;
    r.status = 204;
    respond(std::move(r));
  };
}

}  // namespace paige::api
