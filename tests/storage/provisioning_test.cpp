#include "storage/provisioning.hpp"
#include "storage/conninfo.hpp"
#include "storage/migrations.hpp"
#include "storage/project_schema.hpp"
#include "storage/table_errors.hpp"
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

/// The admin's connection to the project's database.
std::string admin_to(const project_database& db) {
  return with_params(paige::test::cluster_conninfo(), {{"dbname", db.name}});
}

/// The SQLSTATE `sql` fails with as the project's role, or "" if it succeeds.
std::string as_project(const project_database& db, const std::string& sql) {
  pqxx::connection own{project_conninfo(paige::test::cluster_conninfo(), db)};
  pqxx::work tx{own};
  try {
    tx.exec(sql);
    tx.commit();
    return "";
  } catch (const pqxx::sql_error& e) {
    // libpqxx 6.4 throws some subclasses without their SQLSTATE: classify() knows them.
    if (!e.sqlstate().empty()) return e.sqlstate();
    auto mapped = classify(e);
    return mapped ? mapped->details.value("sqlstate", "?") : "?";
  }
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
  ensure_project_role(admin, db, 64);
  CHECK(exists("SELECT 1 FROM pg_roles WHERE rolname = $1", db.role));
  CHECK_FALSE(exists("SELECT 1 FROM pg_database WHERE datname = $1", db.name));
  // The whole sequence, twice.
  for (int run = 0; run < 2; ++run) {
    ensure_project_role(admin, db, 64);
    ensure_project_database(admin, db);
    auto report = migrate_project_database(admin_to(db), db.role);
    CHECK(report.current_version == static_cast<int>(project_migrations().size()));
    CHECK(report.applied.size() == (run == 0 ? project_migrations().size() : 0u));
  }
  {
    pqxx::connection own{project_conninfo(paige::test::cluster_conninfo(), db)};
    pqxx::work tx{own};
    CHECK(tx.exec("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")[0][0].as<int>() ==
          static_cast<int>(pipeline_table_names().size()));
    CHECK(tx.exec("SELECT has_database_privilege('public', current_database(), 'CONNECT')")[0][0]
              .as<bool>() == false);
    CHECK(tx.exec("SHOW temp_file_limit")[0][0].as<std::string>() == "64MB");
    CHECK(tx.exec("SHOW log_min_error_statement")[0][0].as<std::string>() == "panic");
  }
  drop_project_database(admin, db);
  drop_project_database(admin, db);  // already gone: fine
  CHECK_FALSE(exists("SELECT 1 FROM pg_database WHERE datname = $1", db.name));
  CHECK_FALSE(exists("SELECT 1 FROM pg_roles WHERE rolname = $1", db.role));
}

TEST_CASE("a project's role has the rows of its system tables, not the tables", "[storage][db]") {
  pqxx::connection admin{paige::test::cluster_conninfo()};
  auto db = new_db();
  ensure_project_role(admin, db, 64);
  ensure_project_database(admin, db);
  migrate_project_database(admin_to(db), db.role);
  // What the message pipeline and the API need.
  CHECK(as_project(db, "INSERT INTO contacts (wa_id, name) VALUES ('1555', 'Ada')") == "");
  CHECK(as_project(db, "UPDATE contacts SET name = 'Bo' WHERE wa_id = '1555'") == "");
  CHECK(as_project(db, "SELECT paige_status_rank('read'), count(*) FROM messages") == "");
  CHECK(as_project(db,
                   "CREATE TABLE orders (id bigserial PRIMARY KEY, contact_id bigint REFERENCES "
                   "contacts (id))") == "");
  // No triggers, rules, policies, indexes or changes on them (finding: a BEFORE INSERT
  // trigger on messages that slept 20 s stalled every project of its persistence worker).
  CHECK(as_project(db,
                   "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN PERFORM pg_sleep(20); RETURN NEW; END $$") == "");
  CHECK(as_project(
            db,
            "CREATE TRIGGER slow BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION slow()") ==
        "42501");
  CHECK(as_project(db, "CREATE RULE r AS ON INSERT TO messages DO INSTEAD NOTHING") == "42501");
  CHECK(as_project(db, "CREATE INDEX x ON messages (content)") == "42501");
  CHECK(as_project(db, "ALTER TABLE messages ADD COLUMN x int") == "42501");
  CHECK(as_project(db, "ALTER TABLE messages ENABLE ROW LEVEL SECURITY") == "42501");
  CHECK(as_project(db, "DROP TABLE messages") == "42501");  // the owner of public could
  CHECK(as_project(db, "DROP SCHEMA public CASCADE") == "42501");
  CHECK(as_project(db, "ALTER TABLE messages RENAME TO old_messages") == "42501");
  CHECK(as_project(db, "TRUNCATE messages") == "42501");
  CHECK(
      as_project(
          db,
          "CREATE OR REPLACE FUNCTION paige_status_rank(status text) RETURNS integer LANGUAGE sql "
          "AS $$ SELECT 0 $$") == "42501");
  CHECK(as_project(db, "CREATE TABLE paige.x (id int)") == "42501");
  CHECK(as_project(db,
                   "CREATE TABLE w (wamid text, status text, FOREIGN KEY (wamid, status) "
                   "REFERENCES pending_statuses (wamid, status) ON DELETE CASCADE)") == "42501");
  CHECK(as_project(db, "SELECT * FROM paige.migrations") == "42501");
  drop_project_database(admin, db);
}

TEST_CASE("other projects' databases, roles and sessions are hidden from a project's role",
          "[storage][db]") {
  pqxx::connection admin{paige::test::cluster_conninfo()};
  auto db = new_db();
  ensure_project_role(admin, db, 64);
  ensure_project_database(admin, db);
  migrate_project_database(admin_to(db), db.role);
  for (const char* sql :
       {"SELECT datname FROM pg_database", "SELECT rolname FROM pg_roles", "SELECT * FROM pg_user",
        "SELECT * FROM pg_stat_activity", "SELECT * FROM pg_stat_database",
        "SELECT * FROM pg_locks", "SELECT * FROM pg_auth_members",
        "SELECT * FROM pg_db_role_setting", "SELECT * FROM pg_shdepend",
        "SELECT pg_stat_get_backend_dbid(s) FROM pg_stat_get_backend_idset() s",
        "SELECT pg_stat_get_db_numbackends(1)", "SELECT * FROM pg_stat_get_activity(NULL)"}) {
    INFO(sql);
    CHECK(as_project(db, sql) == "42501");
  }
  // What the API itself reads still works.
  CHECK(as_project(db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "");
  CHECK(as_project(db, "SELECT pg_database_size(current_database())") == "");
  drop_project_database(admin, db);
}

TEST_CASE(
    "a database of an earlier build is taken over: what its project added to the system tables "
    "goes",
    "[storage][db]") {
  pqxx::connection admin{paige::test::cluster_conninfo()};
  auto db = new_db();
  ensure_project_role(admin, db, 64);
  ensure_project_database(admin, db);
  // As earlier builds did: the first migrations over the project role's own connection,
  // tracked in public.paige_migrations; then the project owned its system tables and used them.
  {
    pqxx::connection own{project_conninfo(paige::test::cluster_conninfo(), db)};
    std::vector<migration> legacy(project_migrations().begin(),
                                  project_migrations().begin() + legacy_migrations);
    apply_migrations(own, legacy_migrations_table, legacy);
  }
  CHECK(as_project(db,
                   "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN PERFORM pg_sleep(20); RETURN NEW; END $$") == "");
  CHECK(as_project(
            db,
            "CREATE TRIGGER slow BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION slow()") ==
        "");
  CHECK(as_project(db, "CREATE INDEX extra ON messages (type)") == "");
  CHECK(as_project(db,
                   "ALTER TABLE contacts ADD CONSTRAINT short_names CHECK (length(name) < 100)") ==
        "");
  CHECK(as_project(db, "CREATE SCHEMA paige") == "");  // squatting the admin's schema
  CHECK(as_project(db, "CREATE TABLE paige.migrations (version int, name text)") == "");
  CHECK(as_project(db, "INSERT INTO public.paige_migrations VALUES (99, 'fake') ") == "");
  // An operator the admin's statements would pick over pg_catalog's (CVE-2018-1058's shape):
  // run as the admin, it would record who ran it.
  CHECK(as_project(db, "CREATE TABLE public.ran_as (who text)") == "");
  CHECK(as_project(db, "GRANT INSERT ON public.ran_as TO PUBLIC") == "");
  CHECK(as_project(db,
                   "CREATE FUNCTION public.hijack(oid, regclass) RETURNS boolean LANGUAGE sql AS "
                   "$$ INSERT INTO public.ran_as VALUES (current_user); SELECT $1 = $2::oid $$") ==
        "");
  CHECK(as_project(db,
                   "CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = regclass, FUNCTION = "
                   "public.hijack)") == "");
  CHECK(as_project(
            db,
            "CREATE FUNCTION public.hijack2(oid, regnamespace) RETURNS boolean LANGUAGE sql AS "
            "$$ INSERT INTO public.ran_as VALUES (current_user); SELECT $1 = $2::oid $$") == "");
  CHECK(as_project(db,
                   "CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = regnamespace, FUNCTION = "
                   "public.hijack2)") == "");
  auto report = migrate_project_database(admin_to(db), db.role, true);
  CHECK(report.applied == std::vector<int>{5, 6, 7, 8});
  pqxx::connection c{admin_to(db)};
  pqxx::work tx{c};
  CHECK(tx.exec("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'messages'::regclass AND NOT "
                "tgisinternal")[0][0]
            .as<int>() == 0);
  CHECK(tx.exec("SELECT count(*) FROM pg_indexes WHERE indexname = 'extra'")[0][0].as<int>() == 0);
  CHECK(
      tx.exec("SELECT count(*) FROM pg_constraint WHERE conname = 'short_names'")[0][0].as<int>() ==
      0);
  CHECK(tx.exec("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN "
                "('contacts', 'conversations', 'messages', 'pending_statuses') AND tableowner = "
                "current_user")[0][0]
            .as<int>() == 4);
  CHECK(tx.exec("SELECT pg_get_userbyid(nspowner) = current_user FROM pg_namespace WHERE nspname = "
                "'paige'")[0][0]
            .as<bool>());
  CHECK(tx.exec("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'paige_displaced_%'")[0][0]
            .as<int>() == 1);
  CHECK(tx.exec("SELECT array_agg(version ORDER BY version)::text FROM paige.migrations")[0][0]
            .as<std::string>() == "{1,2,3,4,5,6,7,8}");
  CHECK(tx.exec("SELECT count(*) FROM public.ran_as")[0][0].as<int>() ==
        0);  // none of its code ran as the admin
  tx.commit();
  CHECK(
      as_project(
          db,
          "CREATE TRIGGER slow2 BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION slow()") ==
      "42501");
  CHECK(as_project(db, "INSERT INTO contacts (wa_id) VALUES ('1')") == "");
  drop_project_database(admin, db);
  drop_project_database(admin, db);  // already gone: fine
  CHECK_FALSE(exists("SELECT 1 FROM pg_database WHERE datname = $1", db.name));
  CHECK_FALSE(exists("SELECT 1 FROM pg_roles WHERE rolname = $1", db.role));
}

TEST_CASE("a password change on re-provisioning takes effect", "[storage][db]") {
  pqxx::connection admin{paige::test::cluster_conninfo()};
  auto db = new_db();
  ensure_project_role(admin, db, 64);
  ensure_project_database(admin, db);
  db.password = paige::secrets::random_hex(16);
  ensure_project_role(admin, db, 64);
  auto server = parse_conninfo(paige::test::cluster_conninfo());
  auto tcp = make_conninfo({{"host", "127.0.0.1"},
                            {"port", server["port"]},
                            {"dbname", db.name},
                            {"user", db.role},
                            {"password", db.password}});
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
  CHECK_THROWS_AS(ensure_project_role(admin, {"x", "postgres", "pw"}, 64), std::invalid_argument);
  CHECK_THROWS_AS(drop_project_database(admin, {"paige", "paige_p_0123456789abcdef", ""}),
                  std::invalid_argument);
}

TEST_CASE("a connection's parameters as a URL read back the same by libpq", "[storage]") {
  conninfo_params tcp{{"host", "127.0.0.1"},         {"port", "5433"},
                      {"dbname", "paige_p_0123"},    {"user", "paige_p_0123"},
                      {"password", "p@ss:w/rd?&=%"}, {"connect_timeout", "5"}};
  CHECK(conninfo_url(tcp) ==
        "postgresql://paige_p_0123:p%40ss%3Aw%2Frd%3F%26%3D%25@127.0.0.1:5433/"
        "paige_p_0123?connect_timeout=5");
  CHECK(parse_conninfo(conninfo_url(tcp)) == tcp);
  conninfo_params socket{{"host", "/var/run/postgresql"}, {"port", "5432"}, {"dbname", "d"}};
  CHECK(conninfo_url(socket) == "postgresql:///d?host=%2Fvar%2Frun%2Fpostgresql&port=5432");
  CHECK(parse_conninfo(conninfo_url(socket)) == socket);
  conninfo_params v6{{"host", "::1"}, {"port", "5432"}, {"dbname", "d"}, {"user", "u"}};
  CHECK(conninfo_url(v6) == "postgresql://u@[::1]:5432/d");
  CHECK(parse_conninfo(conninfo_url(v6)) == v6);
}
