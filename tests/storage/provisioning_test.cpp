#include "storage/conninfo.hpp"
#include "storage/project_schema.hpp"
#include "storage/provisioning.hpp"
#include "tests/support/test_cluster.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "common/secrets.hpp"

using namespace paige::storage;

namespace {

project_database new_db() {
  auto hex = paige::secrets::random_hex(8);
  return {"paige_p_" + hex, "paige_p_" + hex, paige::secrets::random_hex(16)};
}

bool exists(const std::string& sql, const std::string& name) {
  pqxx::connection c{paige::test::cluster_conninfo()};
  pqxx::work tx{c};
  return !tx.exec_params(sql, name).empty();
}

}  // namespace

TEST_CASE("provisioning resumes from any step and can run twice", "[storage][db]") {
  pqxx::connection admin{paige::test::cluster_conninfo()};
  auto db = new_db();
  // A crash right after the role was created:
  ensure_project_role(admin, db);
  CHECK(exists("SELECT 1 FROM pg_roles WHERE rolname = $1", db.role));
  CHECK_FALSE(exists("SELECT 1 FROM pg_database WHERE datname = $1", db.name));
  // The whole sequence, twice.
  for (int run = 0; run < 2; ++run) {
    ensure_project_role(admin, db);
    ensure_project_database(admin, db);
    auto report = migrate_project_database(project_conninfo(paige::test::cluster_conninfo(), db));
    CHECK(report.current_version == static_cast<int>(project_migrations().size()));
    CHECK(report.applied.size() == (run == 0 ? project_migrations().size() : 0u));
  }
  {
    pqxx::connection own{project_conninfo(paige::test::cluster_conninfo(), db)};
    pqxx::work tx{own};
    CHECK(tx.exec("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")[0][0].as<int>() ==
          static_cast<int>(system_table_names().size()));
    CHECK(tx.exec("SELECT has_database_privilege('public', current_database(), 'CONNECT')")[0][0].as<bool>() == false);
  }
  drop_project_database(admin, db);
  drop_project_database(admin, db);  // already gone: fine
  CHECK_FALSE(exists("SELECT 1 FROM pg_database WHERE datname = $1", db.name));
  CHECK_FALSE(exists("SELECT 1 FROM pg_roles WHERE rolname = $1", db.role));
}

TEST_CASE("a password change on re-provisioning takes effect", "[storage][db]") {
  pqxx::connection admin{paige::test::cluster_conninfo()};
  auto db = new_db();
  ensure_project_role(admin, db);
  ensure_project_database(admin, db);
  db.password = paige::secrets::random_hex(16);
  ensure_project_role(admin, db);
  auto server = parse_conninfo(paige::test::cluster_conninfo());
  auto tcp = make_conninfo({{"host", "127.0.0.1"}, {"port", server["port"]}, {"dbname", db.name},
                            {"user", db.role}, {"password", db.password}});
  CHECK_NOTHROW(pqxx::connection{tcp});
  drop_project_database(admin, db);
}

TEST_CASE("only generated identifiers reach DDL", "[storage]") {
  CHECK(is_project_identifier("paige_p_0123456789abcdef"));
  CHECK_FALSE(is_project_identifier("paige_p_0123456789ABCDEF"));
  CHECK_FALSE(is_project_identifier("paige_p_; drop database paige"));
  CHECK_FALSE(is_project_identifier("postgres"));
  CHECK_FALSE(is_project_identifier("paige_p_0123\"x"));
  pqxx::connection admin{paige::test::cluster_conninfo()};
  CHECK_THROWS_AS(ensure_project_role(admin, {"x", "postgres", "pw"}), std::invalid_argument);
  CHECK_THROWS_AS(drop_project_database(admin, {"paige", "paige_p_0123456789abcdef", ""}),
                  std::invalid_argument);
}
