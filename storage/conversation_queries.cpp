#include "storage/conversation_queries.hpp"

#include "storage/sql_text.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

namespace paige::storage {
namespace {

std::string ts(const std::string& column) { return "coalesce(" + iso_utc(column) + ", NULL)"; }

const std::string contact_json =
    "json_build_object('id', c.id, 'wa_id', c.wa_id, 'name', c.name, 'created_at', " +
    ts("c.created_at") + ", 'last_inbound_at', " + ts("c.last_inbound_at") + ", 'opted_out_at', " +
    ts("c.opted_out_at") + ")";

const std::string conversation_json =
    "json_build_object('id', v.id, 'contact', json_build_object('id', c.id, 'wa_id', c.wa_id, "
    "'name', c.name), "
    "'state', v.state, 'status', v.status, 'started_at', " +
    ts("v.started_at") + ", 'updated_at', " + ts("v.updated_at") + ", 'last_message_at', " +
    ts("v.last_message_at") + ", 'closed_at', " + ts("v.closed_at") +
    ", 'service_window_ends_at', " + ts("c.last_inbound_at + interval '24 hours'") + ")";

const std::string message_json =
    "json_build_object('id', m.id, 'conversation_id', m.conversation_id, 'wamid', m.wamid, "
    "'direction', "
    "m.direction, 'type', m.type, 'content', m.content, 'status', m.status, 'error', m.error, "
    "'created_at', " +
    ts("m.created_at") + ", 'sent_at', " + ts("m.sent_at") + ", 'delivered_at', " +
    ts("m.delivered_at") + ", 'read_at', " + ts("m.read_at") + ")";

/// Runs a keyset query whose rows are (id, doc); `limit + 1` rows tell whether more follow.
page paged(const pqxx::result& rows, int limit) {
  page out;
  std::string items = "[";
  int n = 0;
  std::int64_t last = 0;
  for (const auto& r : rows) {
    if (n == limit) {
      out.next_before = last;
      break;
    }
    if (n++) items += ',';
    items += r["doc"].as<std::string>();
    last = r["id"].as<std::int64_t>();
  }
  out.items_json = items + "]";
  return out;
}

std::string like_pattern(pqxx::transaction_base& tx, const std::string& text) {
  return tx.esc_like(text);
}

/// The condition "contact c is what `param` (a like_pattern) searches for": a wa_id prefix or
/// part of the name, any case; an empty search finds every contact.
std::string contact_matches(const std::string& param) {
  return "(" + param + " = '' OR c.wa_id LIKE " + param + " || '%' OR c.name ILIKE '%' || " +
         param + " || '%')";
}

}  // namespace

page list_contacts(pqxx::transaction_base& tx, const std::string& search, std::int64_t before,
                   int limit) {
  auto pattern = like_pattern(tx, search);
  return paged(tx.exec_params("SELECT c.id, " + contact_json +
                                  "::text AS doc FROM contacts c "
                                  "WHERE ($1 = 0 OR c.id < $1) AND " +
                                  contact_matches("$2") + " ORDER BY c.id DESC LIMIT $3",
                              before, pattern, limit + 1),
               limit);
}

std::optional<std::string> get_contact(pqxx::transaction_base& tx, std::int64_t id) {
  auto r = tx.exec_params(
      "SELECT " + contact_json + "::text AS doc FROM contacts c WHERE c.id = $1", id);
  if (r.empty()) return std::nullopt;
  return r[0]["doc"].as<std::string>();
}

page list_conversations(pqxx::transaction_base& tx, const std::vector<std::string>& states,
                        const std::string& status, std::int64_t contact_id,
                        const std::string& search, std::int64_t before, int limit) {
  // States travel as one JSON array parameter: values are always bound.
  auto states_json = nlohmann::json(states).dump();
  auto pattern = like_pattern(tx, search);
  return paged(tx.exec_params(
                   "SELECT v.id, " + conversation_json +
                       "::text AS doc FROM conversations v "
                       "JOIN contacts c ON c.id = v.contact_id "
                       "WHERE ($1 = 0 OR v.id < $1) AND ($2 = '' OR v.status = $2) AND ($3 = 0 OR "
                       "v.contact_id = $3) "
                       "AND (jsonb_array_length($4::jsonb) = 0 OR v.state IN "
                       "(SELECT jsonb_array_elements_text($4::jsonb))) AND " +
                       contact_matches("$6") + " ORDER BY v.id DESC LIMIT $5",
                   before, status, contact_id, states_json, limit + 1, pattern),
               limit);
}

std::optional<std::string> get_conversation(pqxx::transaction_base& tx, std::int64_t id) {
  auto r = tx.exec_params("SELECT " + conversation_json +
                              "::text AS doc FROM conversations v JOIN contacts c ON "
                              "c.id = v.contact_id WHERE v.id = $1",
                          id);
  if (r.empty()) return std::nullopt;
  return r[0]["doc"].as<std::string>();
}

std::string state_counts(pqxx::transaction_base& tx) {
  return tx
      .exec(
          "SELECT coalesce(json_agg(json_build_object('state', state, 'count', n) ORDER BY n DESC, "
          "state), "
          "'[]')::text AS doc FROM (SELECT state, count(*) AS n FROM conversations WHERE status = "
          "'open' GROUP BY state) s")[0]["doc"]
      .as<std::string>();
}

std::optional<page> contact_messages(pqxx::transaction_base& tx, std::int64_t contact_id,
                                     std::int64_t before, int limit) {
  if (!get_contact(tx, contact_id)) return std::nullopt;
  return paged(tx.exec_params("SELECT m.id, " + message_json +
                                  "::text AS doc FROM messages m WHERE m.contact_id = $1 AND "
                                  "($2 = 0 OR m.id < $2) ORDER BY m.id DESC LIMIT $3",
                              contact_id, before, limit + 1),
               limit);
}

page list_flow_answers(pqxx::transaction_base& tx, const std::string& flow_name,
                       std::int64_t before, int limit) {
  return paged(
      tx.exec_params(
          "SELECT a.id, json_build_object('id', a.id, 'flow_name', a.flow_name, 'flow_token', "
          "a.flow_token, 'response', a.response, 'contact', json_build_object('id', c.id, "
          "'wa_id', c.wa_id, 'name', c.name), 'conversation_id', a.conversation_id, "
          "'message_id', a.message_id, 'send_id', a.send_id, 'created_at', " +
              ts("a.created_at") +
              ")::text AS doc FROM flow_answers a LEFT JOIN contacts c ON c.id = a.contact_id "
              "WHERE a.flow_name = $1 AND ($2 = 0 OR a.id < $2) ORDER BY a.id DESC LIMIT $3",
          flow_name, before, limit + 1),
      limit);
}

namespace {

read_result found(page p) { return {true, std::move(p.items_json), p.next_before}; }
read_result found(std::optional<std::string> document) {
  return document ? read_result{true, std::move(*document), 0} : read_result{};
}
read_result found(std::optional<page> p) { return p ? found(std::move(*p)) : read_result{}; }

}  // namespace

namespace {

read_result run_read_as_planned(pqxx::transaction_base& tx, const project_read& read) {
  struct runner {
    pqxx::transaction_base& tx;
    read_result operator()(const contacts_read& r) {
      return found(list_contacts(tx, r.search, r.page.before, r.page.limit));
    }
    read_result operator()(const contact_read& r) { return found(get_contact(tx, r.id)); }
    read_result operator()(const contact_conversations_read& r) {
      if (!get_contact(tx, r.contact_id)) return {};
      return found(list_conversations(tx, {}, "", r.contact_id, "", r.page.before, r.page.limit));
    }
    read_result operator()(const contact_messages_read& r) {
      return found(contact_messages(tx, r.contact_id, r.page.before, r.page.limit));
    }
    read_result operator()(const conversation_states_read&) { return {true, state_counts(tx), 0}; }
    read_result operator()(const conversations_read& r) {
      return found(
          list_conversations(tx, r.states, r.status, 0, r.search, r.page.before, r.page.limit));
    }
    read_result operator()(const conversation_read& r) { return found(get_conversation(tx, r.id)); }
    read_result operator()(const flow_answers_read& r) {
      return found(list_flow_answers(tx, r.flow_name, r.page.before, r.page.limit));
    }
  };
  return std::visit(runner{tx}, read);
}

}  // namespace

read_result run_read(pqxx::transaction_base& tx, const project_read& read) {
  // Reads run inside the persistence worker's batch transaction, whose session is set up for
  // batched writes (generic plans, no sequential scans or hash joins: decision 0002). A search
  // for part of a name must read every contact: for the read, the planner's defaults; after it,
  // the session's settings again, for the batch's writes that follow in the same transaction.
  // (The settings are read in a materialized CTE: before the set_config calls change them.)
  auto saved = tx.exec1(
      "WITH saved AS MATERIALIZED (SELECT current_setting('enable_seqscan') AS seqscan, "
      "current_setting('enable_hashjoin') AS hashjoin, "
      "current_setting('enable_mergejoin') AS mergejoin, "
      "current_setting('plan_cache_mode') AS plan_cache_mode) "
      "SELECT saved.*, set_config('enable_seqscan', 'on', true), "
      "set_config('enable_hashjoin', 'on', true), set_config('enable_mergejoin', 'on', true), "
      "set_config('plan_cache_mode', 'auto', true) FROM saved");
  auto result = run_read_as_planned(tx, read);
  // (A read that throws aborts the transaction, which undoes the settings with it.)
  tx.exec_params(
      "SELECT set_config('enable_seqscan', $1, true), set_config('enable_hashjoin', $2, true), "
      "set_config('enable_mergejoin', $3, true), set_config('plan_cache_mode', $4, true)",
      saved["seqscan"].as<std::string>(), saved["hashjoin"].as<std::string>(),
      saved["mergejoin"].as<std::string>(), saved["plan_cache_mode"].as<std::string>());
  return result;
}

}  // namespace paige::storage
