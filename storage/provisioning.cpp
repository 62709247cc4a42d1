#include "storage/provisioning.hpp"

#include "storage/conninfo.hpp"
#include "storage/project_schema.hpp"

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

void ensure_project_role(pqxx::connection& admin, const project_database& db) {
  require_identifier(db.role);
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

migration_report migrate_project_database(const std::string& project_conninfo) {
  pqxx::connection c{project_conninfo};
  return apply_migrations(c, project_migrations_table, project_migrations());
}

void drop_project_database(pqxx::connection& admin, const project_database& db) {
  require_identifier(db.name);
  require_identifier(db.role);
  pqxx::nontransaction tx{admin};
  tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(db.name) + " WITH (FORCE)");
  tx.exec("DROP ROLE IF EXISTS " + tx.quote_name(db.role));
}

std::string project_conninfo(const std::string& server_conninfo, const project_database& db) {
  return with_params(server_conninfo, {{"dbname", db.name}, {"user", db.role}, {"password", db.password}});
}

}  // namespace paige::storage
