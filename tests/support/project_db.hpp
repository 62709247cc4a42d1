/// @file
/// @brief A provisioned, migrated project database in the test cluster, dropped afterwards.
#pragma once

#include "common/secrets.hpp"
#include "storage/conninfo.hpp"
#include "storage/provisioning.hpp"
#include "tests/support/test_cluster.hpp"

#include <pqxx/pqxx>

#include <string>

namespace paige::test {

struct project_db {
  storage::project_database db;
  std::string conninfo;
  project_db() {
    auto hex = secrets::random_hex(8);
    db = {"paige_p_" + hex, "paige_p_" + hex, secrets::random_hex(12)};
    pqxx::connection admin{cluster_conninfo()};
    storage::ensure_project_role(admin, db, 1024);
    storage::ensure_project_database(admin, db);
    conninfo = storage::project_conninfo(cluster_conninfo(), db);
    // As provisioning does: the admin migrates, the project's role writes the rows.
    storage::migrate_project_database(
        storage::with_params(cluster_conninfo(), {{"dbname", db.name}}), db.role);
  }
  ~project_db() {
    pqxx::connection admin{cluster_conninfo()};
    storage::drop_project_database(admin, db);
  }
  project_db(const project_db&) = delete;
  project_db& operator=(const project_db&) = delete;
};

}  // namespace paige::test
