#include "storage/projects.hpp"

#include "storage/bots.hpp"
#include "storage/sql_text.hpp"

#include <pqxx/pqxx>

#include <functional>

namespace paige::storage {
namespace {

/// An embedded signup as the project shows it (alias s: whatsapp_signups).
const std::string signup_json =
    "jsonb_build_object('status', s.status, 'step', s.step, 'waba_id', s.waba_id, "
    "'phone_number_id', s.phone_number_id, 'error', s.error, 'updated_at', " +
    iso_utc("s.updated_at") + ")";

const std::string project_columns =
    "id, seq, name, status, status_detail, settings::text AS settings, db_server, db_name, "
    "db_role, db_password_sealed, " +
    iso_utc("created_at") + " AS created_at, " + iso_utc("updated_at") +
    " AS updated_at, (SELECT (CASE WHEN n.phone_number_id IS NOT NULL THEN "
    "jsonb_build_object('phone_number_id', n.phone_number_id, 'waba_id', n.waba_id, "
    "'display_phone_number', n.display_phone_number, 'verified_name', n.verified_name, "
    "'status', CASE WHEN NOT n.token_valid THEN 'token_invalid' "
    "WHEN n.health ? 'held' THEN 'restricted' ELSE 'connected' END, "
    "'status_detail', CASE WHEN NOT n.token_valid THEN n.token_error->>'message' "
    "ELSE n.health->>'held' END, 'health', n.health) "
    "|| CASE WHEN s.project_id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('signup', " +
    signup_json +
    ") END "
    "WHEN s.project_id IS NOT NULL THEN jsonb_build_object('status', CASE s.status WHEN "
    "'running' THEN 'connecting' ELSE 'failed' END, 'status_detail', s.error->>'message', "
    "'signup', " +
    signup_json +
    ") END)::text "
    "FROM (SELECT 1) one LEFT JOIN whatsapp_numbers n ON n.project_id = projects.id "
    "LEFT JOIN whatsapp_signups s ON s.project_id = projects.id) AS whatsapp, layout";

const std::string number_columns =
    "phone_number_id, project_id, waba_id, display_phone_number, verified_name, "
    "access_token_sealed, pin_sealed, health::text AS health";

const std::string key_columns =
    "id, project_id, name, key_prefix, " + iso_utc("created_at") + " AS created_at";

std::optional<std::string> nullable(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

project_row to_project(const pqxx::row& r) {
  project_row p;
  auto text = [&r](const char* column) { return r[column].as<std::string>(); };
  p.id = text("id");
  p.seq = r["seq"].as<std::int64_t>();
  p.name = text("name");
  auto status = text("status");
  auto parsed = parse_project_status(status);
  // The column's CHECK constraint allows these names only.
  if (!parsed) throw std::runtime_error("unknown project status '" + status + "'");
  p.status = *parsed;
  p.status_detail = nullable(r["status_detail"]);
  p.settings_json = text("settings");
  p.db_server = text("db_server");
  p.db_name = text("db_name");
  p.db_role = text("db_role");
  p.db_password_sealed = text("db_password_sealed");
  p.created_at = text("created_at");
  p.updated_at = text("updated_at");
  p.whatsapp_json = nullable(r["whatsapp"]).value_or("");
  p.layout = r["layout"].as<int>();
  return p;
}

number_row to_number(const pqxx::row& r) {
  auto text = [&r](const char* column) { return r[column].as<std::string>(); };
  return {text("phone_number_id"),      text("project_id"),    text("waba_id"),
          text("display_phone_number"), text("verified_name"), text("access_token_sealed"),
          text("pin_sealed"),           text("health")};
}

key_row to_key(const pqxx::row& r) {
  auto text = [&r](const char* column) { return r[column].as<std::string>(); };
  return {text("id"), text("project_id"), text("name"), text("key_prefix"), text("created_at")};
}

std::vector<project_row> to_projects(const pqxx::result& res) {
  std::vector<project_row> out;
  out.reserve(res.size());
  for (const auto& r : res) out.push_back(to_project(r));
  return out;
}

}  // namespace

project_row insert_project(pqxx::connection& c, const new_project& p) {
  pqxx::work tx{c};
  auto r = tx.exec_params1(
      std::string{
          "INSERT INTO projects (id, name, status, settings, db_name, db_role, "
          "db_password_sealed, layout) VALUES ($1, $2, 'provisioning', $3::jsonb, $4, $5, $6, $7) "
          "RETURNING "} +
          project_columns,
      p.id, p.name, p.settings_json, p.db_name, p.db_role, p.db_password_sealed,
      current_project_layout);
  insert_bot_version(tx, p.id, p.initial_bot_json);
  tx.commit();
  return to_project(r);
}

std::optional<project_row> find_project(pqxx::connection& c, const std::string& id) {
  pqxx::read_transaction tx{c};
  auto res = tx.exec_params(
      "SELECT " + project_columns + " FROM projects WHERE id = $1 AND status <> 'deleted'", id);
  if (res.empty()) return std::nullopt;
  return to_project(res[0]);
}

std::vector<project_row> live_projects(pqxx::connection& c) {
  pqxx::read_transaction tx{c};
  return to_projects(tx.exec("SELECT " + project_columns +
                             " FROM projects WHERE status <> 'deleted' ORDER BY seq"));
}

std::vector<project_row> list_projects(pqxx::connection& c, std::int64_t after_seq, int limit) {
  pqxx::read_transaction tx{c};
  return to_projects(tx.exec_params("SELECT " + project_columns +
                                        " FROM projects WHERE status <> 'deleted' AND seq > $1 "
                                        "ORDER BY seq LIMIT $2",
                                    after_seq, limit));
}

project_row set_project_layout(pqxx::connection& c, const std::string& id, int layout) {
  pqxx::work tx{c};
  auto r = tx.exec_params1(
      "UPDATE projects SET layout = $2, updated_at = now() WHERE id = $1 RETURNING " +
          project_columns,
      id, layout);
  tx.commit();
  return to_project(r);
}

project_row set_project_status(pqxx::connection& c, const std::string& id, project_status status,
                               const std::optional<std::string>& detail) {
  pqxx::work tx{c};
  auto r = tx.exec_params1(
      std::string{"UPDATE projects SET status = $2, status_detail = $3, updated_at = now(), "
                  "provisioned_at = CASE WHEN $2 = 'active' THEN coalesce(provisioned_at, now()) "
                  "ELSE provisioned_at END WHERE id = $1 RETURNING "} +
          project_columns,
      id, to_string(status), detail);
  tx.commit();
  return to_project(r);
}

project_row update_project(pqxx::connection& c, const std::string& id,
                           const std::optional<std::string>& name,
                           const std::optional<std::string>& settings_json) {
  pqxx::work tx{c};
  auto r =
      tx.exec_params1(std::string{"UPDATE projects SET name = coalesce($2, name), "
                                  "settings = coalesce($3::jsonb, settings), updated_at = now() "
                                  "WHERE id = $1 RETURNING "} +
                          project_columns,
                      id, name, settings_json);
  tx.commit();
  return to_project(r);
}

bool connect_number(pqxx::connection& c, const number_row& n,
                    const std::function<std::string(const std::string&)>& health_of) {
  pqxx::work tx{c};
  auto owner = tx.exec_params(
      "SELECT project_id, health::text AS health FROM whatsapp_numbers "
      "WHERE phone_number_id = $1 FOR UPDATE",
      n.phone_number_id);
  if (!owner.empty() && owner[0]["project_id"].as<std::string>() != n.project_id) return false;
  auto health = health_of(owner.empty() ? std::string{"{}"} : owner[0]["health"].as<std::string>());
  // Templates belong to the WABA: those of another one are not the project's any more.
  tx.exec_params("DELETE FROM message_templates WHERE project_id = $1 AND waba_id <> $2",
                 n.project_id, n.waba_id);
  tx.exec_params("DELETE FROM template_syncs WHERE project_id = $1 AND waba_id <> $2", n.project_id,
                 n.waba_id);
  if (!owner.empty()) {
    // The same number again: updated in place, so a change of its health waiting on its row
    // (whatsapp_events.hpp) finds it after.
    tx.exec_params(
        "UPDATE whatsapp_numbers SET waba_id = $2, display_phone_number = $3, verified_name = $4, "
        "access_token_sealed = $5, pin_sealed = $6, health = $7::jsonb, token_valid = true, "
        "token_error = NULL, connected_at = now() WHERE phone_number_id = $1",
        n.phone_number_id, n.waba_id, n.display_phone_number, n.verified_name,
        n.access_token_sealed, n.pin_sealed, health);
    tx.exec_params("DELETE FROM whatsapp_signups WHERE project_id = $1", n.project_id);
    tx.commit();
    return true;
  }
  tx.exec_params("DELETE FROM whatsapp_numbers WHERE project_id = $1", n.project_id);
  tx.exec_params(
      "INSERT INTO whatsapp_numbers (phone_number_id, project_id, waba_id, display_phone_number, "
      "verified_name, access_token_sealed, pin_sealed, health) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)",
      n.phone_number_id, n.project_id, n.waba_id, n.display_phone_number, n.verified_name,
      n.access_token_sealed, n.pin_sealed, health);
  // A signup of the project is over once a number is connected (by it, or by hand).
  tx.exec_params("DELETE FROM whatsapp_signups WHERE project_id = $1", n.project_id);
  tx.commit();
  return true;
}

std::optional<std::string> number_owner(pqxx::connection& c, const std::string& phone_number_id) {
  pqxx::read_transaction tx{c};
  auto r = tx.exec_params("SELECT project_id FROM whatsapp_numbers WHERE phone_number_id = $1",
                          phone_number_id);
  if (r.empty()) return std::nullopt;
  return r[0]["project_id"].as<std::string>();
}

bool number_has_live_project(pqxx::connection& c, const std::string& phone_number_id) {
  pqxx::read_transaction tx{c};
  return !tx.exec_params(
                "SELECT 1 FROM whatsapp_numbers n JOIN projects p ON p.id = n.project_id "
                "WHERE n.phone_number_id = $1 AND p.status IN ('active', 'paused')",
                phone_number_id)
              .empty();
}

std::vector<number_owner_row> waba_numbers(pqxx::connection& c, const std::string& waba_id) {
  pqxx::read_transaction tx{c};
  std::vector<number_owner_row> out;
  for (const auto& r : tx.exec_params(
           "SELECT n.project_id, n.phone_number_id, n.display_phone_number FROM whatsapp_numbers n "
           "JOIN projects p ON p.id = n.project_id "
           "WHERE n.waba_id = $1 AND p.status IN ('active', 'paused')",
           waba_id))
    out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>()});
  return out;
}

std::optional<number_row> number_of(pqxx::connection& c, const std::string& project_id) {
  pqxx::read_transaction tx{c};
  auto r = tx.exec_params(
      "SELECT " + number_columns + " FROM whatsapp_numbers WHERE project_id = $1", project_id);
  if (r.empty()) return std::nullopt;
  return to_number(r[0]);
}

std::vector<number_row> live_numbers(pqxx::connection& c) {
  pqxx::read_transaction tx{c};
  std::vector<number_row> out;
  for (const auto& r :
       tx.exec("SELECT " + number_columns +
               " FROM whatsapp_numbers n WHERE EXISTS "
               "(SELECT 1 FROM projects p WHERE p.id = n.project_id AND p.status <> 'deleted')"))
    out.push_back(to_number(r));
  return out;
}

bool mark_token_invalid(pqxx::connection& c, const std::string& phone_number_id,
                        const std::string& access_token_sealed, const std::string& error_json) {
  pqxx::work tx{c};
  auto r = tx.exec_params(
      "UPDATE whatsapp_numbers SET token_valid = false, token_error = $3::jsonb "
      "WHERE phone_number_id = $1 AND access_token_sealed = $2 AND token_valid",
      phone_number_id, access_token_sealed, error_json);
  tx.commit();
  return r.affected_rows() > 0;
}

bool mark_token_valid(pqxx::connection& c, const std::string& phone_number_id,
                      const std::string& access_token_sealed) {
  pqxx::work tx{c};
  auto r = tx.exec_params(
      "UPDATE whatsapp_numbers SET token_valid = true, token_error = NULL "
      "WHERE phone_number_id = $1 AND access_token_sealed = $2 AND NOT token_valid",
      phone_number_id, access_token_sealed);
  tx.commit();
  return r.affected_rows() > 0;
}

void disconnect_number(pqxx::connection& c, const std::string& project_id) {
  pqxx::work tx{c};
  tx.exec_params("DELETE FROM whatsapp_numbers WHERE project_id = $1", project_id);
  tx.exec_params("DELETE FROM whatsapp_signups WHERE project_id = $1", project_id);
  tx.exec_params("DELETE FROM message_templates WHERE project_id = $1", project_id);
  tx.exec_params("DELETE FROM template_syncs WHERE project_id = $1", project_id);
  tx.commit();
}

key_row insert_key(pqxx::transaction_base& tx, const std::string& id, const std::string& project_id,
                   const std::string& name, const std::string& key_hash,
                   const std::string& key_prefix) {
  return to_key(
      tx.exec_params1(std::string{"INSERT INTO project_keys (id, project_id, name, key_hash, "
                                  "key_prefix) VALUES ($1, $2, $3, $4, $5) RETURNING "} +
                          key_columns,
                      id, project_id, name, key_hash, key_prefix));
}

key_row insert_key(pqxx::connection& c, const std::string& id, const std::string& project_id,
                   const std::string& name, const std::string& key_hash,
                   const std::string& key_prefix) {
  pqxx::work tx{c};
  auto row = insert_key(tx, id, project_id, name, key_hash, key_prefix);
  tx.commit();
  return row;
}

bool key_is_live(pqxx::transaction_base& tx, const std::string& project_id,
                 const std::string& key_hash) {
  return !tx.exec_params(
                "SELECT 1 FROM project_keys WHERE project_id = $1 AND key_hash = $2 AND "
                "revoked_at IS NULL",
                project_id, key_hash)
              .empty();
}

std::vector<key_row> list_keys(pqxx::connection& c, const std::string& project_id) {
  pqxx::read_transaction tx{c};
  std::vector<key_row> out;
  for (const auto& r : tx.exec_params("SELECT " + key_columns +
                                          " FROM project_keys WHERE project_id = $1 AND "
                                          "revoked_at IS NULL ORDER BY created_at, id",
                                      project_id))
    out.push_back(to_key(r));
  return out;
}

bool revoke_key(pqxx::connection& c, const std::string& project_id, const std::string& key_id) {
  pqxx::work tx{c};
  auto res = tx.exec_params(
      "UPDATE project_keys SET revoked_at = now() WHERE id = $1 AND "
      "project_id = $2 AND revoked_at IS NULL",
      key_id, project_id);
  tx.commit();
  return res.affected_rows() == 1;
}

std::optional<std::pair<std::string, std::string>> project_of_key(pqxx::connection& c,
                                                                  const std::string& key_hash) {
  pqxx::read_transaction tx{c};
  auto res = tx.exec_params(
      "SELECT k.project_id, k.id FROM project_keys k JOIN projects p ON p.id = "
      "k.project_id WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND "
      "p.status <> 'deleted'",
      key_hash);
  if (res.empty()) return std::nullopt;
  return std::make_pair(res[0]["project_id"].as<std::string>(), res[0]["id"].as<std::string>());
}

}  // namespace paige::storage
