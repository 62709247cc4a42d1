#include "storage/whatsapp_signups.hpp"

#include <pqxx/pqxx>

namespace paige::storage {

bool start_signup(pqxx::connection& c, const signup_row& s) {
  pqxx::work tx{c};
  // One running signup per number: two would register it with different PINs.
  if (!tx.exec_params("SELECT 1 FROM whatsapp_signups WHERE phone_number_id = $1 AND "
                      "status = 'running' AND project_id <> $2",
                      s.phone_number_id, s.project_id)
           .empty())
    return false;
  tx.exec_params(
      "INSERT INTO whatsapp_signups (project_id, waba_id, phone_number_id, step, status, "
      "code_sealed, access_token_sealed, pin_sealed, error, redirect_uri) "
      "VALUES ($1, $2, $3, 'exchange', 'running', $4, NULL, $5, NULL, $6) "
      "ON CONFLICT (project_id) DO UPDATE SET waba_id = EXCLUDED.waba_id, "
      "phone_number_id = EXCLUDED.phone_number_id, step = 'exchange', status = 'running', "
      "code_sealed = EXCLUDED.code_sealed, access_token_sealed = NULL, "
      "pin_sealed = EXCLUDED.pin_sealed, error = NULL, redirect_uri = EXCLUDED.redirect_uri, "
      "started_at = now(), updated_at = now()",
      s.project_id, s.waba_id, s.phone_number_id, s.code_sealed, s.pin_sealed, s.redirect_uri);
  tx.commit();
  return true;
}

std::optional<signup_row> signup_of(pqxx::connection& c, const std::string& project_id) {
  pqxx::read_transaction tx{c};
  auto r = tx.exec_params(
      "SELECT project_id, waba_id, phone_number_id, step, status, coalesce(code_sealed, ''), "
      "coalesce(access_token_sealed, ''), pin_sealed, coalesce(error::text, ''), redirect_uri "
      "FROM whatsapp_signups WHERE project_id = $1",
      project_id);
  if (r.empty()) return std::nullopt;
  const auto& row = r[0];
  return signup_row{row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
                    row[3].as<std::string>(), row[4].as<std::string>(), row[5].as<std::string>(),
                    row[6].as<std::string>(), row[7].as<std::string>(), row[8].as<std::string>(),
                    row[9].as<std::string>()};
}

void advance_signup(pqxx::connection& c, const std::string& project_id, const std::string& step,
                    const std::string& access_token_sealed) {
  pqxx::work tx{c};
  if (access_token_sealed.empty())
    tx.exec_params(
        "UPDATE whatsapp_signups SET step = $2, updated_at = now() "
        "WHERE project_id = $1 AND status = 'running'",
        project_id, step);
  else
    tx.exec_params(
        "UPDATE whatsapp_signups SET step = $2, access_token_sealed = $3, code_sealed = NULL, "
        "updated_at = now() WHERE project_id = $1 AND status = 'running'",
        project_id, step, access_token_sealed);
  tx.commit();
}

void fail_signup(pqxx::connection& c, const std::string& project_id,
                 const std::string& error_json) {
  pqxx::work tx{c};
  tx.exec_params(
      "UPDATE whatsapp_signups SET status = 'failed', error = $2::jsonb, code_sealed = NULL, "
      "access_token_sealed = NULL, updated_at = now() WHERE project_id = $1",
      project_id, error_json);
  tx.commit();
}

}  // namespace paige::storage
