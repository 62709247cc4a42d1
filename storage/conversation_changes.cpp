#include "storage/conversation_changes.hpp"

#include <pqxx/pqxx>

namespace paige::storage {

namespace {
constexpr const char* idle_condition =
    "coalesce(last_message_at, started_at) < now() - make_interval(secs => $2::double precision)";
}

std::optional<conversation_ref> find_conversation(pqxx::transaction_base& tx, std::int64_t id) {
  auto r = tx.exec_params(
      "SELECT t.wa_id, c.status, c.state FROM conversations c JOIN contacts t ON t.id = "
      "c.contact_id "
      "WHERE c.id = $1",
      id);
  if (r.empty()) return std::nullopt;
  return conversation_ref{r[0]["wa_id"].as<std::string>(), r[0]["status"].as<std::string>(),
                          r[0]["state"].as<std::string>()};
}

std::optional<std::string> set_conversation_state(pqxx::transaction_base& tx, std::int64_t id,
                                                  const std::string& state) {
  auto r = tx.exec_params(
      "UPDATE conversations c SET state = $2, updated_at = now() "
      "FROM (SELECT id, state FROM conversations WHERE id = $1 FOR UPDATE) old "
      "WHERE c.id = old.id AND c.status = 'open' RETURNING old.state",
      id, state);
  if (r.empty()) return std::nullopt;
  return r[0]["state"].as<std::string>();
}

bool close_conversation(pqxx::transaction_base& tx, std::int64_t id,
                        std::optional<std::int64_t> idle_seconds) {
  std::string sql =
      "UPDATE conversations SET status = 'closed', closed_at = now(), updated_at = now() "
      "WHERE id = $1 AND status = 'open'";
  if (idle_seconds)
    return !tx.exec_params(sql + " AND " + idle_condition + " RETURNING id", id, *idle_seconds)
                .empty();
  return !tx.exec_params(sql + " RETURNING id", id).empty();
}

std::vector<idle_conversation> idle_conversations(pqxx::transaction_base& tx,
                                                  std::int64_t idle_seconds, int limit) {
  std::vector<idle_conversation> out;
  auto r = tx.exec_params(
      std::string{
          "SELECT c.id, t.wa_id FROM conversations c JOIN contacts t ON t.id = c.contact_id "
          "WHERE c.status = 'open' AND "} +
          "coalesce(c.last_message_at, c.started_at) < now() - make_interval(secs => $2::double "
          "precision) "
          "ORDER BY c.id LIMIT $1",
      limit, idle_seconds);
  for (const auto& row : r)
    out.push_back({row["id"].as<std::int64_t>(), row["wa_id"].as<std::string>()});
  return out;
}

bool set_contact_opt_out(pqxx::transaction_base& tx, std::int64_t contact_id, bool opted_out) {
  auto r = tx.exec_params(
      "UPDATE contacts SET opted_out_at = CASE WHEN $2 THEN coalesce(opted_out_at, now()) END, "
      "updated_at = now() WHERE id = $1",
      contact_id, opted_out);
  return r.affected_rows() > 0;
}

void set_contact_opt_out(pqxx::transaction_base& tx, const std::string& wa_id, bool opted_out) {
  tx.exec_params(
      "INSERT INTO contacts (wa_id, opted_out_at) VALUES ($1, CASE WHEN $2 THEN now() END) "
      "ON CONFLICT (wa_id) DO UPDATE SET opted_out_at = CASE WHEN $2 THEN "
      "coalesce(contacts.opted_out_at, now()) END, updated_at = now()",
      wa_id, opted_out);
}

bool contact_opted_out(pqxx::transaction_base& tx, std::int64_t contact_id) {
  return !tx.exec_params("SELECT 1 FROM contacts WHERE id = $1 AND opted_out_at IS NOT NULL",
                         contact_id)
              .empty();
}

std::optional<std::string> contact_wa_id(pqxx::transaction_base& tx, std::int64_t contact_id) {
  auto r = tx.exec_params("SELECT wa_id FROM contacts WHERE id = $1", contact_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

}  // namespace paige::storage
