#include "storage/whatsapp_events.hpp"

#include "storage/sql_text.hpp"

#include <pqxx/pqxx>

namespace paige::storage {

bool insert_account_event(pqxx::transaction_base& tx, const std::string& project_id,
                          account_event_row& e) {
  auto r = tx.exec_params(
      "INSERT INTO whatsapp_events (project_id, dedupe_key, field, waba_id, phone_number_id, "
      "event_time, value) VALUES ($1, $2, $3, $4, nullif($5, ''), $6, $7::jsonb) "
      "ON CONFLICT (project_id, dedupe_key) DO NOTHING RETURNING id, " +
          iso_utc("received_at") + " AS received_at",
      project_id, e.dedupe_key, e.field, e.waba_id, e.phone_number_id, e.event_time, e.value_json);
  if (r.empty()) return false;
  e.id = r[0]["id"].as<std::int64_t>();
  e.received_at = r[0]["received_at"].as<std::string>();
  return true;
}

std::optional<std::string> lock_number_health(pqxx::transaction_base& tx,
                                              const std::string& project_id,
                                              const std::string& phone_number_id) {
  auto r = tx.exec_params(
      "SELECT health::text FROM whatsapp_numbers WHERE phone_number_id = $1 AND project_id = $2 "
      "FOR UPDATE",
      phone_number_id, project_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

void set_number_health(pqxx::transaction_base& tx, const std::string& project_id,
                       const std::string& phone_number_id, const std::string& health_json) {
  tx.exec_params(
      "UPDATE whatsapp_numbers SET health = $3::jsonb WHERE phone_number_id = $1 AND "
      "project_id = $2",
      phone_number_id, project_id, health_json);
}

void set_verified_name(pqxx::transaction_base& tx, const std::string& project_id,
                       const std::string& phone_number_id, const std::string& name) {
  tx.exec_params(
      "UPDATE whatsapp_numbers SET verified_name = $3 WHERE phone_number_id = $1 AND "
      "project_id = $2",
      phone_number_id, project_id, name);
}

std::vector<account_event_row> account_events(pqxx::connection& c, const std::string& project_id,
                                              const std::string& field, std::int64_t before_id,
                                              int limit) {
  pqxx::read_transaction tx{c};
  auto rows = tx.exec_params(
      "SELECT id, dedupe_key, field, waba_id, coalesce(phone_number_id, '') AS phone_number_id, "
      "event_time, value::text AS value, " +
          iso_utc("received_at") +
          " AS received_at FROM whatsapp_events WHERE project_id = $1 "
          "AND ($2 = '' OR field = $2) AND ($3::bigint = 0 OR id < $3::bigint) ORDER BY id DESC "
          "LIMIT $4",
      project_id, field, before_id, limit);
  std::vector<account_event_row> out;
  for (const auto& r : rows)
    out.push_back({r["id"].as<std::int64_t>(), r["dedupe_key"].as<std::string>(),
                   r["field"].as<std::string>(), r["waba_id"].as<std::string>(),
                   r["phone_number_id"].as<std::string>(), r["event_time"].as<std::int64_t>(),
                   r["value"].as<std::string>(), r["received_at"].as<std::string>()});
  return out;
}

}  // namespace paige::storage
