/// @file
/// @brief Steps the project actor's files about the WhatsApp account share (templates, flows):
/// a job on the control database and a request to the account actor, each answering its error
/// to the API's response promise.
#pragma once

#include "actors/db_pool.hpp"
#include "actors/errors.hpp"
#include "actors/project_actor.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace paige::actors::project_steps {

using project_self = caf::stateful_actor<project_state>*;

inline constexpr std::chrono::seconds control_timeout{15};

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline caf::error not_connected() {
  return make_error(errc::conflict, "connect a WhatsApp number first",
                    api_code::whatsapp_not_connected);
}

/// Runs `job` on the control database; `ok` gets its message, `rp` any error.
template <class Ok>
void control(project_self self, db_job job, caf::typed_response_promise<std::string> rp, Ok ok) {
  self->request(self->state.svc->control_db, control_timeout, run_atom::value, std::move(job))
      .then(ok, [rp](caf::error& err) mutable { rp.deliver(err); });
}

/// The account actor's answer, or its error to `rp`.
template <class... Ts, class Ok>
void ask_account(project_self self, caf::typed_response_promise<std::string> rp, Ok ok, Ts... xs) {
  self->request(self->state.account, caf::infinite, std::move(xs)...)
      .then(ok, [rp](caf::error& err) mutable { rp.deliver(err); });
}

}  // namespace paige::actors::project_steps
