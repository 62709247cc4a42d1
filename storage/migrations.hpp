/// @file
/// @brief Versioned, transactional schema migrations.
///
/// Each migration runs in its own transaction together with the row that records it, under
/// an advisory lock, so a crash leaves it applied or not at all, two nodes starting at once
/// apply it once, and running the list again changes nothing.
#pragma once

#include <string>
#include <vector>

namespace pqxx {
class connection_base;
}

namespace paige::storage {

/// One schema change. Versions start at 1 and increase by one.
struct migration {
  int version;
  std::string name;
  std::string sql;  ///< may hold several statements
  /// The search_path the migration runs with (empty: the connection's). A migration that may
  /// meet objects a less trusted role created (a project's, in its own database) runs with
  /// "pg_catalog, pg_temp" and names everything else with its schema: an operator or function
  /// that role put in public cannot stand in for pg_catalog's then.
  std::string search_path = {};
};

/// What apply_migrations did.
struct migration_report {
  std::vector<int> applied;  ///< versions applied by this call
  int current_version = 0;   ///< highest version now recorded
};

/// Applies the migrations of `list` not yet recorded in `tracking_table` (a table name, or
/// "schema.table" in an existing schema). Throws
/// std::runtime_error if the list is malformed, if the database records a version this
/// list does not know (a newer binary migrated it), or if a migration fails (its
/// transaction is rolled back; earlier ones stay).
migration_report apply_migrations(pqxx::connection_base& conn, const std::string& tracking_table,
                                  const std::vector<migration>& list);

}  // namespace paige::storage
