#include "storage/project_secrets.hpp"

#include "storage/sql_text.hpp"

#include <pqxx/pqxx>

namespace paige::storage {
namespace {

const std::string secret_columns = "name, " + iso_utc("created_at") + " AS created_at, " +
                                   iso_utc("updated_at") + " AS updated_at";

secret_row to_secret(const pqxx::row& r) {
  return {r["name"].as<std::string>(), r["created_at"].as<std::string>(),
          r["updated_at"].as<std::string>()};
}

}  // namespace

std::optional<secret_row> put_secret(pqxx::connection& c, const std::string& project_id,
                                     const std::string& name, const std::string& value_sealed) {
  pqxx::work tx{c};
  // The project row lock serializes the project's writers, so the count below stays true.
  tx.exec_params("SELECT 1 FROM projects WHERE id = $1 FOR UPDATE", project_id);
  auto existing = tx.exec_params(
      "SELECT 1 FROM project_secrets WHERE project_id = $1 AND name = $2", project_id, name);
  if (existing.empty() &&
      tx.exec_params1("SELECT count(*) FROM project_secrets WHERE project_id = $1", project_id)[0]
              .as<std::size_t>() >= max_secrets_per_project)
    return std::nullopt;
  auto row = to_secret(tx.exec_params1(
      "INSERT INTO project_secrets (project_id, name, value_sealed) VALUES ($1, $2, $3) "
      "ON CONFLICT (project_id, name) DO UPDATE SET value_sealed = excluded.value_sealed, "
      "updated_at = clock_timestamp() RETURNING " +
          secret_columns,
      project_id, name, value_sealed));
  row.created = existing.empty();
  tx.commit();
  return row;
}

std::vector<secret_row> list_secrets(pqxx::connection& c, const std::string& project_id) {
  pqxx::read_transaction tx{c};
  std::vector<secret_row> out;
  for (const auto& r : tx.exec_params(
           "SELECT " + secret_columns + " FROM project_secrets WHERE project_id = $1 ORDER BY name",
           project_id))
    out.push_back(to_secret(r));
  return out;
}

bool delete_secret(pqxx::connection& c, const std::string& project_id, const std::string& name) {
  pqxx::work tx{c};
  auto r = tx.exec_params("DELETE FROM project_secrets WHERE project_id = $1 AND name = $2",
                          project_id, name);
  tx.commit();
  return r.affected_rows() > 0;
}

std::map<std::string, std::string> sealed_secrets(pqxx::connection& c,
                                                  const std::string& project_id) {
  pqxx::read_transaction tx{c};
  std::map<std::string, std::string> out;
  for (const auto& r : tx.exec_params(
           "SELECT name, value_sealed FROM project_secrets WHERE project_id = $1", project_id))
    out.emplace(r[0].as<std::string>(), r[1].as<std::string>());
  return out;
}

std::optional<std::string> sealed_secret(pqxx::transaction_base& tx, const std::string& project_id,
                                         const std::string& name) {
  auto r =
      tx.exec_params("SELECT value_sealed FROM project_secrets WHERE project_id = $1 AND name = $2",
                     project_id, name);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

bool add_secret_if_absent(pqxx::transaction_base& tx, const std::string& project_id,
                          const std::string& name, const std::string& value_sealed) {
  return tx.exec_params(
               "INSERT INTO project_secrets (project_id, name, value_sealed) VALUES ($1, $2, $3) "
               "ON CONFLICT (project_id, name) DO NOTHING",
               project_id, name, value_sealed)
             .affected_rows() > 0;
}

void replace_secret(pqxx::transaction_base& tx, const std::string& project_id,
                    const std::string& name, const std::string& value_sealed) {
  tx.exec_params(
      "INSERT INTO project_secrets (project_id, name, value_sealed) VALUES ($1, $2, $3) "
      "ON CONFLICT (project_id, name) DO UPDATE SET value_sealed = excluded.value_sealed, "
      "updated_at = clock_timestamp()",
      project_id, name, value_sealed);
}

void delete_project_secrets(pqxx::connection& c, const std::string& project_id) {
  pqxx::work tx{c};
  tx.exec_params("DELETE FROM project_secrets WHERE project_id = $1", project_id);
  tx.commit();
}

}  // namespace paige::storage
