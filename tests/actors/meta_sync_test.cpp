// The Meta sync supervisor with a Graph API stand-in and the test as the project actor:
// outcomes are asked again until recorded, and an outbox read that comes late sends nothing
// twice.
#include "actors/meta_sync.hpp"
#include "actors/conversation_actor.hpp"
#include "actors/errors.hpp"
#include "actors/project_types.hpp"
#include "actors/system_config.hpp"
#include "tests/support/child_process.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>

using namespace paige::actors;

namespace {

constexpr auto timeout = std::chrono::seconds{10};

/// Accepts every send at once with wamid "wamid.<n>", counting the calls per recipient.
class accepting_graph : public graph_api {
 public:
  void call(const std::string&, const std::string&, const std::string&, std::string body,
            std::function<void(graph_result)> done) override {
    calls_.fetch_add(1);
    graph_result r;
    r.http_status = 200;
    r.body = R"({"messages": [{"id": "wamid.)" + std::to_string(calls_.load()) + R"("}]})";
    done(std::move(r));
    (void)body;
  }
  int calls() const { return calls_.load(); }

 private:
  std::atomic<int> calls_{0};
};

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<accepting_graph> graph = std::make_shared<accepting_graph>();
  caf::actor meta;

  fixture() {
    configure_actor_system(cfg, 2);
    add_project_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    meta = spawn_meta_sync(*sys, graph);
  }
  ~fixture() {
    caf::anon_send_exit(meta, caf::exit_reason::user_shutdown);
    sys->await_all_actors_done();
  }
};

}  // namespace

TEST_CASE(
    "a send's outcome is asked again until it is recorded, and a late outbox read sends nothing "
    "twice",
    "[actors][meta_sync]") {
  fixture f;
  caf::scoped_actor project{*f.sys};
  project->send(f.meta, number_atom::value, std::string{"p1"}, std::string{"1001"},
                std::string{"token"}, caf::actor{}, caf::actor{project}, 80.0);
  project->send(f.meta, send_atom::value, std::string{"p1"}, std::string{"1555"},
                std::vector<outbound_item>{{41, R"({"type": "text", "text": {"body": "hi"}})"}});
  // The database is down: the first record fails...
  project->receive(
      [&](record_atom, std::int64_t id, const std::string& wamid,
          bool again) -> caf::result<caf::ok_atom> {
        CHECK(id == 41);
        CHECK(wamid == "wamid.1");
        CHECK_FALSE(again);
        return make_error(errc::db_unavailable, "the database is down");
      },
      caf::after(timeout) >> [] { FAIL("the outcome was not recorded"); });
  // ... and it is asked again (as a record that may have gone through), until it is.
  project->receive(
      [&](record_atom, std::int64_t id, const std::string&,
          bool again) -> caf::result<caf::ok_atom> {
        CHECK(id == 41);
        CHECK(again);
        return caf::ok_atom::value;
      },
      caf::after(timeout) >> [] { FAIL("the outcome was not asked again"); });
  // An outbox read whose snapshot came before the wamid was committed arrives now: 41 again.
  project->send(f.meta, send_atom::value, std::string{"p1"}, std::string{"1555"},
                std::vector<outbound_item>{{41, R"({"type": "text", "text": {"body": "hi"}})"},
                                           {42, R"({"type": "text", "text": {"body": "next"}})"}});
  project->receive(
      [&](record_atom, std::int64_t id, const std::string&, bool) -> caf::result<caf::ok_atom> {
        CHECK(id == 42);  // only the new one went out
        return caf::ok_atom::value;
      },
      caf::after(timeout) >> [] { FAIL("the next message was not sent"); });
  CHECK(f.graph->calls() == 2);
}

TEST_CASE("an outcome whose project actor is gone waits for its next actor",
          "[actors][meta_sync]") {
  fixture f;
  caf::scoped_actor project{*f.sys};
  // The project's actor ends (it restarts, say) before the outcome is recorded.
  // (An argument: CAF 0.17 dereferences a null argument tuple for a function without any.)
  auto gone = f.sys->spawn([](int) -> caf::behavior { return {[](int) {}}; }, 0);
  project->send(f.meta, number_atom::value, std::string{"p1"}, std::string{"1001"},
                std::string{"token"}, caf::actor{}, gone, 80.0);
  project->send_exit(gone, caf::exit_reason::user_shutdown);
  project->wait_for(gone);
  project->send(f.meta, send_atom::value, std::string{"p1"}, std::string{"1555"},
                std::vector<outbound_item>{{7, R"({"type": "text", "text": {"body": "hi"}})"}});
  REQUIRE(paige::test::wait_until([&] { return f.graph->calls() == 1; }));
  // Its successor announces the number again and is asked to record what was sent meanwhile.
  project->send(f.meta, number_atom::value, std::string{"p1"}, std::string{"1001"},
                std::string{"token"}, caf::actor{}, caf::actor{project}, 80.0);
  project->receive(
      [&](record_atom, std::int64_t id, const std::string& wamid,
          bool again) -> caf::result<caf::ok_atom> {
        CHECK(id == 7);
        CHECK(wamid == "wamid.1");
        CHECK(again);  // the first attempt's answer never came: it may have been stored
        return caf::ok_atom::value;
      },
      caf::after(timeout) >> [] { FAIL("the outcome was not recorded by the new actor"); });
  CHECK(f.graph->calls() == 1);  // sent once
}
