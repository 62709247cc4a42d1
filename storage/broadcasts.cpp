#include "storage/broadcasts.hpp"

#include "storage/identifiers.hpp"
#include "storage/sql_text.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <stdexcept>

namespace paige::storage {
namespace {

using json = nlohmann::json;

std::string ts(const std::string& column) { return "coalesce(" + iso_utc(column) + ", '')"; }

// A list of wa_ids (up to 100 000) is shown by its length: the list itself stays in the database
// (read_audience takes it from there, a batch at a time).
const std::string shown_audience =
    "(CASE WHEN jsonb_typeof(audience -> 'wa_ids') = 'array' THEN jsonb_build_object("
    "'wa_ids_count', jsonb_array_length(audience -> 'wa_ids')) ELSE audience END)::text";
std::string columns_with(const std::string& audience) {
  return "id, name, template::text, components::text, " + audience + ", status, status_detail, " +
         ts("schedule_at") + ", coalesce(extract(epoch FROM schedule_at)::bigint, 0), " +
         "audience_after, audience_done, recipients, " + ts("created_at") + ", " +
         ts("started_at") + ", " + ts("finished_at") + ", " + ts("updated_at");
}
const std::string broadcast_columns = columns_with(shown_audience);
// A runner's rounds read the row often and never need the audience (a large value to unpack).
const std::string run_columns = columns_with("''::text");

broadcast_row to_broadcast(const pqxx::row& r) {
  broadcast_row b;
  b.id = r[0].as<std::int64_t>();
  b.name = r[1].as<std::string>();
  b.template_json = r[2].as<std::string>();
  b.components_json = r[3].as<std::string>();
  b.audience_json = r[4].as<std::string>();
  b.status = r[5].as<std::string>();
  b.status_detail = r[6].as<std::string>();
  b.schedule_at = r[7].as<std::string>();
  b.schedule_epoch = r[8].as<std::int64_t>();
  b.audience_after = r[9].as<std::string>();
  b.audience_done = r[10].as<bool>();
  b.recipients = r[11].as<std::int64_t>();
  b.created_at = r[12].as<std::string>();
  b.started_at = r[13].as<std::string>();
  b.finished_at = r[14].as<std::string>();
  b.updated_at = r[15].as<std::string>();
  return b;
}

/// A phone number as WhatsApp ids are written: its digits, 8 to 15 of them; else "".
std::string wa_id_of(const std::string& phone) {
  std::string digits;
  for (char c : phone) {
    if (c >= '0' && c <= '9')
      digits += c;
    else if (c != '+' && c != ' ' && c != '-' && c != '(' && c != ')' && c != '.')
      return {};
  }
  return digits.size() >= 8 && digits.size() <= 15 ? digits : std::string{};
}

std::string quoted(pqxx::transaction_base& tx, const std::string& name) {
  if (!valid_identifier(name)) throw std::invalid_argument("not an identifier: " + name);
  return tx.quote_name(name);
}

/// A position in a table read by its primary key starts with this (else it is a row's ctid).
const std::string key_position = "k:";

/// The SQL of a table audience's rows (position, phone, fields) after position $1, at most $2.
/// A table with a one-column primary key is read in its order, so a row updated meanwhile
/// keeps its place (`key_position` + the key as text); else in the order rows are stored in
/// (ctid), where a row updated during the read may move behind the position (and be missed).
/// `after` says which reading a broadcast began; "" starts one.
std::string table_rows_sql(pqxx::transaction_base& tx, const json& audience,
                           const std::vector<std::string>& columns, const std::string& after) {
  auto name = audience["table"].get<std::string>();
  auto table = "public." + quoted(tx, name);
  auto phone = quoted(tx, audience["phone_column"].get<std::string>());
  std::string fields = "json_build_object(";
  for (std::size_t i = 0; i < columns.size(); ++i)
    fields += (i ? ", " : "") + tx.quote(columns[i]) + ", " + quoted(tx, columns[i]) + "::text";
  fields += ")::text";
  auto select = [&](const std::string& position) {
    // Named apart: "ORDER BY ctid" would otherwise sort by the text of this column.
    return "SELECT " + position + " AS paige_position, coalesce(" + phone + "::text, ''), " +
           fields + " FROM " + table;
  };
  bool by_ctid = !after.empty() && after.rfind(key_position, 0) != 0;
  auto key = by_ctid ? pqxx::result{}
                     : tx.exec_params(
                           "SELECT quote_ident(a.attname), format_type(a.atttypid, a.atttypmod) "
                           "FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                           "AND a.attnum = i.indkey[0] WHERE i.indrelid = $1::regclass "
                           "AND i.indisprimary AND i.indnkeyatts = 1",
                           table);
  if (key.empty())
    return select("ctid::text") +
           " WHERE ctid > (CASE WHEN $1 = '' THEN '(0,0)' ELSE $1 END)::tid ORDER BY ctid LIMIT $2";
  auto k = key[0][0].as<std::string>(), type = key[0][1].as<std::string>();
  return select(tx.quote(key_position) + " || " + k + "::text") +
         (after.empty() ? " WHERE $1 = ''"
                        : " WHERE " + k + " > CAST(substr($1, " +
                              std::to_string(key_position.size() + 1) + ") AS " + type + ")") +
         " ORDER BY " + k + " LIMIT $2";
}

/// The SQL of the audience's count, or (not for tables) of its rows (key, wa_id, fields); the
/// rows of a list of wa_ids are read from the stored broadcast ($3: its id).
std::string audience_sql(pqxx::transaction_base& tx, const json& audience, bool count) {
  const std::string contact_fields =
      "json_build_object('name', coalesce(c.name, ''), 'wa_id', "
      "c.wa_id)::text";
  if (audience.contains("table"))
    return "SELECT count(*) FROM public." + quoted(tx, audience["table"].get<std::string>());
  if (audience.contains("wa_ids")) {
    if (count) return "SELECT jsonb_array_length($1::jsonb -> 'wa_ids')";
    // A slice of the stored list (unpacking the whole list at each batch cost ten times more).
    return "SELECT ($1::bigint + x.o)::text, x.value #>> '{}', "
           "json_build_object('wa_id', x.value #>> '{}')::text FROM broadcasts b, "
           "jsonb_path_query(b.audience, '$.wa_ids[$from to $to]', jsonb_build_object('from', "
           "$1::bigint, 'to', $1::bigint + $2 - 1)) WITH ORDINALITY AS x(value, o) "
           "WHERE b.id = $3 ORDER BY x.o";
  }
  if (audience.contains("states")) {
    const std::string from =
        " FROM contacts c JOIN conversations v ON v.contact_id = c.id AND v.status = 'open' "
        "WHERE v.state IN (SELECT jsonb_array_elements_text($";
    if (count) return "SELECT count(*)" + from + "1::jsonb -> 'states'))";
    return "SELECT c.id::text, c.wa_id, " + contact_fields + from +
           "3::jsonb -> 'states')) AND c.id > $1::bigint ORDER BY c.id LIMIT $2";
  }
  if (count) return "SELECT count(*) FROM contacts c";
  return "SELECT c.id::text, c.wa_id, " + contact_fields +
         " FROM contacts c WHERE c.id > $1::bigint ORDER BY c.id LIMIT $2";
}

}  // namespace

std::int64_t insert_broadcast(pqxx::transaction_base& tx, const std::string& name,
                              const std::string& template_json, const std::string& components_json,
                              const std::string& audience_json, std::int64_t schedule_epoch) {
  return tx
      .exec_params1(
          "INSERT INTO broadcasts (name, template, components, audience, status, schedule_at, "
          "started_at) VALUES ($1, $2::jsonb, $3::jsonb, $4::jsonb, "
          "CASE WHEN $5::bigint > 0 THEN 'scheduled' ELSE 'running' END, "
          "CASE WHEN $5::bigint > 0 THEN to_timestamp($5::bigint) END, "
          "CASE WHEN $5::bigint > 0 THEN NULL ELSE now() END) "
          "RETURNING id",
          name, template_json, components_json, audience_json, schedule_epoch)[0]
      .as<std::int64_t>();
}

std::optional<broadcast_row> find_broadcast(pqxx::transaction_base& tx, std::int64_t id) {
  auto r = tx.exec_params("SELECT " + broadcast_columns + " FROM broadcasts WHERE id = $1", id);
  if (r.empty()) return std::nullopt;
  return to_broadcast(r[0]);
}

std::optional<broadcast_row> find_broadcast_to_run(pqxx::transaction_base& tx, std::int64_t id) {
  auto r = tx.exec_params("SELECT " + run_columns + " FROM broadcasts WHERE id = $1", id);
  if (r.empty()) return std::nullopt;
  return to_broadcast(r[0]);
}

std::vector<broadcast_row> list_broadcasts(pqxx::transaction_base& tx, std::int64_t before,
                                           int limit) {
  std::vector<broadcast_row> out;
  for (const auto& r :
       tx.exec_params("SELECT " + broadcast_columns +
                          " FROM broadcasts WHERE ($1::bigint = 0 OR id < $1::bigint) "
                          "ORDER BY id DESC LIMIT $2",
                      before, limit))
    out.push_back(to_broadcast(r));
  return out;
}

std::vector<broadcast_row> live_broadcasts(pqxx::transaction_base& tx) {
  std::vector<broadcast_row> out;
  for (const auto& r : tx.exec("SELECT " + broadcast_columns +
                               " FROM broadcasts WHERE status IN ('scheduled', 'running') "
                               "ORDER BY id"))
    out.push_back(to_broadcast(r));
  return out;
}

bool move_broadcast(pqxx::transaction_base& tx, std::int64_t id,
                    const std::vector<std::string>& from, const std::string& to,
                    const std::string& detail) {
  json allowed = from;
  auto r = tx.exec_params(
      "UPDATE broadcasts SET status = $2, status_detail = $3, updated_at = now(), "
      "started_at = CASE WHEN $2 = 'running' THEN coalesce(started_at, now()) ELSE started_at END, "
      "finished_at = CASE WHEN $2 IN ('completed', 'cancelled', 'failed') THEN now() "
      "ELSE finished_at END "
      "WHERE id = $1 AND status IN (SELECT jsonb_array_elements_text($4::jsonb))",
      id, to, detail, allowed.dump());
  return r.affected_rows() > 0;
}

std::vector<audience_row> read_audience(pqxx::transaction_base& tx, std::int64_t broadcast_id,
                                        const std::vector<std::string>& columns,
                                        const std::string& after, int limit) {
  // The audience without its list of wa_ids, if it has one (that stays in the database).
  auto stored = tx.exec_params1(
      "SELECT (CASE WHEN jsonb_typeof(audience -> 'wa_ids') = 'array' "
      "THEN jsonb_build_object('wa_ids', true) ELSE audience END)::text "
      "FROM broadcasts WHERE id = $1",
      broadcast_id);
  auto audience_json = stored[0].as<std::string>();
  auto audience = json::parse(audience_json);
  bool table = audience.contains("table");
  auto sql =
      table ? table_rows_sql(tx, audience, columns, after) : audience_sql(tx, audience, false);
  auto position = after.empty() ? (table ? std::string{} : std::string{"0"}) : after;
  auto rows = audience.contains("wa_ids")   ? tx.exec_params(sql, position, limit, broadcast_id)
              : audience.contains("states") ? tx.exec_params(sql, position, limit, audience_json)
                                            : tx.exec_params(sql, position, limit);
  std::vector<audience_row> out;
  out.reserve(rows.size());
  for (const auto& r : rows)
    out.push_back({r[0].as<std::string>(), wa_id_of(r[1].is_null() ? "" : r[1].as<std::string>()),
                   r[2].as<std::string>()});
  return out;
}

std::int64_t count_audience(pqxx::transaction_base& tx, const std::string& audience_json) {
  auto audience = json::parse(audience_json);
  auto sql = audience_sql(tx, audience, true);
  auto r = audience.contains("wa_ids") || audience.contains("states")
               ? tx.exec_params(sql, audience_json)
               : tx.exec(sql);
  return r[0][0].as<std::int64_t>();
}

void add_recipients(pqxx::transaction_base& tx, std::int64_t broadcast_id,
                    const std::vector<audience_row>& rows, bool done) {
  json input = json::array();
  for (const auto& r : rows)
    input.push_back({{"wa_id", r.wa_id.empty() ? "row " + r.key : r.wa_id},
                     {"fields", json::parse(r.fields_json, nullptr, false)},
                     {"invalid", r.wa_id.empty()}});
  auto added = tx.exec_params(
      // Positions follow the rows read (a repeated wa_id is kept out, its number unused).
      "WITH b AS (SELECT coalesce(max(seq), 0) AS recipients FROM broadcast_recipients "
      "WHERE broadcast_id = $1), "
      "ins AS (INSERT INTO broadcast_recipients (broadcast_id, seq, wa_id, fields, status, "
      "skip_reason) "
      "SELECT $1, b.recipients + x.o, x.value ->> 'wa_id', x.value -> 'fields', "
      "CASE WHEN (x.value ->> 'invalid')::boolean THEN 'skipped' ELSE 'pending' END, "
      "CASE WHEN (x.value ->> 'invalid')::boolean THEN 'invalid_phone' END "
      "FROM b, jsonb_array_elements($2::jsonb) WITH ORDINALITY AS x(value, o) "
      "ON CONFLICT (broadcast_id, wa_id) DO NOTHING RETURNING 1) "
      "SELECT count(*) FROM ins",
      broadcast_id, input.dump());
  // Nothing read: the position stays.
  tx.exec_params(
      "UPDATE broadcasts SET recipients = recipients + $2, "
      "audience_after = CASE WHEN $3 = '' THEN audience_after ELSE $3 END, "
      "audience_done = $4, updated_at = now() WHERE id = $1",
      broadcast_id, added[0][0].as<std::int64_t>(), rows.empty() ? std::string{} : rows.back().key,
      done);
}

std::vector<pending_recipient> pending_recipients(pqxx::transaction_base& tx,
                                                  std::int64_t broadcast_id, int limit) {
  std::vector<pending_recipient> out;
  for (const auto& r : tx.exec_params(
           "SELECT r.wa_id, r.fields::text, k.opted_out_at IS NOT NULL FROM broadcast_recipients r "
           "LEFT JOIN contacts k ON k.wa_id = r.wa_id "
           "WHERE r.broadcast_id = $1 AND r.status = 'pending' ORDER BY r.seq LIMIT $2 "
           "FOR UPDATE OF r SKIP LOCKED",
           broadcast_id, limit))
    out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<bool>()});
  return out;
}

std::vector<queued_recipient> queue_recipients(
    pqxx::transaction_base& tx, std::int64_t broadcast_id, const std::vector<recipient_send>& sends,
    const std::vector<std::pair<std::string, std::string>>& skipped) {
  std::vector<queued_recipient> out;
  if (!skipped.empty()) {
    json input = json::array();
    for (const auto& [wa_id, reason] : skipped)
      input.push_back({{"wa_id", wa_id}, {"reason", reason}});
    tx.exec_params(
        "UPDATE broadcast_recipients r SET status = 'skipped', skip_reason = x.reason "
        "FROM jsonb_to_recordset($2::jsonb) AS x(wa_id text, reason text) "
        "WHERE r.broadcast_id = $1 AND r.wa_id = x.wa_id AND r.status = 'pending'",
        broadcast_id, input.dump());
  }
  if (sends.empty()) return out;
  std::string input = "[";
  for (std::size_t i = 0; i < sends.size(); ++i) {
    if (i) input += ',';
    input += R"({"o":)" + std::to_string(i) + R"(,"wa_id":)" + json(sends[i].wa_id).dump() +
             R"(,"content":)" + sends[i].content_json + "}";
  }
  input += ']';
  // Contacts made for recipients who never wrote; each recipient's message, then the recipient
  // marked queued with it: one statement, in this transaction.
  auto r = tx.exec_params(
      "WITH input AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS t(o int, wa_id text, "
      "content jsonb)), "
      "made AS (INSERT INTO contacts (wa_id) SELECT wa_id FROM input "
      "ON CONFLICT (wa_id) DO NOTHING RETURNING id, wa_id), "
      "ids AS (SELECT id, wa_id FROM made UNION ALL "
      "SELECT k.id, k.wa_id FROM contacts k JOIN input i ON i.wa_id = k.wa_id), "
      "msgs AS (INSERT INTO messages (conversation_id, contact_id, direction, type, content, "
      "status) SELECT NULL, ids.id, 'out', 'template', i.content, 'queued' "
      "FROM input i JOIN ids ON ids.wa_id = i.wa_id ORDER BY i.o RETURNING id, contact_id), "
      "marked AS (UPDATE broadcast_recipients r SET status = 'queued', message_id = m.id "
      "FROM msgs m JOIN ids ON ids.id = m.contact_id "
      "WHERE r.broadcast_id = $1 AND r.wa_id = ids.wa_id AND r.status = 'pending' RETURNING 1) "
      "SELECT m.id, ids.wa_id, m.contact_id, (SELECT count(*) FROM marked) FROM msgs m "
      "JOIN ids ON ids.id = m.contact_id ORDER BY m.id",
      broadcast_id, input);
  out.reserve(r.size());
  for (const auto& row : r) {
    auto wa_id = row[1].as<std::string>();
    auto content = std::find_if(sends.begin(), sends.end(),
                                [&](const recipient_send& s) { return s.wa_id == wa_id; });
    out.push_back({row[0].as<std::int64_t>(), wa_id,
                   content == sends.end() ? std::string{} : content->content_json});
  }
  return out;
}

std::int64_t broadcast_contacts_today(pqxx::transaction_base& tx) {
  return tx
      .exec(
          "SELECT count(DISTINCT contact_id) FROM messages WHERE direction = 'out' "
          "AND conversation_id IS NULL AND created_at > now() - interval '24 hours'")[0][0]
      .as<std::int64_t>();
}

void set_broadcast_detail(pqxx::transaction_base& tx, std::int64_t id, const std::string& detail) {
  tx.exec_params(
      "UPDATE broadcasts SET status_detail = $2, updated_at = now() "
      "WHERE id = $1 AND status_detail <> $2",
      id, detail);
}

std::int64_t broadcast_unanswered(pqxx::transaction_base& tx, std::int64_t broadcast_id) {
  return tx
      .exec_params(
          "SELECT count(*) FROM broadcast_recipients r JOIN messages m ON m.id = r.message_id "
          "WHERE r.broadcast_id = $1 AND r.status = 'queued' AND m.wamid IS NULL "
          "AND m.status = 'queued'",
          broadcast_id)[0][0]
      .as<std::int64_t>();
}

std::string broadcast_progress(pqxx::transaction_base& tx, std::int64_t broadcast_id) {
  json out{{"total", 0},  {"pending", 0}, {"skipped", 0},
           {"queued", 0}, {"sent", 0},    {"delivered", 0},
           {"read", 0},   {"failed", 0},  {"failed_by_code", json::object()}};
  for (const auto& r : tx.exec_params(
           "SELECT CASE WHEN r.status = 'queued' THEN coalesce(m.status, 'queued') ELSE r.status "
           "END AS s, count(*) FROM broadcast_recipients r LEFT JOIN messages m "
           "ON m.id = r.message_id WHERE r.broadcast_id = $1 GROUP BY 1",
           broadcast_id)) {
    auto status = r[0].as<std::string>();
    auto n = r[1].as<std::int64_t>();
    if (status == "accepted") status = "queued";  // Meta took it; no status yet
    if (status == "played") status = "read";
    if (out.contains(status)) out[status] = out[status].get<std::int64_t>() + n;
    out["total"] = out["total"].get<std::int64_t>() + n;
  }
  for (const auto& r : tx.exec_params(
           "SELECT coalesce(m.error ->> 'code', 'unknown'), count(*) FROM broadcast_recipients r "
           "JOIN messages m ON m.id = r.message_id WHERE r.broadcast_id = $1 "
           "AND m.status = 'failed' GROUP BY 1",
           broadcast_id))
    out["failed_by_code"][r[0].as<std::string>()] = r[1].as<std::int64_t>();
  return out.dump();
}

std::string broadcast_recipients(pqxx::transaction_base& tx, std::int64_t broadcast_id,
                                 const std::string& status, std::int64_t after_seq, int limit) {
  json items = json::array();
  for (const auto& r :
       tx.exec_params("SELECT r.seq, r.wa_id, x.s, coalesce(r.skip_reason, ''), r.message_id, "
                      "coalesce(m.error::text, '') FROM broadcast_recipients r "
                      "LEFT JOIN messages m ON m.id = r.message_id, "
                      "LATERAL (SELECT CASE WHEN r.status = 'queued' THEN "
                      "CASE coalesce(m.status, 'queued') WHEN 'accepted' THEN 'queued' "
                      "WHEN 'played' THEN 'read' ELSE coalesce(m.status, 'queued') END "
                      "ELSE r.status END AS s) x "
                      "WHERE r.broadcast_id = $1 AND r.seq > $2 AND ($3 = '' OR x.s = $3) "
                      "ORDER BY r.seq LIMIT $4",
                      broadcast_id, after_seq, status, limit)) {
    items.push_back({{"seq", r[0].as<std::int64_t>()},
                     {"wa_id", r[1].as<std::string>()},
                     {"status", r[2].as<std::string>()},
                     {"skip_reason", r[3].as<std::string>().empty() ? json(nullptr)
                                                                    : json(r[3].as<std::string>())},
                     {"message_id", r[4].is_null() ? json(nullptr) : json(r[4].as<std::int64_t>())},
                     {"error", r[5].as<std::string>().empty()
                                   ? json(nullptr)
                                   : json::parse(r[5].as<std::string>(), nullptr, false)}});
  }
  return items.dump();
}

}  // namespace paige::storage
