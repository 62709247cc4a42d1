#include "storage/provisioning.hpp"

#include "storage/conninfo.hpp"
#include "storage/migrations.hpp"
#include "storage/project_schema.hpp"
#include "storage/session_state.hpp"

#include <pqxx/pqxx>

#include <regex>
#include <stdexcept>

namespace paige::storage {
namespace {

void require_identifier(const std::string& name) {
  if (!is_project_identifier(name))
    throw std::invalid_argument("refusing a non-generated database identifier: " + name);
}

bool is_superuser(pqxx::transaction_base& tx) {
  return tx.exec("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[0][0].as<bool>();
}

}  // namespace

bool is_project_identifier(const std::string& name) {
  static const std::regex pattern{"^paige_p_[0-9a-f]{16,32}$"};
  return std::regex_match(name, pattern);
}

void ensure_project_role(pqxx::connection& admin, const project_database& db,
                         int temp_file_limit_mb) {
  require_identifier(db.role);
  {
    pqxx::work tx{admin};
    auto role = tx.quote_name(db.role);
    bool exists = !tx.exec_params("SELECT 1 FROM pg_roles WHERE rolname = $1", db.role).empty();
    // DDL takes no parameters: the password is quoted as a literal.
    tx.exec(std::string{exists ? "ALTER" : "CREATE"} + " ROLE " + role +
            " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD " +
            tx.quote(db.password));
    // A non-superuser admin must be a member of the role to create a database it owns.
    if (!is_superuser(tx)) tx.exec("GRANT " + role + " TO CURRENT_USER");
    tx.commit();
  }
  set_role_limits(admin, db.role, temp_file_limit_mb);
}

bool set_role_limits(pqxx::connection& admin, const std::string& role, int temp_file_limit_mb) {
  require_identifier(role);
  pqxx::work tx{admin};
  if (!is_superuser(tx)) return false;
  auto name = tx.quote_name(role);
  // Superuser-only settings, so the role cannot change them back. Its errors, statements and
  // values stay out of the server's log (the server log is shared by every project).
  for (const std::string& setting :
       {"temp_file_limit = " + tx.quote(std::to_string(temp_file_limit_mb) + "MB"),
        std::string{"log_min_messages = fatal"}, std::string{"log_min_error_statement = panic"},
        std::string{"log_statement = none"}, std::string{"log_min_duration_statement = -1"},
        std::string{"log_duration = off"}, std::string{"log_lock_waits = off"}})
    tx.exec("ALTER ROLE " + name + " SET " + setting);
  tx.commit();
  return true;
}

void ensure_project_database(pqxx::connection& admin, const project_database& db) {
  require_identifier(db.name);
  require_identifier(db.role);
  {
    pqxx::nontransaction tx{admin};  // CREATE DATABASE cannot run inside a transaction
    if (tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", db.name).empty()) {
      try {
        tx.exec("CREATE DATABASE " + tx.quote_name(db.name) + " OWNER " + tx.quote_name(db.role) +
                " ENCODING 'UTF8' TEMPLATE template1");
      } catch (const pqxx::sql_error& e) {
        if (e.sqlstate() != "42P04") throw;  // created meanwhile: fine
      }
    }
  }
  pqxx::work tx{admin};
  auto name = tx.quote_name(db.name);
  tx.exec("REVOKE CONNECT, TEMPORARY ON DATABASE " + name + " FROM PUBLIC");
  tx.exec("GRANT CONNECT, TEMPORARY ON DATABASE " + name + " TO " + tx.quote_name(db.role));
  tx.commit();
}

const std::vector<std::string>& hidden_catalog_objects() {
  static const std::vector<std::string> objects{
      // Shared catalogs and the views over them: other databases, roles, their settings.
      "TABLE pg_catalog.pg_database", "TABLE pg_catalog.pg_roles", "TABLE pg_catalog.pg_user",
      "TABLE pg_catalog.pg_group", "TABLE pg_catalog.pg_auth_members",
      "TABLE pg_catalog.pg_db_role_setting", "TABLE pg_catalog.pg_shdepend",
      "TABLE pg_catalog.pg_shdescription", "TABLE pg_catalog.pg_shseclabel",
      "TABLE pg_catalog.pg_seclabels", "TABLE pg_catalog.pg_tablespace",
      // Every session of the server, its database, role and statement.
      "TABLE pg_catalog.pg_stat_activity", "TABLE pg_catalog.pg_stat_database",
      "TABLE pg_catalog.pg_stat_database_conflicts", "TABLE pg_catalog.pg_stat_ssl",
      "TABLE pg_catalog.pg_stat_gssapi", "TABLE pg_catalog.pg_locks",
      "TABLE pg_catalog.pg_prepared_xacts", "TABLE pg_catalog.pg_replication_slots",
      "TABLE pg_catalog.pg_stat_replication", "TABLE pg_catalog.pg_stat_replication_slots",
      "TABLE pg_catalog.pg_stat_subscription", "TABLE pg_catalog.pg_stat_wal_receiver",
      "TABLE pg_catalog.pg_stat_progress_vacuum", "TABLE pg_catalog.pg_stat_progress_analyze",
      "TABLE pg_catalog.pg_stat_progress_cluster", "TABLE pg_catalog.pg_stat_progress_create_index",
      "TABLE pg_catalog.pg_stat_progress_basebackup", "TABLE pg_catalog.pg_stat_progress_copy",
      // The functions behind those views.
      "FUNCTION pg_catalog.pg_stat_get_activity(integer)",
      "FUNCTION pg_catalog.pg_stat_get_progress_info(text)", "FUNCTION pg_catalog.pg_lock_status()",
      "FUNCTION pg_catalog.pg_blocking_pids(integer)",
      "FUNCTION pg_catalog.pg_safe_snapshot_blocking_pids(integer)",
      "FUNCTION pg_catalog.pg_isolation_test_session_is_blocked(integer, integer[])",
      "FUNCTION pg_catalog.pg_prepared_xact()", "FUNCTION pg_catalog.pg_tablespace_databases(oid)",
      "FUNCTION pg_catalog.pg_get_replication_slots()",
      "FUNCTION pg_catalog.pg_stat_get_wal_receiver()",
      "FUNCTION pg_catalog.pg_stat_get_subscription(oid)",
      "FUNCTION pg_catalog.pg_stat_get_backend_idset()",
      "FUNCTION pg_catalog.pg_stat_get_replication_slot(text)"};
  return objects;
}

namespace {

/// Revokes hidden_catalog_objects() and every per-backend and per-database statistics
/// function (pg_stat_get_backend_*, pg_stat_get_db_*) from PUBLIC in the connected database.
void hide_other_projects(pqxx::work& tx) {
  for (const auto& object : hidden_catalog_objects()) {
    bool function = object.rfind("FUNCTION ", 0) == 0;
    tx.exec("REVOKE " + std::string{function ? "EXECUTE" : "SELECT"} + " ON " + object +
            " FROM PUBLIC");
  }
  auto stats = tx.exec(
      "SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p "
      "WHERE p.pronamespace = 'pg_catalog'::regnamespace "
      "AND (p.proname LIKE 'pg\\_stat\\_get\\_backend\\_%' OR p.proname LIKE "
      "'pg\\_stat\\_get\\_db\\_%')");
  for (const auto& row : stats)
    tx.exec("REVOKE EXECUTE ON FUNCTION pg_catalog." + row[0].as<std::string>() + " FROM PUBLIC");
}

/// Makes the admin's schema `paige` (where the migrations are tracked) and, for a database of
/// an earlier build, records there the migrations its public.paige_migrations holds. A schema
/// `paige` the project made itself is renamed aside: the admin trusts only what it owns.
/// `migrated_before`: the project was active before, so every legacy migration was applied
/// (its table is the project's and is not read: the admin runs none of the project's code).
void prepare_tracking(pqxx::connection& c, bool migrated_before) {
  pqxx::work tx{c};
  auto owner = tx.exec(
      "SELECT pg_catalog.pg_get_userbyid(nspowner) = current_user FROM pg_catalog.pg_namespace "
      "WHERE nspname = 'paige'");
  if (!owner.empty() && !owner[0][0].as<bool>())
    tx.exec("ALTER SCHEMA paige RENAME TO " +
            tx.quote_name("paige_displaced_" +
                          tx.exec1("SELECT pg_catalog.txid_current()")[0].as<std::string>()));
  tx.exec("CREATE SCHEMA IF NOT EXISTS paige");
  tx.exec("REVOKE ALL ON SCHEMA paige FROM PUBLIC");
  bool tracked = !tx.exec(
                        "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON "
                        "n.oid = c.relnamespace "
                        "WHERE n.nspname = 'paige' AND c.relname = 'migrations'")
                      .empty();
  bool legacy =
      !tx.exec(
             "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = "
             "c.relnamespace "
             "WHERE n.nspname = 'public' AND c.relname = 'paige_migrations' AND c.relkind = 'r'")
           .empty();
  if (!tracked && legacy) {
    int applied =
        migrated_before
            ? legacy_migrations
            : tx.exec("SELECT coalesce(max(version), 0) FROM public.paige_migrations")[0][0]
                  .as<int>();
    tx.exec(
        "CREATE TABLE paige.migrations (version integer PRIMARY KEY, name text NOT NULL, "
        "applied_at timestamptz NOT NULL DEFAULT now())");
    const auto& list = project_migrations();
    for (int v = 1; v <= applied && v <= static_cast<int>(list.size()); ++v)
      tx.exec_params("INSERT INTO paige.migrations (version, name) VALUES ($1, $2)", v,
                     list[v - 1].name);
  }
  tx.commit();
}

}  // namespace

migration_report migrate_project_database(const std::string& admin_db_conninfo,
                                          const std::string& role, bool migrated_before) {
  if (!role.empty()) require_identifier(role);
  pqxx::connection c{admin_db_conninfo};
  // The admin (perhaps a superuser) meets here what the project made in its database: names
  // resolve in pg_catalog only (no operator or function of public's, no schema named like
  // the admin); everything else is named with its schema. Migrations 1-4 set their own.
  no_silent_reconnect(c);  // this search_path holds, or the migration fails
  pqxx::nontransaction{c}.exec0("SET search_path = pg_catalog, pg_temp");
  prepare_tracking(c, migrated_before);
  auto report = apply_migrations(c, project_migrations_table, project_migrations());
  if (role.empty()) return report;
  pqxx::work tx{c};
  auto grantee = tx.quote_name(role);
  std::string tables;
  for (const auto& t : pipeline_table_names())
    tables += (tables.empty() ? "public." : ", public.") + tx.quote_name(t);
  // The owner of a schema may drop any table in it: public becomes the admin's, and the
  // project keeps the right to create (and own) its tables there.
  tx.exec("ALTER SCHEMA public OWNER TO CURRENT_USER");
  tx.exec("GRANT USAGE, CREATE ON SCHEMA public TO " + grantee);
  tx.exec("GRANT SELECT, INSERT, UPDATE, DELETE ON " + tables + " TO " + grantee);
  // A project's table may reference contacts, conversations and messages, whose rows the
  // pipeline never deletes; not pending_statuses, whose deletes would run its ON DELETE code.
  tx.exec("GRANT REFERENCES ON public.contacts, public.conversations, public.messages TO " +
          grantee);
  tx.exec(
      "GRANT USAGE, SELECT ON SEQUENCE public.contacts_id_seq, public.conversations_id_seq, "
      "public.messages_id_seq, public.broadcasts_id_seq, public.flow_answers_id_seq TO " +
      grantee);
  if (is_superuser(tx)) hide_other_projects(tx);
  tx.commit();
  return report;
}

void drop_project_database(pqxx::connection& admin, const project_database& db) {
  require_identifier(db.name);
  require_identifier(db.role);
  pqxx::nontransaction tx{admin};
  tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(db.name) + " WITH (FORCE)");
  tx.exec("DROP ROLE IF EXISTS " + tx.quote_name(db.role));
}

std::string project_conninfo(const std::string& server_conninfo, const project_database& db) {
  return with_params(server_conninfo,
                     {{"dbname", db.name}, {"user", db.role}, {"password", db.password}});
}

}  // namespace paige::storage
