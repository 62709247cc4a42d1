/// @file
/// @brief Rows of a project table for the table editor: keyset browsing and single-row
/// writes. Values are checked against their column's type and always bound as parameters;
/// system tables are read-only here. Run inside a transaction connected as the project's
/// role, with the session TimeZone UTC; failures throw table_error (or pqxx errors).
///
/// Browsing never uses OFFSET or count(*): a page is `WHERE (order column, key) after the
/// cursor ORDER BY order column, key LIMIT n+1`, where the key is the primary key (ctid for a
/// table without one), so rows are neither skipped nor repeated when others are inserted.
#pragma once

#include "storage/table_schema.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace paige::storage {

struct browse_request {
  int limit = 50;
  std::string order_by;  ///< empty: the key
  bool desc = false;
  std::string cursor;  ///< from a previous page's next_cursor; empty: the first page
  std::vector<std::pair<std::string, std::string>> equals;  ///< column = value (as text)
};

/// {"items": [row...], "next_cursor": null|"..."}.
nlohmann::json browse_rows(pqxx::transaction_base& tx, const table_info& table,
                           const browse_request& request);

/// Inserts `values` ({column: value}); returns the stored row.
nlohmann::json insert_row(pqxx::transaction_base& tx, const table_info& table,
                          const nlohmann::json& values);

/// Updates the row whose primary key is `key` (as text); returns the stored row.
nlohmann::json update_row(pqxx::transaction_base& tx, const table_info& table,
                          const std::string& key, const nlohmann::json& values);

/// Deletes the row whose primary key is `key`.
void delete_row(pqxx::transaction_base& tx, const table_info& table, const std::string& key);

/// Deletes every row of a custom table.
void clear_table(pqxx::transaction_base& tx, const table_info& table);

}  // namespace paige::storage
