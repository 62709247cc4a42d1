// The webhook gateway: each batch's callback runs once, with the project's answer or, past
// the deadline, with a timeout.
#include "actors/errors.hpp"
#include "actors/project_types.hpp"
#include "actors/system_config.hpp"
#include "api/webhook_gateway.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <future>

using namespace paige;

namespace {

/// A project actor that answers batches of number "ok", fails those of "fail" and never
/// answers those of "silent". (`why` only because CAF 0.17 trips over an actor spawned
/// without arguments: see docs/architecture.md.)
caf::behavior scripted_project(caf::event_based_actor* self, std::string why) {
  (void)why;
  return {
      [=](actors::webhook_atom, actors::number_batch& batch) -> caf::result<caf::ok_atom> {
        if (batch.phone_number_id == "ok") return caf::ok_atom::value;
        if (batch.phone_number_id == "fail") return actors::make_error(actors::errc::db_unavailable, "down");
        return self->make_response_promise<caf::ok_atom>();  // kept by nobody: never answered
      },
  };
}

/// What the callback saw: "ok", or the error's text; waits up to 10 s.
std::string outcome_of(const caf::actor& gateway, const caf::actor& project, const std::string& number) {
  auto seen = std::make_shared<std::promise<std::string>>();
  auto calls = std::make_shared<std::atomic<int>>(0);
  actors::number_batch batch;
  batch.phone_number_id = number;
  api::forward_batch(gateway, project, std::move(batch), [seen, calls](const caf::error* err) {
    if (++*calls == 1) seen->set_value(err ? caf::to_string(*err) : "ok");
  });
  auto answer = seen->get_future();
  if (answer.wait_for(std::chrono::seconds{10}) != std::future_status::ready) return "no callback";
  return answer.get();
}

}  // namespace

TEST_CASE("the webhook gateway reports each batch's outcome once, and a timeout past its deadline",
          "[webhook]") {
  caf::actor_system_config cfg;
  actors::configure_actor_system(cfg, 2);
  caf::actor_system sys{cfg};
  auto project = sys.spawn(scripted_project, std::string{"test"});
  auto patient = api::spawn_webhook_gateway(sys, std::chrono::seconds{30});
  CHECK(outcome_of(patient, project, "ok") == "ok");
  CHECK(outcome_of(patient, project, "fail").find("down") != std::string::npos);
  auto hasty = api::spawn_webhook_gateway(sys, std::chrono::milliseconds{100});
  auto started = std::chrono::steady_clock::now();
  CHECK(outcome_of(hasty, project, "silent").find("request_timeout") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds{100});
  for (const auto& a : {patient, hasty, project}) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}
