#include "storage/bots.hpp"

#include "storage/sql_text.hpp"

#include <pqxx/pqxx>

namespace paige::storage {
namespace {

const std::string bot_columns =
    "version, definition::text AS definition, " + iso_utc("created_at") + " AS created_at";

bot_row to_bot(const pqxx::row& r) {
  return {r["version"].as<int>(), r["definition"].as<std::string>(),
          r["created_at"].as<std::string>()};
}

}  // namespace

bot_row insert_bot_version(pqxx::transaction_base& tx, const std::string& project_id,
                           const std::string& definition_json) {
  // The project row lock serializes concurrent writers of one project's versions.
  tx.exec_params("SELECT 1 FROM projects WHERE id = $1 FOR UPDATE", project_id);
  auto row = to_bot(tx.exec_params1(
      std::string{"INSERT INTO bot_versions (project_id, version, definition) "
                  "SELECT $1, coalesce(max(version), 0) + 1, $2::jsonb FROM bot_versions "
                  "WHERE project_id = $1 RETURNING "} +
          bot_columns,
      project_id, definition_json));
  tx.exec_params("DELETE FROM bot_versions WHERE project_id = $1 AND version <= $2", project_id,
                 row.version - bot_versions_kept);
  return row;
}

std::optional<bot_row> current_bot(pqxx::connection& c, const std::string& project_id) {
  pqxx::read_transaction tx{c};
  auto r =
      tx.exec_params("SELECT " + bot_columns +
                         " FROM bot_versions WHERE project_id = $1 ORDER BY version DESC LIMIT 1",
                     project_id);
  if (r.empty()) return std::nullopt;
  return to_bot(r[0]);
}

std::vector<bot_row> bot_versions(pqxx::connection& c, const std::string& project_id) {
  pqxx::read_transaction tx{c};
  std::vector<bot_row> out;
  for (const auto& r :
       tx.exec_params("SELECT " + bot_columns +
                          " FROM bot_versions WHERE project_id = $1 ORDER BY version DESC LIMIT $2",
                      project_id, bot_versions_kept))
    out.push_back(to_bot(r));
  return out;
}

}  // namespace paige::storage
