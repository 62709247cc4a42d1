// The webhook's ack of a batch: one outcome, the first; a batch nobody answers reports its
// receiver gone, also when the actor system drops it.
#include "actors/batch_ack.hpp"
#include "actors/inbound.hpp"
#include "actors/project_types.hpp"
#include "actors/system_config.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <future>
#include <string>
#include <vector>

using namespace paige;

namespace {

std::string text_of(const caf::error* err) { return err ? caf::to_string(*err) : "ok"; }

}  // namespace

TEST_CASE(
    "a batch's ack reports its first outcome once and an unanswered batch as its receiver gone",
    "[webhook]") {
  std::vector<std::string> seen;
  auto record = [&seen](const caf::error* err) { seen.push_back(text_of(err)); };
  {
    actors::batch_ack ack{record};
    auto copy = ack;
    copy.ok();
    ack.fail(caf::make_error(caf::sec::request_timeout));
  }
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == "ok");
  seen.clear();
  {
    actors::batch_ack ack{record};
    ack.fail(caf::make_error(caf::sec::request_timeout));
  }
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].find("request_timeout") != std::string::npos);
  seen.clear();
  {
    actors::batch_ack ack{record};
    auto copy = ack;
  }
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].find("request_receiver_down") != std::string::npos);
}

TEST_CASE("a batch sent to an actor that is gone reports its receiver gone", "[webhook]") {
  caf::actor_system_config cfg;
  actors::configure_actor_system(cfg, 2);
  caf::actor_system sys{cfg};
  auto target =
      sys.spawn([](caf::event_based_actor*, int) -> caf::behavior { return {[](int) {}}; }, 0);
  {
    caf::scoped_actor self{sys};
    self->monitor(target);
    caf::anon_send_exit(target, caf::exit_reason::kill);
    self->receive([](caf::down_msg&) {});
  }
  auto outcome = std::make_shared<std::promise<std::string>>();
  actors::batch_ack ack{[outcome](const caf::error* err) { outcome->set_value(text_of(err)); }};
  caf::anon_send(target, actors::webhook_atom::value, actors::number_batch{}, std::move(ack));
  auto answer = outcome->get_future();
  REQUIRE(answer.wait_for(std::chrono::seconds{10}) == std::future_status::ready);
  CHECK(answer.get().find("request_receiver_down") != std::string::npos);
}
