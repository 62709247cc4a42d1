#include "storage/flows.hpp"

#include <pqxx/pqxx>

namespace paige::storage {
namespace {

const char* const columns =
    "name, meta_id, waba_id, categories::text, flow_json::text, endpoint_uri, status, "
    "validation_errors::text, status_time, coalesce(answers::text, ''), "
    "coalesce(data_sources::text, ''), "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

flow_row to_flow(const pqxx::row& r) {
  flow_row f;
  f.name = r[0].as<std::string>();
  f.meta_id = r[1].as<std::string>();
  f.waba_id = r[2].as<std::string>();
  f.categories_json = r[3].as<std::string>();
  f.flow_json = r[4].as<std::string>();
  f.endpoint_uri = r[5].as<std::string>();
  f.status = r[6].as<std::string>();
  f.validation_errors_json = r[7].as<std::string>();
  f.status_time = r[8].as<std::int64_t>();
  f.answers_json = r[9].as<std::string>();
  f.data_sources_json = r[10].as<std::string>();
  f.created_at = r[11].as<std::string>();
  f.updated_at = r[12].as<std::string>();
  return f;
}

std::optional<flow_row> first(const pqxx::result& r) {
  if (r.empty()) return std::nullopt;
  return to_flow(r[0]);
}

}  // namespace

void save_flow(pqxx::transaction_base& tx, const std::string& project_id, const flow_row& f) {
  // Meta's id is the flow's identity: one stored under another name gives way.
  tx.exec_params("DELETE FROM flows WHERE project_id = $1 AND meta_id = $2 AND name <> $3",
                 project_id, f.meta_id, f.name);
  tx.exec_params(
      "INSERT INTO flows (project_id, name, meta_id, waba_id, categories, flow_json, "
      "endpoint_uri, status, validation_errors, status_time, answers, data_sources) "
      "VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9::jsonb, $10, "
      "nullif($11, '')::jsonb, nullif($12, '')::jsonb) "
      "ON CONFLICT (project_id, name) DO UPDATE SET meta_id = EXCLUDED.meta_id, "
      "waba_id = EXCLUDED.waba_id, categories = EXCLUDED.categories, "
      "flow_json = EXCLUDED.flow_json, endpoint_uri = EXCLUDED.endpoint_uri, "
      "status = EXCLUDED.status, validation_errors = EXCLUDED.validation_errors, "
      "status_time = EXCLUDED.status_time, answers = EXCLUDED.answers, "
      "data_sources = EXCLUDED.data_sources, updated_at = now()",
      project_id, f.name, f.meta_id, f.waba_id, f.categories_json, f.flow_json, f.endpoint_uri,
      f.status, f.validation_errors_json.empty() ? "[]" : f.validation_errors_json, f.status_time,
      f.answers_json, f.data_sources_json);
}

std::optional<flow_row> lock_flow(pqxx::transaction_base& tx, const std::string& project_id,
                                  const std::string& name) {
  return first(tx.exec_params(std::string{"SELECT "} + columns +
                                  " FROM flows WHERE project_id = $1 AND name = $2 FOR UPDATE",
                              project_id, name));
}

std::optional<flow_row> flow_by_meta_id(pqxx::transaction_base& tx, const std::string& project_id,
                                        const std::string& meta_id) {
  return first(tx.exec_params(
      std::string{"SELECT "} + columns + " FROM flows WHERE project_id = $1 AND meta_id = $2",
      project_id, meta_id));
}

bool remove_flow(pqxx::transaction_base& tx, const std::string& project_id,
                 const std::string& name) {
  return tx.exec_params("DELETE FROM flows WHERE project_id = $1 AND name = $2", project_id, name)
             .affected_rows() > 0;
}

std::optional<flow_row> set_flow_status(pqxx::transaction_base& tx, const std::string& project_id,
                                        const std::string& meta_id, const std::string& status,
                                        std::int64_t status_time) {
  // Meta's times are seconds: a status of the same second as the stored one may be the later.
  return first(tx.exec_params(
      "UPDATE flows SET status = $3, status_time = $4, updated_at = now() "
      "WHERE project_id = $1 AND meta_id = $2 AND status_time <= $4 AND status <> $3 "
      "RETURNING " +
          std::string{columns},
      project_id, meta_id, status, status_time));
}

std::vector<flow_row> flows_of(pqxx::transaction_base& tx, const std::string& project_id,
                               const std::string& status, const std::string& after_name,
                               int limit) {
  auto r = tx.exec_params(std::string{"SELECT "} + columns +
                              " FROM flows WHERE project_id = $1 AND ($2 = '' OR status = $2) "
                              "AND ($3 = '' OR name > $3) ORDER BY name LIMIT $4",
                          project_id, status, after_name, limit > 0 ? limit : 1000000);
  std::vector<flow_row> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(to_flow(row));
  return out;
}

void save_flow_key(pqxx::transaction_base& tx, const std::string& project_id, const flow_key& k) {
  tx.exec_params(
      "INSERT INTO flow_keys (project_id, phone_number_id, private_key_sealed, public_key) "
      "VALUES ($1, $2, $3, $4) ON CONFLICT (project_id) DO UPDATE SET "
      "phone_number_id = EXCLUDED.phone_number_id, private_key_sealed = "
      "EXCLUDED.private_key_sealed, public_key = EXCLUDED.public_key, created_at = now()",
      project_id, k.phone_number_id, k.private_key_sealed, k.public_key);
}

std::optional<flow_key> flow_key_of(pqxx::transaction_base& tx, const std::string& project_id) {
  auto r = tx.exec_params(
      "SELECT phone_number_id, private_key_sealed, public_key, "
      "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
      "FROM flow_keys WHERE project_id = $1",
      project_id);
  if (r.empty()) return std::nullopt;
  return flow_key{r[0][0].as<std::string>(), r[0][1].as<std::string>(), r[0][2].as<std::string>(),
                  r[0][3].as<std::string>()};
}

}  // namespace paige::storage
