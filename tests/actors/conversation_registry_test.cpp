// The conversation registry: one actor per contact, passivation only of what stayed idle,
// forgetting only the actor that crashed, stopping them all.
#include "actors/conversation_registry.hpp"
#include "actors/system_config.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

using namespace paige::actors;

namespace {

using spawn_atom = caf::atom_constant<caf::atom("spawn")>;
using ask_atom = caf::atom_constant<caf::atom("ask")>;
using forget_atom = caf::atom_constant<caf::atom("forget")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using size_atom = caf::atom_constant<caf::atom("size")>;

/// A stand-in for the project actor: the registry's only user, driven by the test. It tells
/// `observer` what became of each idle answer.
caf::behavior parent(caf::event_based_actor* self, caf::actor observer) {
  auto registry = std::make_shared<conversation_registry>(nullptr);
  auto ctx = std::make_shared<conversation_context>();
  ctx->project_id = "p1";
  ctx->project = self->address();
  return {
      [=](spawn_atom, const std::string& wa_id) { return registry->for_contact(self, ctx, wa_id); },
      [=](ask_atom, std::int64_t idle_ms) {
        registry->ask_idle(self, std::chrono::milliseconds{idle_ms});
      },
      [=](idle_atom, const std::string& wa_id, std::int64_t asked_at) {
        self->send(observer, idle_atom::value, wa_id, registry->passivate(self, wa_id, asked_at));
      },
      [=](forget_atom, const std::string& wa_id, const caf::actor& who) {
        registry->forget(wa_id, who.address());
        return registry->size();
      },
      [=](stop_atom) {
        registry->stop_all();
        return registry->size();
      },
      [=](size_atom) { return registry->size(); },
  };
}

struct registry_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<caf::scoped_actor> self;
  caf::actor project;
  registry_fixture() {
    configure_actor_system(cfg, 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    self = std::make_unique<caf::scoped_actor>(*sys);
    project = sys->spawn(parent, caf::actor{*self});
  }
  ~registry_fixture() { caf::anon_send_exit(project, caf::exit_reason::user_shutdown); }

  template <class T, class... Ts>
  T ask(Ts&&... xs) {
    T out{};
    (*self)
        ->request(project, std::chrono::seconds{10}, std::forward<Ts>(xs)...)
        .receive([&](T& x) { out = std::move(x); },
                 [](caf::error& err) { FAIL(caf::to_string(err)); });
    return out;
  }
  caf::actor conversation(const std::string& wa_id) {
    return ask<caf::actor>(spawn_atom::value, wa_id);
  }
  /// Waits for the idle answer of `wa_id`: whether it was passivated.
  bool idle_answer(const std::string& wa_id) {
    bool passivated = false;
    (*self)->receive(
        [&](idle_atom, const std::string& who, bool p) {
          CHECK(who == wa_id);
          passivated = p;
        },
        caf::after(std::chrono::seconds{10}) >> [] { FAIL("no idle answer"); });
    return passivated;
  }
  /// Waits until `a` has ended.
  void await_down(const caf::actor& a) {
    (*self)->monitor(a);
    bool down = false;
    (*self)->receive([&](caf::down_msg& m) { down = m.source == a.address(); },
                     caf::after(std::chrono::seconds{10}) >> [] {});
    CHECK(down);
  }
};

}  // namespace

TEST_CASE_METHOD(registry_fixture, "one conversation actor per contact, spawned on first use",
                 "[registry]") {
  auto a = conversation("111");
  CHECK(conversation("111") == a);
  CHECK(conversation("222") != a);
  CHECK(ask<std::size_t>(size_atom::value) == 2);
}

TEST_CASE_METHOD(registry_fixture,
                 "an idle conversation is passivated and the next use spawns anew", "[registry]") {
  auto a = conversation("111");
  (*self)->send(project, ask_atom::value, std::int64_t{0});
  CHECK(idle_answer("111"));
  await_down(a);
  CHECK(ask<std::size_t>(size_atom::value) == 0);
  CHECK(conversation("111") != a);
}

TEST_CASE_METHOD(registry_fixture, "a conversation used since it was asked is not passivated",
                 "[registry]") {
  auto a = conversation("111");
  // Asked with a time before its last use: the answer must not passivate it.
  (*self)->send(a, idle_atom::value, std::int64_t{0});
  (*self)->receive(
      [&](idle_atom, const std::string& wa_id, std::int64_t asked_at) {
        (*self)->send(project, idle_atom::value, wa_id, asked_at);
      },
      caf::after(std::chrono::seconds{10}) >> [] { FAIL("no answer from the conversation"); });
  CHECK_FALSE(idle_answer("111"));
  CHECK(ask<std::size_t>(size_atom::value) == 1);
}

TEST_CASE_METHOD(registry_fixture, "only the actor that crashed is forgotten", "[registry]") {
  auto a = conversation("111");
  auto stranger = conversation("222");
  CHECK(ask<std::size_t>(forget_atom::value, std::string{"111"}, stranger) == 2);
  CHECK(ask<std::size_t>(forget_atom::value, std::string{"111"}, a) == 1);
  CHECK(conversation("111") != a);
}

TEST_CASE_METHOD(registry_fixture, "stopping them all ends every conversation actor",
                 "[registry]") {
  auto a = conversation("111");
  auto b = conversation("222");
  CHECK(ask<std::size_t>(stop_atom::value) == 0);
  await_down(a);
  await_down(b);
}
