#include "storage/migrations.hpp"
#include "storage/control_schema.hpp"
#include "tests/support/test_cluster.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

using namespace paige::storage;

namespace {

std::vector<std::string> tables(pqxx::connection& c) {
  pqxx::work tx{c};
  std::vector<std::string> out;
  for (const auto& row : tx.exec("SELECT table_name FROM information_schema.tables "
                                 "WHERE table_schema = 'public' ORDER BY table_name"))
    out.push_back(row[0].as<std::string>());
  return out;
}

const std::vector<migration> two{
    {1, "widgets", "CREATE TABLE widgets (id serial PRIMARY KEY, name text NOT NULL)"},
    {2, "widget colour",
     "ALTER TABLE widgets ADD COLUMN colour text; "
     "INSERT INTO widgets (name, colour) VALUES ('w', 'red')"},
};

}  // namespace

TEST_CASE("migrations apply in order and a second run changes nothing", "[storage][db]") {
  paige::test::fresh_database db;
  pqxx::connection c{db.conninfo()};
  auto first = apply_migrations(c, "schema_migrations", two);
  CHECK(first.applied == std::vector<int>{1, 2});
  CHECK(first.current_version == 2);
  auto second = apply_migrations(c, "schema_migrations", two);
  CHECK(second.applied.empty());
  CHECK(second.current_version == 2);
  pqxx::work tx{c};
  CHECK(tx.exec("SELECT count(*) FROM widgets")[0][0].as<int>() == 1);
  CHECK(tx.exec("SELECT count(*) FROM schema_migrations")[0][0].as<int>() == 2);
}

TEST_CASE("a failing migration is rolled back whole, earlier ones stay", "[storage][db]") {
  paige::test::fresh_database db;
  pqxx::connection c{db.conninfo()};
  auto broken = two;
  broken.push_back({3, "half done", "CREATE TABLE gadgets (id int); SELECT no_such_function()"});
  CHECK_THROWS_WITH(apply_migrations(c, "schema_migrations", broken),
                    Catch::Contains("migration 3 (half done) failed"));
  CHECK(tables(c) == std::vector<std::string>{"schema_migrations", "widgets"});
  pqxx::work tx{c};
  CHECK(tx.exec("SELECT max(version) FROM schema_migrations")[0][0].as<int>() == 2);
}

TEST_CASE("a database migrated by a newer binary is refused", "[storage][db]") {
  paige::test::fresh_database db;
  pqxx::connection c{db.conninfo()};
  apply_migrations(c, "schema_migrations", two);
  std::vector<migration> older{two[0]};
  CHECK_THROWS_WITH(apply_migrations(c, "schema_migrations", older),
                    Catch::Contains("newer than this binary"));
}

TEST_CASE("a malformed migration list is refused before touching the database", "[storage][db]") {
  paige::test::fresh_database db;
  pqxx::connection c{db.conninfo()};
  std::vector<migration> gap{{1, "a", "SELECT 1"}, {3, "c", "SELECT 1"}};
  CHECK_THROWS_WITH(apply_migrations(c, "schema_migrations", gap),
                    Catch::Contains("versions 1, 2, 3"));
  CHECK(tables(c).empty());
}

TEST_CASE("the control schema applies cleanly and idempotently", "[storage][db]") {
  paige::test::fresh_database db;
  pqxx::connection c{db.conninfo()};
  auto first = apply_migrations(c, control_migrations_table, control_migrations());
  CHECK(first.current_version == static_cast<int>(control_migrations().size()));
  auto before = tables(c);
  CHECK(apply_migrations(c, control_migrations_table, control_migrations()).applied.empty());
  CHECK(tables(c) == before);
}
