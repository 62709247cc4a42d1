#include "storage/message_log.hpp"

#include "storage/identifiers.hpp"
#include "storage/session_state.hpp"
#include "storage/sql_text.hpp"

#include "common/json_text.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <charconv>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

namespace paige::storage {
namespace {

using json = nlohmann::json;

/// Where a batched statement reads its rows: the jsonb array `rows` and their number `count`.
/// A statement of its own takes them as $1 and $2; inside the batch function they are its
/// parameters.
struct batch_input {
  std::string_view rows;
  std::string_view count;
};
constexpr batch_input statement_params{"$1::jsonb", "$2"};

/// The statement's `input` CTE: the rows as records of `columns`, with `select` of each.
std::string input_cte(batch_input in, std::string_view select, std::string_view columns) {
  return std::string{"\n  WITH input AS (\n    SELECT "}.append(select) +
         " FROM jsonb_to_recordset(" + std::string{in.rows} + ")\n      AS t(" +
         std::string{columns} + ") LIMIT " + std::string{in.count} + "),";
}

/// How a bot step moves its conversation (the one definition of that UPDATE): to the state,
/// vars and close of the step's row `step`; the caller adds its FROM and WHERE.
std::string step_moves_conversation(std::string_view step) {
  std::string s{step};
  return "UPDATE conversations v\n    SET state = " + s + ".state, vars = " + s +
         ".vars, updated_at = now(), last_message_at = now(),\n        status = CASE WHEN " + s +
         ".close THEN 'closed' ELSE v.status END,\n        closed_at = CASE WHEN " + s +
         ".close THEN now() ELSE v.closed_at END";
}

// Contacts upserted and their open conversations found or opened, in one statement: each
// wa_id once and one initial state ($3) per call (open_conversations groups them), so it joins
// none of its own results; a contact's open conversation is a scalar subquery (an index
// lookup); a contact known under the same name is only read (docs/decisions/0002). The
// contacts' rows come first, each with its open conversation if it had one; then the
// conversations opened here, by contact.
constexpr const char* open_conversations_tail_sql = R"sql(
  known AS (
    SELECT c.id, c.wa_id, c.name, c.last_inbound_at, c.opted_out_at FROM input i JOIN contacts c ON c.wa_id = i.wa_id
    WHERE i.name IS NULL OR i.name = c.name),
  written AS (
    INSERT INTO contacts (wa_id, name)
    SELECT wa_id, name FROM input i
    WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.wa_id = i.wa_id AND (i.name IS NULL OR i.name = c.name))
    ON CONFLICT (wa_id) DO UPDATE SET name = coalesce(EXCLUDED.name, contacts.name), updated_at = now()
    RETURNING id, wa_id, name, last_inbound_at, opted_out_at),
  contact AS (SELECT * FROM known UNION ALL SELECT * FROM written),
  found AS (
    SELECT c.*, (SELECT v FROM conversations v WHERE v.contact_id = c.id AND v.status = 'open') AS open_one
    FROM contact c),
  opened AS (
    INSERT INTO conversations (contact_id, state)
    SELECT f.id, $3 FROM found f WHERE (f.open_one).id IS NULL
    RETURNING id, contact_id)
  SELECT false AS opened, f.id AS contact_id, f.wa_id, coalesce(f.name, '') AS name,
         (f.open_one).id AS conversation_id, (f.open_one).state AS state, (f.open_one).vars::text AS vars,
         coalesce(to_char(f.last_inbound_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), '') AS last_inbound_at,
         coalesce(extract(epoch FROM f.last_inbound_at)::double precision, 0) AS last_inbound_epoch,
         f.opted_out_at IS NOT NULL AS opted_out
  FROM found f
  UNION ALL
  SELECT true, o.contact_id, NULL, NULL, o.id, NULL, NULL, NULL, NULL, NULL FROM opened o)sql";
const std::string& open_conversations_sql() {
  static const std::string sql =
      input_cte(statement_params, "wa_id, nullif(name, '') AS name", "wa_id text, name text") +
      open_conversations_tail_sql;
  return sql;
}

// Where a statement of a large batch (more than direct_join_limit rows) needs one of its own
// results by key, it looks the key up in a jsonb object built from them (MATERIALIZED: once),
// since a join of two such results is quadratic with hash joins off; `LIMIT $2` tells the
// planner the real row count (docs/decisions/0002).
constexpr const char* inbound_columns =
    "k int, conversation_id bigint, contact_id bigint, wamid text, type text, content jsonb, "
    "ts double precision, handled boolean";
constexpr const char* insert_inbound_head_sql = R"sql(
  firsts AS (SELECT DISTINCT ON (wamid) * FROM input ORDER BY wamid, k),
  ins AS (
    INSERT INTO messages (conversation_id, contact_id, direction, wamid, type, content, status,
                          created_at, handled_at)
    SELECT conversation_id, contact_id, 'in', wamid, type, content, 'received',
           CASE WHEN ts > 0 THEN to_timestamp(ts) ELSE now() END,
           CASE WHEN handled THEN now() END
    FROM firsts ORDER BY k
    ON CONFLICT (wamid) DO NOTHING
    RETURNING id, wamid),
  touched_contacts AS (
    UPDATE contacts c SET last_inbound_at = greatest(c.last_inbound_at, x.at), updated_at = now()
    FROM (SELECT contact_id, max(CASE WHEN ts > 0 THEN to_timestamp(ts) ELSE now() END) AS at
          FROM input GROUP BY contact_id) x
    WHERE c.id = x.contact_id),
  touched_conversations AS (
    UPDATE conversations v SET last_message_at = now(), updated_at = now()
    FROM (SELECT DISTINCT conversation_id FROM input) x WHERE v.id = x.conversation_id))sql";
// Its last part in the two forms of the exchange statement below (by batch size).
constexpr const char* insert_inbound_small_tail_sql = R"sql(
  SELECT f.k, ins.id FROM firsts f JOIN ins ON ins.wamid = f.wamid)sql";
constexpr const char* insert_inbound_large_tail_sql = R"sql(,
  inserted AS MATERIALIZED (SELECT jsonb_object_agg(wamid, id) AS ids FROM ins)
  SELECT f.k, (x.ids ->> f.wamid)::bigint AS id FROM firsts f, inserted x WHERE x.ids ? f.wamid)sql";

constexpr const char* step_columns =
    "k int, message_id bigint, conversation_id bigint, contact_id bigint, state text, vars jsonb, "
    "close boolean, outbound jsonb, fresh boolean";
constexpr const char* apply_steps_head_sql = R"sql(
  marked AS (
    UPDATE messages m SET handled_at = now()
    FROM input i WHERE m.id = i.message_id AND m.handled_at IS NULL AND NOT i.fresh
    RETURNING i.k),
  handled AS (SELECT k FROM marked UNION ALL SELECT k FROM input WHERE fresh),
  moved AS (
    )sql";
constexpr const char* apply_steps_tail_sql = R"sql(
    FROM input i JOIN handled h ON h.k = i.k WHERE v.id = i.conversation_id),
  queued AS (
    INSERT INTO messages (conversation_id, contact_id, direction, type, content, status)
    SELECT i.conversation_id, i.contact_id, 'out', o.value->>'type', o.value, 'queued'
    FROM input i JOIN handled h ON h.k = i.k
         CROSS JOIN LATERAL jsonb_array_elements(i.outbound) WITH ORDINALITY AS o(value, n)
    ORDER BY i.k, o.n
    RETURNING id, conversation_id)
  SELECT h.k, coalesce((SELECT json_agg(q.id ORDER BY q.id) FROM queued q JOIN input i2 ON i2.conversation_id = q.conversation_id
                        WHERE i2.k = h.k), '[]')::text AS queued
  FROM handled h)sql";
const std::string& apply_steps_sql() {
  static const std::string sql = input_cte(statement_params, "*", step_columns) +
                                 apply_steps_head_sql + step_moves_conversation("i") +
                                 apply_steps_tail_sql;
  return sql;
}

// The three writes of the common message path (exchange, accepted, statuses) return rows of
// one shape, `batch_row`: (kind, k, id, conversation_id, wamid, status, error, queued), so a
// batch can run all three in one call of `pg_temp.paige_write_batch` (write_batch below).
enum batch_kind { exchange_kind = 0, accepted_kind = 1, status_kind = 2 };

// An inbound message and the bot step it caused, in one statement: the message is stored
// handled; for a duplicate (its wamid stored before) nothing else happens. Each row is a
// different conversation (a conversation has one such write in flight at a time).
constexpr const char* exchange_columns =
    "k int, conversation_id bigint, contact_id bigint, wamid text, type text, content jsonb, "
    "ts double precision, state text, vars jsonb, close boolean, outbound jsonb";
constexpr const char* exchange_head_sql = R"sql(
  firsts AS (SELECT DISTINCT ON (wamid) * FROM input ORDER BY wamid, k),
  ins AS (
    INSERT INTO messages (conversation_id, contact_id, direction, wamid, type, content, status,
                          created_at, handled_at)
    SELECT conversation_id, contact_id, 'in', wamid, type, content, 'received',
           CASE WHEN ts > 0 THEN to_timestamp(ts) ELSE now() END, now()
    FROM firsts ORDER BY k
    ON CONFLICT (wamid) DO NOTHING
    RETURNING id, wamid),
)sql";
// The rest, in two forms that give the same rows (the inbound statement above likewise): a
// small batch (the usual) joins its own results directly, a large one (a burst) looks them up
// in jsonb objects, which cost a little more per call (docs/decisions/0002).
constexpr std::size_t direct_join_limit = 16;
constexpr const char* exchange_small_done_sql = R"sql(
  done AS (SELECT f.*, ins.id AS message_id FROM firsts f JOIN ins ON ins.wamid = f.wamid),
)sql";
constexpr const char* exchange_large_done_sql = R"sql(
  inserted AS MATERIALIZED (SELECT jsonb_object_agg(wamid, id) AS ids FROM ins),
  done AS (SELECT f.*, (x.ids ->> f.wamid)::bigint AS message_id FROM firsts f, inserted x WHERE x.ids ? f.wamid),
)sql";
constexpr const char* exchange_touched_sql = R"sql(
  touched_contacts AS (
    UPDATE contacts c SET last_inbound_at = greatest(c.last_inbound_at, x.at), updated_at = now()
    FROM (SELECT contact_id, max(CASE WHEN ts > 0 THEN to_timestamp(ts) ELSE now() END) AS at
          FROM input GROUP BY contact_id) x
    WHERE c.id = x.contact_id),
  moved AS (
    )sql";
constexpr const char* exchange_queued_sql = R"sql(
    FROM done d WHERE v.id = d.conversation_id),
  queued AS (
    INSERT INTO messages (conversation_id, contact_id, direction, type, content, status)
    SELECT d.conversation_id, d.contact_id, 'out', o.value->>'type', o.value, 'queued'
    FROM done d CROSS JOIN LATERAL jsonb_array_elements(d.outbound) WITH ORDINALITY AS o(value, n)
    ORDER BY d.k, o.n
    RETURNING id, conversation_id)
)sql";
constexpr const char* exchange_small_tail_sql = R"sql(
  SELECT 0 AS kind, d.k, d.message_id AS id, d.conversation_id, NULL::text AS wamid, NULL::text AS status,
         NULL::text AS error,
         coalesce((SELECT json_agg(q.id ORDER BY q.id) FROM queued q WHERE q.conversation_id = d.conversation_id),
                  '[]')::text AS queued
  FROM done d)sql";
constexpr const char* exchange_large_tail_sql = R"sql(,
  queued_ids AS MATERIALIZED (
    SELECT jsonb_object_agg(conversation_id::text, ids) AS by_conversation
    FROM (SELECT conversation_id, jsonb_agg(id ORDER BY id) AS ids FROM queued GROUP BY conversation_id) g)
  SELECT 0 AS kind, d.k, d.message_id AS id, d.conversation_id, NULL::text AS wamid, NULL::text AS status,
         NULL::text AS error, coalesce(q.by_conversation -> d.conversation_id::text, '[]')::text AS queued
  FROM done d, queued_ids q)sql";

/// The inbound statement for a batch of `rows` rows.
const std::string& insert_inbound_sql(std::size_t rows) {
  static const std::string head =
      input_cte(statement_params, "*", inbound_columns) + insert_inbound_head_sql;
  static const std::string small = head + insert_inbound_small_tail_sql;
  static const std::string large = head + insert_inbound_large_tail_sql;
  return rows <= direct_join_limit ? small : large;
}

/// The exchange statement for a batch of `rows` rows reading `in`.
std::string exchange_statement(std::size_t rows, batch_input in) {
  bool small = rows <= direct_join_limit;
  return input_cte(in, "*", exchange_columns) + exchange_head_sql +
         (small ? exchange_small_done_sql : exchange_large_done_sql) + exchange_touched_sql +
         step_moves_conversation("d") + exchange_queued_sql +
         (small ? exchange_small_tail_sql : exchange_large_tail_sql);
}
const std::string& exchange_sql(std::size_t rows) {
  static const std::string small = exchange_statement(1, statement_params);
  static const std::string large = exchange_statement(direct_join_limit + 1, statement_params);
  return rows <= direct_join_limit ? small : large;
}

// A batch's statuses per message: the highest one moves the status (never backwards; failed
// is terminal and does not follow read), and every status in the batch records its own time
// when none is recorded yet (sent_at too when sent and delivered come in one batch). One
// UPDATE per message; `o` is the row before it, so only real moves are returned (each becomes
// an event). Statuses for a wamid not recorded yet wait in pending_statuses.
constexpr const char* status_select =
    "wamid, status, CASE WHEN ts > 0 THEN to_timestamp(ts) ELSE now() END AS ts, error, "
    "paige_status_rank(status) AS rank";
constexpr const char* status_columns = "wamid text, status text, ts double precision, error jsonb";
constexpr const char* statuses_tail_sql = R"sql(
  per_message AS (
    SELECT wamid, (array_agg(status ORDER BY rank DESC, ts))[1] AS status, max(rank) AS rank,
           min(ts) FILTER (WHERE status = 'sent') AS sent,
           min(ts) FILTER (WHERE status = 'delivered') AS delivered,
           min(ts) FILTER (WHERE status IN ('read', 'played')) AS read,
           min(ts) FILTER (WHERE status = 'failed') AS failed,
           (array_agg(error ORDER BY ts) FILTER (WHERE status = 'failed'))[1] AS error
    FROM input GROUP BY wamid),
  changes AS (
    SELECT b.*, o.id,
           paige_status_rank(o.status) < b.rank AND NOT (b.status = 'failed' AND o.status IN ('read', 'played'))
             AS advances
    FROM per_message b JOIN messages o ON o.wamid = b.wamid AND o.direction = 'out' AND o.status <> 'failed'),
  moved AS (
    UPDATE messages m SET
      status = CASE WHEN c.advances THEN c.status ELSE m.status END,
      sent_at = coalesce(m.sent_at, c.sent),
      delivered_at = coalesce(m.delivered_at, c.delivered),
      read_at = coalesce(m.read_at, c.read),
      failed_at = CASE WHEN c.advances AND c.status = 'failed' THEN c.failed ELSE m.failed_at END,
      error = CASE WHEN c.advances AND c.status = 'failed' THEN c.error ELSE m.error END
    FROM changes c
    WHERE m.id = c.id
      AND (c.advances OR (m.sent_at IS NULL AND c.sent IS NOT NULL) OR (m.delivered_at IS NULL AND c.delivered IS NOT NULL)
           OR (m.read_at IS NULL AND c.read IS NOT NULL))
    RETURNING m.id, m.conversation_id, m.wamid, m.status, coalesce(m.error::text, '') AS error_text, c.advances),
  parked AS (
    INSERT INTO pending_statuses (wamid, status, ts, error)
    SELECT wamid, status, ts, error FROM input i
    WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.wamid = i.wamid)
    ON CONFLICT (wamid, status) DO NOTHING)
  SELECT 2 AS kind, NULL::int AS k, id, conversation_id, wamid, status, error_text AS error, NULL::text AS queued
  FROM moved WHERE advances ORDER BY id)sql";
std::string statuses_statement(batch_input in) {
  return input_cte(in, status_select, status_columns) + statuses_tail_sql;
}
const std::string& statuses_sql() {
  static const std::string sql = statuses_statement(statement_params);
  return sql;
}

constexpr const char* accepted_tail_sql = R"sql(
  early AS (
    DELETE FROM pending_statuses p USING input i WHERE p.wamid = i.wamid
    RETURNING p.wamid, p.status, p.ts, p.error),
  best AS (SELECT DISTINCT ON (wamid) wamid, status, error FROM early ORDER BY wamid, paige_status_rank(status) DESC)
  UPDATE messages m SET
    wamid = i.wamid,
    status = coalesce(b.status, 'accepted'),
    sent_at = (SELECT min(ts) FROM early e WHERE e.wamid = i.wamid AND e.status = 'sent'),
    delivered_at = (SELECT min(ts) FROM early e WHERE e.wamid = i.wamid AND e.status = 'delivered'),
    read_at = (SELECT min(ts) FROM early e WHERE e.wamid = i.wamid AND e.status IN ('read', 'played')),
    failed_at = (SELECT min(ts) FROM early e WHERE e.wamid = i.wamid AND e.status = 'failed'),
    error = CASE WHEN b.status = 'failed' THEN b.error END
  FROM input i LEFT JOIN best b ON b.wamid = i.wamid
  WHERE m.id = i.id AND m.direction = 'out'
  RETURNING 1 AS kind, NULL::int AS k, m.id, m.conversation_id, coalesce(m.wamid, '') AS wamid, m.status,
            coalesce(m.error::text, '') AS error, NULL::text AS queued)sql";
std::string accepted_statement(batch_input in) {
  return input_cte(in, "*", "id bigint, wamid text") + accepted_tail_sql;
}
const std::string& accepted_sql() {
  static const std::string sql = accepted_statement(statement_params);
  return sql;
}

// The batch function's forms for a batch of one exchange or one wamid (the usual batch under
// light load): the same writes and rows as the set-based statements, as small statements
// without their executor start-up (docs/decisions/0001). Like the set-based forms, the contact
// is touched even by a redelivered message, and a wamid with statuses waiting for it takes the
// set-based form, which applies them.
constexpr const char* one_exchange_plpgsql = R"sql(
    SELECT * INTO e FROM jsonb_to_record(p_exchanges -> 0)
      AS t(k int, conversation_id bigint, contact_id bigint, wamid text, type text, content jsonb,
           ts double precision, state text, vars jsonb, close boolean, outbound jsonb);
    e_at := CASE WHEN e.ts > 0 THEN to_timestamp(e.ts) ELSE now() END;
    INSERT INTO messages (conversation_id, contact_id, direction, wamid, type, content, status, created_at, handled_at)
    VALUES (e.conversation_id, e.contact_id, 'in', e.wamid, e.type, e.content, 'received', e_at, now())
    ON CONFLICT (wamid) DO NOTHING
    RETURNING messages.id INTO e_message_id;
    UPDATE contacts c SET last_inbound_at = greatest(c.last_inbound_at, e_at), updated_at = now()
    WHERE c.id = e.contact_id;
    IF e_message_id IS NOT NULL THEN
      )sql";
constexpr const char* one_exchange_tail_plpgsql = R"sql(
      WHERE v.id = e.conversation_id;
      RETURN QUERY
      WITH queued AS (
        INSERT INTO messages (conversation_id, contact_id, direction, type, content, status)
        SELECT e.conversation_id, e.contact_id, 'out', o.value->>'type', o.value, 'queued'
        FROM jsonb_array_elements(e.outbound) WITH ORDINALITY AS o(value, n)
        ORDER BY o.n
        RETURNING messages.id)
      SELECT 0, e.k, e_message_id, e.conversation_id, NULL::text, NULL::text, NULL::text,
             coalesce((SELECT json_agg(q.id ORDER BY q.id) FROM queued q), '[]')::text;
    END IF;)sql";
constexpr const char* one_accepted_condition_plpgsql = R"sql(p_accepted_count = 1 AND NOT EXISTS (
      SELECT 1 FROM pending_statuses p WHERE p.wamid = p_accepted -> 0 ->> 'wamid'))sql";
constexpr const char* one_accepted_plpgsql = R"sql(
    RETURN QUERY
    UPDATE messages m SET wamid = p_accepted -> 0 ->> 'wamid', status = 'accepted', sent_at = NULL,
      delivered_at = NULL, read_at = NULL, failed_at = NULL, error = NULL
    WHERE m.id = (p_accepted -> 0 ->> 'id')::bigint AND m.direction = 'out'
    RETURNING 1, NULL::int, m.id, m.conversation_id, coalesce(m.wamid, ''), m.status, coalesce(m.error::text, ''),
              NULL::text;)sql";

// The batch function's form for a few statuses of distinct messages (the usual batch under
// light load: a status webhook or two of different sends lingering until the next write).
// With one status per message the set-based statement's grouping has nothing to merge, so
// each status is a lookup of its message by wamid and an update by id: the same rows and
// changes (returned in input order, not by id), without executor start-up of the CTE plan.
constexpr std::size_t small_statuses_limit = 4;
constexpr const char* few_statuses_plpgsql = R"sql(
    FOR s IN SELECT * FROM jsonb_to_recordset(p_statuses) AS t(wamid text, status text, ts double precision, error jsonb)
    LOOP
      s_at := CASE WHEN s.ts > 0 THEN to_timestamp(s.ts) ELSE now() END;
      SELECT m.id, m.status INTO o_id, o_status FROM messages m
      WHERE m.wamid = s.wamid AND m.direction = 'out' AND m.status <> 'failed';
      IF NOT FOUND THEN
        IF NOT EXISTS (SELECT 1 FROM messages m WHERE m.wamid = s.wamid) THEN
          INSERT INTO pending_statuses (wamid, status, ts, error) VALUES (s.wamid, s.status, s_at, s.error)
          ON CONFLICT (wamid, status) DO NOTHING;
        END IF;
        CONTINUE;
      END IF;
      IF paige_status_rank(o_status) < paige_status_rank(s.status)
         AND NOT (s.status = 'failed' AND o_status IN ('read', 'played')) THEN
        RETURN QUERY
        UPDATE messages m SET
          status = s.status,
          sent_at = CASE WHEN s.status = 'sent' THEN coalesce(m.sent_at, s_at) ELSE m.sent_at END,
          delivered_at = CASE WHEN s.status = 'delivered' THEN coalesce(m.delivered_at, s_at) ELSE m.delivered_at END,
          read_at = CASE WHEN s.status IN ('read', 'played') THEN coalesce(m.read_at, s_at) ELSE m.read_at END,
          failed_at = CASE WHEN s.status = 'failed' THEN s_at ELSE m.failed_at END,
          error = CASE WHEN s.status = 'failed' THEN s.error ELSE m.error END
        WHERE m.id = o_id
        RETURNING 2, NULL::int, m.id, m.conversation_id, m.wamid, m.status, coalesce(m.error::text, ''), NULL::text;
      ELSE
        -- No move, but the status's own time is recorded if none is yet.
        UPDATE messages m SET
          sent_at = CASE WHEN s.status = 'sent' THEN coalesce(m.sent_at, s_at) ELSE m.sent_at END,
          delivered_at = CASE WHEN s.status = 'delivered' THEN coalesce(m.delivered_at, s_at) ELSE m.delivered_at END,
          read_at = CASE WHEN s.status IN ('read', 'played') THEN coalesce(m.read_at, s_at) ELSE m.read_at END
        WHERE m.id = o_id AND ((s.status = 'sent' AND m.sent_at IS NULL) OR (s.status = 'delivered' AND m.delivered_at IS NULL)
                               OR (s.status IN ('read', 'played') AND m.read_at IS NULL));
      END IF;
    END LOOP;)sql";

/// Whether `statuses` can take the batch function's small form: a few, one per message (none:
/// no form, so a batch without statuses runs no statement for them).
bool few_statuses(const std::vector<status_row>& statuses) {
  if (statuses.empty() || statuses.size() > small_statuses_limit) return false;
  for (std::size_t i = 0; i < statuses.size(); ++i)
    for (std::size_t j = i + 1; j < statuses.size(); ++j)
      if (statuses[i].wamid == statuses[j].wamid) return false;
  return true;
}

/// Runs a statement of the hot path as a prepared statement of the connection: Postgres
/// parses and plans it once per connection instead of once per call (these CTE statements
/// cost more to plan than to run).
template <class... Args>
pqxx::result prepared(pqxx::transaction_base& tx, const char* name, const char* sql,
                      Args&&... args) {
  tx.conn().prepare(name, sql);  // no-op once registered; libpqxx prepares on first use
  return tx.exec_prepared(name, std::forward<Args>(args)...);
}

}  // namespace

std::vector<conversation_row> open_conversations(pqxx::transaction_base& tx,
                                                 const std::vector<open_row>& rows) {
  // One statement per initial state (a batch has one unless the bot changed meanwhile); a
  // wa_id asked twice is written once, its first request answered "opened".
  std::vector<conversation_row> out(rows.size());
  std::vector<bool> done(rows.size(), false);
  for (std::size_t first = 0; first < rows.size(); ++first) {
    if (done[first]) continue;
    const auto& state = rows[first].initial_state;
    json input = json::array();
    std::unordered_map<std::string, std::vector<std::size_t>> asked;  // wa_id -> places in rows
    for (std::size_t k = first; k < rows.size(); ++k) {
      if (done[k] || rows[k].initial_state != state) continue;
      done[k] = true;
      auto& places = asked[rows[k].wa_id];
      if (places.empty()) input.push_back({{"wa_id", rows[k].wa_id}, {"name", rows[k].name}});
      places.push_back(k);
    }
    std::unordered_map<std::int64_t, conversation_row> by_contact;
    std::unordered_map<std::string, std::int64_t> contact_of;
    for (const auto& r : prepared(tx, "paige_open", open_conversations_sql().c_str(), input.dump(),
                                  static_cast<long>(input.size()), state)) {
      auto& row = by_contact[r["contact_id"].as<std::int64_t>()];
      if (r["opened"].as<bool>()) {  // opened by this statement
        row.conversation_id = r["conversation_id"].as<std::int64_t>();
        row.state = state;
        row.vars_json = "{}";
        row.opened = true;
        continue;
      }
      row.contact_id = r["contact_id"].as<std::int64_t>();
      contact_of[r["wa_id"].as<std::string>()] = row.contact_id;
      row.contact_name = r["name"].as<std::string>();
      row.last_inbound_at = r["last_inbound_at"].as<std::string>();
      row.last_inbound_epoch = r["last_inbound_epoch"].as<double>();
      row.opted_out = r["opted_out"].as<bool>();
      if (!r["conversation_id"].is_null()) {
        row.conversation_id = r["conversation_id"].as<std::int64_t>();
        row.state = r["state"].as<std::string>();
        row.vars_json = r["vars"].as<std::string>();
      }
    }
    for (const auto& [wa_id, places] : asked) {
      auto row = by_contact.at(contact_of.at(wa_id));
      for (auto k : places) {
        out[k] = row;
        row.opened = false;  // a repeat finds it open
      }
    }
  }
  return out;
}

conversation_row open_conversation(pqxx::transaction_base& tx, const std::string& wa_id,
                                   const std::string& name, const std::string& initial_state) {
  return open_conversations(tx, {{wa_id, name, initial_state}}).at(0);
}

std::vector<std::int64_t> insert_inbound(pqxx::transaction_base& tx,
                                         const std::vector<inbound_row>& rows) {
  json input = json::array();
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const auto& r = rows[k];
    input.push_back({{"k", k},
                     {"conversation_id", r.conversation_id},
                     {"contact_id", r.contact_id},
                     {"wamid", r.wamid},
                     {"type", r.type},
                     {"content", json::parse(r.content_json)},
                     {"ts", r.timestamp},
                     {"handled", r.handled}});
  }
  std::vector<std::int64_t> ids(rows.size(), 0);
  bool small = rows.size() <= direct_join_limit;
  for (const auto& row : prepared(tx, small ? "paige_inbound" : "paige_inbound_large",
                                  insert_inbound_sql(rows.size()).c_str(), input.dump(),
                                  static_cast<long>(input.size())))
    ids.at(row["k"].as<std::size_t>()) = row["id"].as<std::int64_t>();
  return ids;
}

std::vector<step_outcome> apply_steps(pqxx::transaction_base& tx,
                                      const std::vector<step_row>& steps) {
  json input = json::array();
  for (std::size_t k = 0; k < steps.size(); ++k) {
    const auto& s = steps[k];
    json outbound = json::array();
    for (const auto& [type, content] : s.outbound) outbound.push_back(json::parse(content));
    input.push_back({{"k", k},
                     {"message_id", s.message_id},
                     {"conversation_id", s.conversation_id},
                     {"contact_id", s.contact_id},
                     {"state", s.state},
                     {"vars", json::parse(s.vars_json)},
                     {"close", s.close},
                     {"outbound", outbound},
                     {"fresh", s.fresh}});
  }
  std::vector<step_outcome> out(steps.size());
  for (const auto& row : prepared(tx, "paige_steps", apply_steps_sql().c_str(), input.dump(),
                                  static_cast<long>(input.size()))) {
    auto& o = out.at(row["k"].as<std::size_t>());
    o.applied = true;
    for (const auto& id : json::parse(row["queued"].as<std::string>()))
      o.outbound_ids.push_back(id.get<std::int64_t>());
  }
  return out;
}

namespace {

// The batch inputs are written as JSON text: content, vars and errors are JSON already
// (Paige wrote them, or Postgres did), so they are copied in rather than parsed and dumped
// again, which cost a quarter of a message's allocations in the persistence worker.
using json_text::append_bool;
using json_text::append_int;
using json_text::append_number;
using json_text::append_string;

std::string exchanges_input(const std::vector<exchange_row>& rows) {
  std::string out = "[";
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const auto& in = rows[k].inbound;
    const auto& s = rows[k].step;
    out += k ? R"(,{"k":)" : R"({"k":)";
    append_int(out, static_cast<std::int64_t>(k));
    out += R"(,"conversation_id":)";
    append_int(out, in.conversation_id);
    out += R"(,"contact_id":)";
    append_int(out, in.contact_id);
    out += R"(,"wamid":)";
    append_string(out, in.wamid);
    out += R"(,"type":)";
    append_string(out, in.type);
    out += R"(,"content":)";
    out += in.content_json;
    out += R"(,"ts":)";
    append_number(out, in.timestamp);
    out += R"(,"state":)";
    append_string(out, s.state);
    out += R"(,"vars":)";
    out += s.vars_json;
    out += R"(,"close":)";
    append_bool(out, s.close);
    out += R"(,"outbound":[)";
    for (std::size_t i = 0; i < s.outbound.size(); ++i) {
      if (i) out += ',';
      out += s.outbound[i].second;
    }
    out += "]}";
  }
  out += ']';
  return out;
}

std::string accepted_input(const std::vector<accepted_row>& rows) {
  std::string out = "[";
  for (std::size_t k = 0; k < rows.size(); ++k) {
    out += k ? R"(,{"id":)" : R"({"id":)";
    append_int(out, rows[k].message_id);
    out += R"(,"wamid":)";
    append_string(out, rows[k].wamid);
    out += '}';
  }
  out += ']';
  return out;
}

std::string statuses_input(const std::vector<status_row>& statuses) {
  std::string out = "[";
  for (std::size_t k = 0; k < statuses.size(); ++k) {
    const auto& s = statuses[k];
    out += k ? R"(,{"wamid":)" : R"({"wamid":)";
    append_string(out, s.wamid);
    out += R"(,"status":)";
    append_string(out, s.status);
    out += R"(,"ts":)";
    append_number(out, s.timestamp);
    out += R"(,"error":)";
    out += s.errors_json.empty() ? std::string_view{"null"} : std::string_view{s.errors_json};
    out += '}';
  }
  out += ']';
  return out;
}

/// The ids of a json_agg of ids ("[12, 13]", "[]"), read without a document (one per
/// exchange, on the hot path).
void read_ids(std::string_view text, std::vector<std::int64_t>& out) {
  auto bad = [&] { return std::runtime_error("not a list of ids: " + std::string{text}); };
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') throw bad();
  const char* at = text.data() + 1;
  const char* end = text.data() + text.size() - 1;
  while (at < end) {
    while (at < end && (*at == ' ' || *at == ',')) ++at;
    if (at == end) break;
    std::int64_t id = 0;
    auto [next, ec] = std::from_chars(at, end, id);
    if (ec != std::errc{}) throw bad();
    out.push_back(id);
    at = next;
  }
}

/// Where a result of batch rows has each column, found by name once per result (a lookup by
/// name per field would cost an allocation each on the hot path).
struct batch_columns {
  explicit batch_columns(const pqxx::result& r)
      : kind{r.column_number("kind")},
        k{r.column_number("k")},
        id{r.column_number("id")},
        conversation_id{r.column_number("conversation_id")},
        wamid{r.column_number("wamid")},
        status{r.column_number("status")},
        error{r.column_number("error")},
        queued{r.column_number("queued")} {}
  pqxx::row::size_type kind, k, id, conversation_id, wamid, status, error, queued;
};

/// Reads an exchange's batch row into its place in `out`.
void read_exchange(const pqxx::row& row, const batch_columns& c,
                   std::vector<std::pair<std::int64_t, step_outcome>>& out) {
  auto& [id, outcome] = out.at(row[c.k].as<std::size_t>());
  id = row[c.id].as<std::int64_t>();
  outcome.applied = true;
  read_ids({row[c.queued].c_str(), row[c.queued].size()}, outcome.outbound_ids);
}

status_change change_of(const pqxx::row& r, const batch_columns& c) {
  // A broadcast's message has no conversation: 0.
  auto conversation =
      r[c.conversation_id].is_null() ? std::int64_t{0} : r[c.conversation_id].as<std::int64_t>();
  return {r[c.id].as<std::int64_t>(), conversation, r[c.wamid].as<std::string>(),
          r[c.status].as<std::string>(), r[c.error].as<std::string>()};
}

/// Gives an accepted row's change to the first request of that message still without one.
void read_accepted(const pqxx::row& row, const batch_columns& c,
                   const std::vector<accepted_row>& rows,
                   std::vector<std::optional<status_change>>& out) {
  auto change = change_of(row, c);
  for (std::size_t k = 0; k < rows.size(); ++k)
    if (rows[k].message_id == change.message_id && !out[k]) {
      out[k] = std::move(change);
      return;
    }
}

}  // namespace

std::vector<std::pair<std::int64_t, step_outcome>> insert_exchanges(
    pqxx::transaction_base& tx, const std::vector<exchange_row>& rows) {
  auto input = exchanges_input(rows);
  std::vector<std::pair<std::int64_t, step_outcome>> out(rows.size());
  bool small = rows.size() <= direct_join_limit;
  auto result = prepared(tx, small ? "paige_exchange" : "paige_exchange_large",
                         exchange_sql(rows.size()).c_str(), input, static_cast<long>(rows.size()));
  batch_columns columns{result};
  for (const auto& row : result) read_exchange(row, columns, out);
  return out;
}

void set_up_write_session(pqxx::connection_base& conn, std::chrono::milliseconds timeout) {
  auto ms = std::to_string(timeout.count());
  auto lock_ms = std::to_string(timeout.count() * 4 / 5);  // first: a wait for a lock is told apart
  no_silent_reconnect(conn);  // these settings and the temporary function hold, or it fails
  pqxx::nontransaction{conn}.exec0(
      "SET plan_cache_mode = force_generic_plan; SET enable_hashjoin = off; SET enable_mergejoin = "
      "off; "
      "SET enable_seqscan = off; SET statement_timeout = " +
      ms + "; SET lock_timeout = " + lock_ms +
      "; SET idle_in_transaction_session_timeout = 0; SET search_path = pg_catalog, public");
  // A temporary function (pg_temp, this session's own): always the statements of this
  // build, with nothing to migrate, and PL/pgSQL keeps each statement's plan for the session.
  // `use_column`: the statements' column names win over the result columns' names.
  constexpr batch_input exchanges{"p_exchanges", "p_exchange_count"};
  static const std::string sql =
      "CREATE FUNCTION pg_temp.paige_write_batch(p_exchanges jsonb, p_exchange_count int, "
      "p_accepted jsonb, "
      "p_accepted_count int, p_statuses jsonb, p_status_count int, p_few_statuses boolean) "
      "RETURNS TABLE (kind int, k int, id bigint, conversation_id bigint, wamid text, status text, "
      "error text, "
      "queued text) LANGUAGE plpgsql AS $paige$\n#variable_conflict use_column\n"
      "DECLARE e record; e_at timestamptz; e_message_id bigint; s record; s_at timestamptz; o_id "
      "bigint; o_status text;\n"
      "BEGIN\n"
      "  IF p_exchange_count > " +
      std::to_string(direct_join_limit) + " THEN RETURN QUERY " +
      exchange_statement(direct_join_limit + 1, exchanges) +
      ";\n  ELSIF p_exchange_count = 1 THEN" + one_exchange_plpgsql + step_moves_conversation("e") +
      one_exchange_tail_plpgsql + "\n  ELSIF p_exchange_count > 0 THEN RETURN QUERY " +
      exchange_statement(1, exchanges) +
      ";\n  END IF;\n"
      "  IF " +
      one_accepted_condition_plpgsql + " THEN" + one_accepted_plpgsql +
      "\n  ELSIF p_accepted_count > 0 THEN RETURN QUERY " +
      accepted_statement({"p_accepted", "p_accepted_count"}) +
      ";\n  END IF;\n"
      "  IF p_few_statuses THEN" +
      few_statuses_plpgsql + "\n  ELSIF p_status_count > 0 THEN RETURN QUERY " +
      statuses_statement({"p_statuses", "p_status_count"}) + ";\n  END IF;\nEND $paige$";
  pqxx::nontransaction{conn}.exec0(sql);
}

void warm_up_write_session(pqxx::connection_base& conn) {
  // Names no WhatsApp id or wamid can take (those are digits and "wamid." ids).
  const std::string text = R"({"type":"text","text":{"body":"warm-up"}})";
  pqxx::work tx{conn};
  auto c = open_conversations(tx, {{"paige:warm-up", "", "warm-up"}}).at(0);
  auto first = write_batch(
      tx, {{{{c.conversation_id, c.contact_id, "paige:warm-up:in", "text", text, 0, false},
             {0, c.conversation_id, c.contact_id, "warm-up", "{}", false, {{"text", text}}}}},
           {},
           {{"paige:warm-up:parked", "sent", 0, ""}}});
  auto sent = first.exchanges.at(0).second.outbound_ids.at(0);
  write_batch(tx, {{}, {{sent, "paige:warm-up:out"}}, {{"paige:warm-up:out", "sent", 0, ""}}});
  tx.abort();
}

batch_results write_batch(pqxx::transaction_base& tx, const batch_writes& writes) {
  constexpr const char* call_sql =
      "SELECT * FROM pg_temp.paige_write_batch($1::jsonb, $2, $3::jsonb, $4, $5::jsonb, $6, $7)";
  batch_results out;
  out.exchanges.resize(writes.exchanges.size());
  out.accepted.resize(writes.accepted.size());
  auto exchanges = exchanges_input(writes.exchanges);
  auto accepted = accepted_input(writes.accepted);
  auto statuses = statuses_input(writes.statuses);
  auto result =
      prepared(tx, "paige_batch", call_sql, exchanges, static_cast<int>(writes.exchanges.size()),
               accepted, static_cast<int>(writes.accepted.size()), statuses,
               static_cast<int>(writes.statuses.size()), few_statuses(writes.statuses));
  batch_columns columns{result};
  for (const auto& row : result) {
    switch (row[columns.kind].as<int>()) {
      case exchange_kind:
        read_exchange(row, columns, out.exchanges);
        break;
      case accepted_kind:
        read_accepted(row, columns, writes.accepted, out.accepted);
        break;
      default:
        out.statuses.push_back(change_of(row, columns));
        break;
    }
  }
  return out;
}

void save_row(pqxx::transaction_base& tx, const std::string& table,
              const std::vector<std::pair<std::string, std::string>>& values) {
  if (!valid_identifier(table)) throw std::invalid_argument("invalid table name: " + table);
  std::string columns, placeholders;
  std::vector<std::string> params;
  int n = 0;
  for (const auto& [column, value] : values) {
    if (!valid_identifier(column)) throw std::invalid_argument("invalid column name: " + column);
    if (n++) {
      columns += ", ";
      placeholders += ", ";
    }
    columns += tx.quote_name(column);
    placeholders += "$" + std::to_string(n);
    params.push_back(value);
  }
  tx.exec_params("INSERT INTO public." + tx.quote_name(table) + " (" + columns + ") VALUES (" +
                     placeholders + ")",
                 pqxx::prepare::make_dynamic_params(params));
}

void record_flow_answer(pqxx::transaction_base& tx,
                        const std::vector<std::pair<std::string, std::string>>& values) {
  auto value = [&values](const char* key) {
    for (const auto& [k, v] : values)
      if (k == key) return v;
    return std::string{};
  };
  tx.exec_params(
      "INSERT INTO flow_answers (flow_name, flow_id, flow_token, response, message_id, send_id, "
      "contact_id, conversation_id) "
      "SELECT $1, $2, $3, $4::jsonb, m.id, coalesce("
      "(SELECT s.id FROM messages s WHERE s.wamid = m.content->'context'->>'id' AND "
      "s.direction = 'out'), "
      "(SELECT s.id FROM messages s WHERE s.direction = 'out' AND s.type = 'interactive' AND "
      "s.content->'interactive'->'action'->'parameters'->>'flow_token' = $3 "
      "ORDER BY s.id DESC LIMIT 1)), m.contact_id, m.conversation_id "
      "FROM messages m WHERE m.wamid = $5 "
      "ON CONFLICT (message_id) DO NOTHING",
      value("flow_name"), value("flow_id"), value("flow_token"), value("response"), value("wamid"));
}

void record_flow_tokens(pqxx::transaction_base& tx, const std::vector<flow_token_row>& rows) {
  if (rows.empty()) return;
  std::string input = "[";
  for (const auto& r : rows) {
    if (input.size() > 1) input += ',';
    input += R"({"token":)";
    json_text::append_string(input, r.token);
    input += R"(,"flow_name":)";
    json_text::append_string(input, r.flow_name);
    input += R"(,"wa_id":)";
    json_text::append_string(input, r.wa_id);
    input += '}';
  }
  input += ']';
  tx.exec_params0(
      "INSERT INTO flow_tokens (token, flow_name, wa_id) "
      "SELECT token, flow_name, wa_id FROM jsonb_to_recordset($1::jsonb) "
      "AS t(token text, flow_name text, wa_id text) "
      "ON CONFLICT (token) DO NOTHING",
      input);
}

bool flow_token_sent(pqxx::transaction_base& tx, const std::string& token) {
  return !tx.exec_params(
                "SELECT 1 FROM flow_tokens WHERE token = $1 UNION ALL "
                "(SELECT 1 FROM messages WHERE direction = 'out' AND "
                "type = 'interactive' AND "
                "content->'interactive'->'action'->'parameters'->>'flow_token' = $1 "
                "LIMIT 1) LIMIT 1",
                token)
              .empty();
}

void mark_skipped(pqxx::transaction_base& tx, std::int64_t id, const std::string& error_json) {
  tx.exec_params0("UPDATE messages SET error = $2::jsonb WHERE id = $1 AND direction = 'in'", id,
                  error_json);
}

queued_message queue_outbound(pqxx::transaction_base& tx, std::int64_t conversation_id,
                              std::int64_t contact_id, const std::string& type,
                              const std::string& content_json) {
  auto r = tx.exec_params1(
      "INSERT INTO messages (conversation_id, contact_id, direction, type, content, status) "
      "VALUES ($1, $2, 'out', $3, $4::jsonb, 'queued') RETURNING id, " +
          iso_utc("created_at") + " AS created_at",
      conversation_id, contact_id, type, content_json);
  tx.exec_params(
      "UPDATE conversations SET last_message_at = now(), updated_at = now() WHERE id = $1",
      conversation_id);
  return {r["id"].as<std::int64_t>(), r["created_at"].as<std::string>()};
}

double last_inbound_of(pqxx::transaction_base& tx, const std::string& wa_id) {
  auto r = tx.exec_params(
      "SELECT coalesce(extract(epoch FROM last_inbound_at)::double precision, 0) AS at "
      "FROM contacts "
      "WHERE wa_id = $1",
      wa_id);
  return r.empty() ? 0.0 : r[0]["at"].as<double>();
}

std::optional<std::vector<message_row>> conversation_messages(pqxx::transaction_base& tx,
                                                              std::int64_t conversation_id,
                                                              std::int64_t before_id, int limit) {
  if (tx.exec_params("SELECT 1 FROM conversations WHERE id = $1", conversation_id).empty())
    return std::nullopt;
  auto opt_ts = [](const std::string& column) {
    return "coalesce(" + iso_utc(column) + ", '') AS " + column;
  };
  static const std::string sql =
      "SELECT id, coalesce(wamid, '') AS wamid, direction, type, content::text AS content, "
      "status, coalesce(error::text, '') AS error, " +
      iso_utc("created_at") + " AS created_at, " + opt_ts("sent_at") + ", " +
      opt_ts("delivered_at") + ", " + opt_ts("read_at") +
      " FROM messages WHERE conversation_id = $1 AND ($2 = 0 OR id < $2) ORDER BY id DESC LIMIT $3";
  std::vector<message_row> out;
  for (const auto& r : tx.exec_params(sql, conversation_id, before_id, limit)) {
    auto text = [&r](const char* column) { return r[column].as<std::string>(); };
    out.push_back({r["id"].as<std::int64_t>(), text("wamid"), text("direction"), text("type"),
                   text("content"), text("status"), text("error"), text("created_at"),
                   text("sent_at"), text("delivered_at"), text("read_at")});
  }
  return out;
}

std::vector<unhandled_row> unhandled_inbound(pqxx::transaction_base& tx) {
  std::vector<unhandled_row> out;
  for (const auto& r :
       tx.exec("SELECT m.id, c.wa_id, coalesce(c.name, '') AS name, m.wamid, m.type, "
               "m.content::text AS content FROM messages m JOIN contacts c ON c.id = m.contact_id "
               "WHERE m.direction = 'in' AND m.handled_at IS NULL ORDER BY m.id"))
    out.push_back({r["id"].as<std::int64_t>(), r["wa_id"].as<std::string>(),
                   r["name"].as<std::string>(), r["wamid"].as<std::string>(),
                   r["type"].as<std::string>(), r["content"].as<std::string>()});
  return out;
}

std::vector<queued_row> queued_outbound(pqxx::transaction_base& tx) {
  std::vector<queued_row> out;
  for (const auto& r : tx.exec(
           "SELECT m.id, c.wa_id, m.content::text AS content, m.conversation_id IS NULL AS bulk "
           "FROM messages m JOIN contacts c ON c.id = m.contact_id "
           "WHERE m.direction = 'out' AND m.wamid IS NULL AND m.status = 'queued' ORDER BY m.id"))
    out.push_back({r["id"].as<std::int64_t>(), r["wa_id"].as<std::string>(),
                   r["content"].as<std::string>(), r["bulk"].as<bool>()});
  return out;
}

std::vector<std::optional<status_change>> record_accepted(pqxx::transaction_base& tx,
                                                          const std::vector<accepted_row>& rows) {
  auto input = accepted_input(rows);
  std::vector<std::optional<status_change>> out(rows.size());
  auto result =
      prepared(tx, "paige_accepted", accepted_sql().c_str(), input, static_cast<long>(rows.size()));
  batch_columns columns{result};
  for (const auto& r : result) read_accepted(r, columns, rows, out);
  return out;
}

std::optional<status_change> record_accepted_again(pqxx::transaction_base& tx,
                                                   const accepted_row& row) {
  auto recorded =
      tx.exec_params("SELECT 1 FROM messages WHERE id = $1 AND wamid IS NOT NULL", row.message_id);
  if (!recorded.empty()) return std::nullopt;
  return record_accepted(tx, {row}).at(0);
}

std::optional<status_change> record_failed(pqxx::transaction_base& tx, std::int64_t id,
                                           const std::string& error_json) {
  auto r = tx.exec_params(
      "UPDATE messages SET status = 'failed', failed_at = now(), error = $2::jsonb "
      "WHERE id = $1 AND direction = 'out' "
      "RETURNING 1 AS kind, NULL::int AS k, id, conversation_id, coalesce(wamid, '') AS wamid, "
      "status, error::text AS error, NULL::text AS queued",
      id, error_json);
  if (r.empty()) return std::nullopt;
  return change_of(r[0], batch_columns{r});
}

std::vector<status_change> apply_statuses(pqxx::transaction_base& tx,
                                          const std::vector<status_row>& statuses) {
  auto input = statuses_input(statuses);
  std::vector<status_change> out;
  auto result = prepared(tx, "paige_statuses", statuses_sql().c_str(), input,
                         static_cast<long>(statuses.size()));
  batch_columns columns{result};
  for (const auto& r : result) out.push_back(change_of(r, columns));
  return out;
}

}  // namespace paige::storage
