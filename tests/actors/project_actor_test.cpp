// The project actor against a real control database, with a scripted provisioner.
#include "actors/project_actor.hpp"
#include "actors/core/bot_definition.hpp"
#include "actors/db_pool.hpp"
#include "actors/errors.hpp"
#include "actors/system_config.hpp"
#include "common/metrics.hpp"
#include "storage/control_schema.hpp"
#include "storage/projects.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/test_cluster.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>
#include "actors/provisioner.hpp"

#include <pqxx/pqxx>

using namespace paige::actors;

namespace {

/// Fails every provisioning with `reason`; completes every deprovisioning.
caf::behavior failing_provisioner(caf::event_based_actor* self, std::string reason) {
  return {
      [=](provision_atom, caf::actor project, const std::string&, const std::string&,
          const std::string&,
          const provision_options&) { self->send(project, prov_failed_atom::value, reason); },
      [=](deprovision_atom, caf::actor project, const std::string&, const std::string&) {
        self->send(project, deprovisioned_atom::value);
      },
  };
}

std::string status_in_db(const std::string& conninfo, const std::string& id) {
  pqxx::connection c{conninfo};
  pqxx::work tx{c};
  return tx.exec_params1("SELECT status FROM projects WHERE id = $1", id)[0].as<std::string>();
}

}  // namespace

TEST_CASE("a provisioning failure leaves the project failed with its reason", "[actors][db]") {
  paige::test::fresh_database control;
  {
    pqxx::connection c{control.conninfo()};
    paige::storage::apply_migrations(c, paige::storage::control_migrations_table,
                                     paige::storage::control_migrations());
  }
  auto key = paige::secrets::parse_master_key(std::string(64, '1'));
  paige::storage::project_row row;
  {
    pqxx::connection c{control.conninfo()};
    row = paige::storage::insert_project(
        c,
        {"prj_00000000000000aa", "Doomed", "{}", "paige_p_00000000000000aa",
         "paige_p_00000000000000aa", paige::secrets::seal(key, "pw"), bot::starter_bot().dump()});
  }
  caf::actor_system_config cfg;
  configure_actor_system(cfg, 2);
  add_project_message_types(cfg);
  caf::actor_system sys{cfg};
  paige::metrics::registry metrics;
  auto svc = std::make_shared<project_services>();
  svc->control_db = spawn_db_pool(sys, {control.conninfo(), 1, "control"});
  svc->provisioner = sys.spawn(failing_provisioner, std::string{"disk on fire"});
  svc->master_key = key;
  svc->metrics = &metrics;

  auto project = sys.spawn(project_actor, row, svc);
  REQUIRE(paige::test::wait_until(
      [&] { return status_in_db(control.conninfo(), row.id) == "failed"; }));
  {
    pqxx::connection c{control.conninfo()};
    pqxx::work tx{c};
    CHECK(tx.exec_params1("SELECT status_detail FROM projects WHERE id = $1", row.id)[0]
              .as<std::string>() == "provisioning failed: disk on fire");
  }
  caf::scoped_actor client{sys};
  client->request(project, caf::duration{std::chrono::seconds{10}}, caf::get_atom::value)
      .receive(
          [](project_info& info) {
            CHECK(info.status == "failed");
            CHECK(info.status_detail == "provisioning failed: disk on fire");
          },
          [](caf::error& e) { FAIL(caf::to_string(e)); });
  client->request(project, caf::duration{std::chrono::seconds{10}}, pause_atom::value)
      .receive([](project_info&) { FAIL("a failed project cannot be paused"); },
               [](caf::error& e) { CHECK(api_code_of(e) == "project_not_active"); });
  CHECK_THAT(metrics.expose(), Catch::Contains("paige_projects{status=\"failed\"} 1"));

  // A failed project can be deleted; the actor ends once the row says deleted.
  client->monitor(project);
  client->request(project, caf::duration{std::chrono::seconds{10}}, remove_atom::value)
      .receive([](project_info& info) { CHECK(info.status == "deleting"); },
               [](caf::error& e) { FAIL(caf::to_string(e)); });
  client->receive(
      [](const caf::down_msg& dm) { CHECK(dm.reason == caf::exit_reason::normal); },
      caf::after(std::chrono::seconds{10}) >> [] { FAIL("the project actor did not end"); });
  CHECK(status_in_db(control.conninfo(), row.id) == "deleted");
  CHECK_THAT(metrics.expose(), Catch::Contains("paige_projects{status=\"failed\"} 0"));
  caf::anon_send_exit(svc->provisioner, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(svc->control_db, caf::exit_reason::user_shutdown);
}
