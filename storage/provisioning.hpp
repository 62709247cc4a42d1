/// @file
/// @brief Creating and dropping a project's database and role. Every step is idempotent, so
/// provisioning interrupted anywhere can simply run again.
#pragma once

#include "storage/migrations.hpp"

#include <string>
#include <vector>

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
/// `admin` must be a superuser or have CREATEROLE. See set_role_limits for its settings.
void ensure_project_role(pqxx::connection& admin, const project_database& db,
                         int temp_file_limit_mb);

/// The role's session settings only a superuser may change: temporary files per session up to
/// `temp_file_limit_mb`, and nothing of its statements, errors or values in the server's log
/// (log_min_messages fatal, log_min_error_statement panic, no statement or duration logging).
/// Returns false (and changes nothing) when `admin` is not a superuser.
bool set_role_limits(pqxx::connection& admin, const std::string& role, int temp_file_limit_mb);

/// Creates the database owned by the role unless it exists, and makes it reachable by that
/// role only (CONNECT and TEMPORARY revoked from PUBLIC).
void ensure_project_database(pqxx::connection& admin, const project_database& db);

/// Readies the project's database, connected to it as the admin (`admin_db_conninfo`):
/// applies the project migrations (the admin owns the system tables, so the project cannot
/// add triggers, rules or indexes to them or alter them), grants `role` what the message
/// pipeline and the API need on them (rows: read, insert, update, delete; no DDL), and, where
/// the admin is a superuser, hides the other projects' databases, roles and activity from it
/// (see hidden_catalog_objects). With an empty `role` only the migrations run (tests).
/// `migrated_before`: the project was active under an earlier build, whose migrations it
/// tracked in a table of its own; they were all applied, and that table is not read.
migration_report migrate_project_database(const std::string& admin_db_conninfo,
                                          const std::string& role = {},
                                          bool migrated_before = false);

/// The catalog views and functions whose SELECT or EXECUTE is revoked from PUBLIC in every
/// project database: they show other databases, roles, sessions and their statements.
const std::vector<std::string>& hidden_catalog_objects();

/// Drops the database (closing its connections) and the role; missing ones are fine.
void drop_project_database(pqxx::connection& admin, const project_database& db);

/// How the project's role connects: the server of `server_conninfo`, with the project's
/// database, role and password.
std::string project_conninfo(const std::string& server_conninfo, const project_database& db);

}  // namespace paige::storage
