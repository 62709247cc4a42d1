#include "actors/provisioner.hpp"
#include "actors/db_pool.hpp"
#include "actors/project_types.hpp"
#include "actors/system_config.hpp"
#include "common/secrets.hpp"
#include "tests/support/test_cluster.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>
#include <pqxx/pqxx>

using namespace paige::actors;

TEST_CASE("backoff doubles from 250 ms, is capped, and jitters down to half", "[actors]") {
  using std::chrono::milliseconds;
  CHECK(provisioning_backoff(2, 1.0) == milliseconds{250});
  CHECK(provisioning_backoff(3, 1.0) == milliseconds{500});
  CHECK(provisioning_backoff(4, 1.0) == milliseconds{1000});
  CHECK(provisioning_backoff(40, 1.0) == milliseconds{10000});
  CHECK(provisioning_backoff(3, 0.0) == milliseconds{250});
}

TEST_CASE("connection and contention errors are transient, others permanent", "[actors]") {
  for (const char* s : {"08006", "08001", "53300", "57P03", "40001", "40P01", "55P03"})
    CHECK(is_transient_sqlstate(s));
  for (const char* s : {"42501", "42P04", "23505", "57014", "XX000", ""})
    CHECK_FALSE(is_transient_sqlstate(s));
}

TEST_CASE("the provisioner reports success, and permanent failure with its reason",
          "[actors][db]") {
  caf::actor_system_config cfg;
  configure_actor_system(cfg, 2);
  caf::actor_system sys{cfg};
  auto admin = spawn_db_pool(sys, {paige::test::cluster_conninfo(), 1, "admin"});
  auto prov = spawn_provisioner(sys, admin, paige::test::cluster_conninfo());
  caf::scoped_actor project{sys};
  auto name = "paige_p_" + paige::secrets::random_hex(8);

  project->send(prov, provision_atom::value, caf::actor{project}, name, name, std::string{"pw-1"});
  bool done = false;
  project->receive([&](provisioned_atom) { done = true; },
                   [&](prov_failed_atom, const std::string& reason) { FAIL(reason); },
                   caf::after(std::chrono::seconds{30}) >> [] { FAIL("no answer"); });
  CHECK(done);

  project->send(prov, provision_atom::value, caf::actor{project}, std::string{"bad name"},
                std::string{"bad name"}, std::string{"pw"});
  std::string reason;
  project->receive([&](prov_failed_atom, const std::string& r) { reason = r; },
                   caf::after(std::chrono::seconds{30}) >> [] { FAIL("no answer"); });
  CHECK_THAT(reason, Catch::Contains("non-generated"));

  // A second request while the first runs (a restarted project actor) takes over the answer.
  caf::scoped_actor first{sys}, second{sys};
  auto twice = "paige_p_" + paige::secrets::random_hex(8);
  first->send(prov, provision_atom::value, caf::actor{first}, twice, twice, std::string{"pw-2"});
  second->send(prov, provision_atom::value, caf::actor{second}, twice, twice, std::string{"pw-2"});
  bool second_told = false;
  second->receive([&](provisioned_atom) { second_told = true; },
                  [&](prov_failed_atom, const std::string& r) { FAIL(r); },
                  caf::after(std::chrono::seconds{30}) >> [] { FAIL("no answer"); });
  CHECK(second_told);
  bool first_told = false;
  first->receive([&](provisioned_atom) { first_told = true; },
                 caf::after(std::chrono::milliseconds{300}) >> [] {});
  CHECK_FALSE(first_told);
  project->send(prov, deprovision_atom::value, caf::actor{project}, twice, twice);
  project->receive([](deprovisioned_atom) {},
                   caf::after(std::chrono::seconds{30}) >> [] { FAIL("no answer"); });

  project->send(prov, deprovision_atom::value, caf::actor{project}, name, name);
  bool dropped = false;
  project->receive([&](deprovisioned_atom) { dropped = true; },
                   caf::after(std::chrono::seconds{30}) >> [] { FAIL("no answer"); });
  CHECK(dropped);
  caf::anon_send_exit(prov, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(admin, caf::exit_reason::user_shutdown);
}
