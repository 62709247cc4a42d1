/// @file
/// @brief A fresh project database with one persistence worker serving it, for tests of the
/// actors on the message path.
#pragma once

#include "actors/persistence.hpp"
#include "actors/system_config.hpp"
#include "storage/provisioning.hpp"
#include "tests/support/test_cluster.hpp"

#include <caf/all.hpp>
#include <pqxx/pqxx>

#include <memory>
#include <string>

namespace paige::test {

struct persistence_fixture {
  fresh_database db;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor worker;
  std::string project = "p1";

  explicit persistence_fixture(std::chrono::milliseconds linger = actors::default_write_linger,
                               std::chrono::milliseconds idle_close = actors::default_idle_close) {
    storage::migrate_project_database(db.conninfo());
    actors::configure_actor_system(cfg, 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    actors::persistence_options options;
    options.linger = linger;
    options.idle_close = idle_close;
    worker = actors::spawn_persistence(*sys, 1, options).front();
    caf::anon_send(worker, actors::register_atom::value, project, db.conninfo());
  }
  ~persistence_fixture() {
    caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
    sys->await_all_actors_done();
  }

  int count(const std::string& sql) {
    pqxx::connection c{db.conninfo()};
    pqxx::work tx{c};
    return tx.exec1(sql)[0].as<int>();
  }
};

}  // namespace paige::test
