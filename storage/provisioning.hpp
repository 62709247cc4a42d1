/// @file
/// @brief Creating and dropping a project's database and role. Every step is idempotent, so
/// provisioning interrupted anywhere can simply run again.
#pragma once

#include "storage/migrations.hpp"

#include <string>

#include <pqxx/connection>

namespace paige::storage {

/// A project's database, its owning role and that role's password.
struct project_database {
  std::string name;
  std::string role;
  std::string password;
};

/// Whether `name` is a safe generated identifier (`paige_p_` + hex); everything here refuses
/// other names, so no user text ever reaches DDL.
bool is_project_identifier(const std::string& name);

/// Creates the role (LOGIN, no other privilege), or resets its password if it exists.
/// `admin` must be a superuser or have CREATEROLE.
void ensure_project_role(pqxx::connection& admin, const project_database& db);

/// Creates the database owned by the role unless it exists, and makes it reachable by that
/// role only (CONNECT and TEMPORARY revoked from PUBLIC).
void ensure_project_database(pqxx::connection& admin, const project_database& db);

/// Applies the project migrations, connected as the project's role (so it owns the tables).
migration_report migrate_project_database(const std::string& project_conninfo);

/// Drops the database (closing its connections) and the role; missing ones are fine.
void drop_project_database(pqxx::connection& admin, const project_database& db);

/// How the project's role connects: the server of `server_conninfo`, with the project's
/// database, role and password.
std::string project_conninfo(const std::string& server_conninfo, const project_database& db);

}  // namespace paige::storage
