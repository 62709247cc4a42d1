#include "storage/message_log.hpp"
#include "common/secrets.hpp"
#include "storage/conninfo.hpp"
#include "storage/conversation_queries.hpp"
#include "storage/provisioning.hpp"
#include "tests/support/project_db.hpp"
#include "tests/support/test_cluster.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <regex>
#include <tuple>

using namespace paige::storage;
using json = nlohmann::json;
using paige::test::project_db;

namespace {

std::string text(const std::string& body) {
  return json{{"type", "text"}, {"text", {{"body", body}}}}.dump();
}

std::int64_t one_inbound_id(pqxx::transaction_base& tx, std::int64_t conversation_id) {
  return tx
      .exec_params1("SELECT min(id) FROM messages WHERE conversation_id = $1 AND direction = 'in'",
                    conversation_id)[0]
      .as<std::int64_t>();
}

std::string status_of(pqxx::connection& c, std::int64_t id) {
  pqxx::work tx{c};
  return tx.exec_params1("SELECT status FROM messages WHERE id = $1", id)[0].as<std::string>();
}

std::string status_of_in(pqxx::transaction_base& tx, std::int64_t id) {
  return tx.exec_params1("SELECT status FROM messages WHERE id = $1", id)[0].as<std::string>();
}

}  // namespace

TEST_CASE("the message log: conversations, inbound, steps, outbound, statuses", "[storage][db]") {
  project_db p;
  pqxx::connection c{p.conninfo};

  conversation_row conv;
  {
    pqxx::work tx{c};
    conv = open_conversation(tx, "15550001", "Ada", "start");
    tx.commit();
  }
  CHECK(conv.opened);
  CHECK(conv.state == "start");
  CHECK(conv.contact_name == "Ada");
  {
    pqxx::work tx{c};
    auto again = open_conversation(tx, "15550001", "", "start");
    CHECK_FALSE(again.opened);
    CHECK(again.conversation_id == conv.conversation_id);
    CHECK(again.contact_name == "Ada");  // an empty name keeps the stored one
    tx.commit();
  }

  std::vector<std::int64_t> ids;
  {
    pqxx::work tx{c};
    ids = insert_inbound(
        tx,
        {{conv.conversation_id, conv.contact_id, "wamid.1", "text", text("one"), 1749416383, false},
         {conv.conversation_id, conv.contact_id, "wamid.2", "text", text("two"), 0, false},
         {conv.conversation_id, conv.contact_id, "wamid.1", "text", text("one"), 0, false}});
    tx.commit();
  }
  REQUIRE(ids.size() == 3);
  CHECK(ids[0] > 0);
  CHECK(ids[1] > ids[0]);
  CHECK(ids[2] == 0);  // the same wamid again in the batch
  {
    pqxx::work tx{c};
    CHECK(insert_inbound(tx, {{conv.conversation_id, conv.contact_id, "wamid.2", "text",
                               text("two"), 0, false}})[0] == 0);
    CHECK_FALSE(tx.exec("SELECT last_inbound_at FROM contacts")[0][0].is_null());
    auto unhandled = unhandled_inbound(tx);
    REQUIRE(unhandled.size() == 2);
    CHECK(unhandled[0].wamid == "wamid.1");
    CHECK(unhandled[0].wa_id == "15550001");
    tx.commit();
  }

  std::vector<step_outcome> outcomes;
  step_row step{ids[0],
                conv.conversation_id,
                conv.contact_id,
                "next",
                R"({"name":"Ada"})",
                false,
                {{"text", text("reply 1")}, {"text", text("reply 2")}}};
  {
    pqxx::work tx{c};
    outcomes = apply_steps(tx, {step});
    tx.commit();
  }
  REQUIRE(outcomes.size() == 1);
  CHECK(outcomes[0].applied);
  REQUIRE(outcomes[0].outbound_ids.size() == 2);
  CHECK(outcomes[0].outbound_ids[0] < outcomes[0].outbound_ids[1]);
  {
    pqxx::work tx{c};
    auto twice = apply_steps(tx, {step});  // the message is handled: nothing happens again
    CHECK_FALSE(twice[0].applied);
    CHECK(tx.exec("SELECT count(*) FROM messages WHERE direction = 'out'")[0][0].as<int>() == 2);
    CHECK(tx.exec1("SELECT state, vars->>'name' FROM conversations")[0].as<std::string>() ==
          "next");
    auto queued = queued_outbound(tx);
    REQUIRE(queued.size() == 2);
    CHECK(json::parse(queued[0].content_json)["text"]["body"] == "reply 1");
    CHECK(unhandled_inbound(tx).size() == 1);
    tx.commit();
  }

  auto first = outcomes[0].outbound_ids[0];
  auto second = outcomes[0].outbound_ids[1];
  {
    // A status that arrives before the send's answer is recorded waits, then applies.
    pqxx::work tx{c};
    CHECK(apply_statuses(tx, {{"wamid.out1", "delivered", 1750000010, ""},
                              {"wamid.out1", "sent", 1750000005, ""}})
              .empty());  // parked: no message has that wamid yet
    // One statement for a batch: a row per send, nullopt for a message that does not exist.
    auto accepted = record_accepted(tx, {{first + 1000, "wamid.nowhere"}, {first, "wamid.out1"}});
    REQUIRE(accepted.size() == 2);
    CHECK_FALSE(accepted[0]);
    REQUIRE(accepted[1]);
    CHECK(accepted[1]->message_id == first);
    CHECK(accepted[1]->status == "delivered");
    tx.commit();
  }
  CHECK(status_of(c, first) == "delivered");
  {
    pqxx::work tx{c};
    CHECK(tx.exec("SELECT count(*) FROM pending_statuses")[0][0].as<int>() == 0);
    CHECK_FALSE(tx.exec_params1("SELECT sent_at FROM messages WHERE id = $1", first)[0].is_null());
    auto read = apply_statuses(tx, {{"wamid.out1", "read", 0, ""}});
    REQUIRE(read.size() == 1);
    CHECK(read[0].status == "read");
    CHECK(read[0].message_id == first);
    CHECK(
        apply_statuses(tx, {{"wamid.out1", "delivered", 0, ""}}).empty());  // late: never backwards
    apply_statuses(tx,
                   {{"wamid.out1", "failed", 0, R"([{"code":131026}])"}});  // after read: ignored
    tx.commit();
  }
  CHECK(status_of(c, first) == "read");
  {
    pqxx::work tx{c};
    auto accepted = record_accepted(tx, {{second, "wamid.out2"}});
    REQUIRE(accepted[0]);
    CHECK(accepted[0]->status == "accepted");
    CHECK(accepted[0]->wamid == "wamid.out2");
    apply_statuses(tx, {{"wamid.out2", "failed", 0, R"([{"code":131047}])"}});
    apply_statuses(tx, {{"wamid.out2", "delivered", 0, ""}});  // failed is terminal
    tx.commit();
  }
  CHECK(status_of(c, second) == "failed");
  {
    pqxx::work tx{c};
    CHECK(tx.exec_params1("SELECT error->0->>'code' FROM messages WHERE id = $1", second)[0]
              .as<std::string>() == "131047");
    CHECK(queued_outbound(tx).empty());
  }
}

TEST_CASE("a closing step closes the conversation, the next one opens fresh", "[storage][db]") {
  project_db p;
  pqxx::connection c{p.conninfo};
  pqxx::work tx{c};
  auto conv = open_conversation(tx, "1", "", "a");
  auto id = insert_inbound(
      tx, {{conv.conversation_id, conv.contact_id, "w1", "text", text("bye"), 0, false}})[0];
  apply_steps(tx, {{id, conv.conversation_id, conv.contact_id, "b", "{}", true, {}}});
  auto next = open_conversation(tx, "1", "", "a");
  CHECK(next.opened);
  CHECK(next.conversation_id != conv.conversation_id);
  CHECK(next.state == "a");
  CHECK(tx.exec("SELECT count(*) FROM conversations WHERE status = 'closed'")[0][0].as<int>() == 1);
}

TEST_CASE("a batch of opens is one statement: new, open, closed and repeated contacts",
          "[storage][db]") {
  project_db p;
  pqxx::connection c{p.conninfo};
  pqxx::work tx{c};
  auto open_one = open_conversation(tx, "1", "Ada", "a");
  auto closing = open_conversation(tx, "2", "Bo", "a");
  auto id = insert_inbound(
      tx, {{closing.conversation_id, closing.contact_id, "w1", "text", text("bye"), 0, false}})[0];
  apply_steps(tx, {{id, closing.conversation_id, closing.contact_id, "b", "{\"x\":1}", true, {}}});
  tx.exec0("UPDATE conversations SET state = 'later', vars = '{\"n\": 2}' WHERE id = " +
           std::to_string(open_one.conversation_id));

  auto rows = open_conversations(
      tx, {{"3", "Cy", "start"}, {"1", "", "start"}, {"2", "Bob", "start"}, {"3", "", "start"}});
  REQUIRE(rows.size() == 4);
  // A new contact: a conversation opened in the initial state.
  CHECK(rows[0].opened);
  CHECK(rows[0].state == "start");
  CHECK(rows[0].vars_json == "{}");
  CHECK(rows[0].contact_name == "Cy");
  // An open conversation is found as it is; an empty name keeps the stored one.
  CHECK_FALSE(rows[1].opened);
  CHECK(rows[1].conversation_id == open_one.conversation_id);
  CHECK(rows[1].state == "later");
  CHECK(json::parse(rows[1].vars_json) == json{{"n", 2}});
  CHECK(rows[1].contact_name == "Ada");
  // A contact whose conversation closed gets a new one; a new name is stored.
  CHECK(rows[2].opened);
  CHECK(rows[2].conversation_id != closing.conversation_id);
  CHECK(rows[2].contact_id == closing.contact_id);
  CHECK(rows[2].state == "start");
  CHECK(rows[2].contact_name == "Bob");
  // The same contact twice in a batch: one contact, one conversation, opened once.
  CHECK_FALSE(rows[3].opened);
  CHECK(rows[3].conversation_id == rows[0].conversation_id);
  CHECK(rows[3].contact_id == rows[0].contact_id);
  CHECK(tx.exec("SELECT count(*) FROM contacts")[0][0].as<int>() == 3);
  CHECK(tx.exec("SELECT count(*) FROM conversations WHERE status = 'open'")[0][0].as<int>() == 3);
}

TEST_CASE("a fresh step applies to a message stored handled in its transaction, once",
          "[storage][db]") {
  project_db p;
  pqxx::connection c{p.conninfo};
  pqxx::work tx{c};
  auto conv = open_conversation(tx, "1", "", "a");
  auto id = insert_inbound(
      tx, {{conv.conversation_id, conv.contact_id, "w1", "text", text("hi"), 0, true}})[0];
  REQUIRE(id > 0);
  step_row fresh{
      id,  conv.conversation_id, conv.contact_id, "b", R"({"n":1})", false, {{"text", text("r")}},
      true};
  step_row marking = fresh;
  marking.fresh = false;
  // Stored handled: a step that has to mark it handled finds nothing to do...
  CHECK_FALSE(apply_steps(tx, {marking})[0].applied);
  // ...while the step that came with it applies.
  auto outcome = apply_steps(tx, {fresh});
  REQUIRE(outcome[0].applied);
  CHECK(outcome[0].outbound_ids.size() == 1);
  CHECK(tx.exec1("SELECT state, vars->>'n' FROM conversations")[0].as<std::string>() == "b");
  CHECK(unhandled_inbound(tx).empty());
  CHECK(queued_outbound(tx).size() == 1);
}

TEST_CASE("inbound messages and their steps in one statement", "[storage][db]") {
  project_db p;
  pqxx::connection c{p.conninfo};
  pqxx::work tx{c};
  auto a = open_conversation(tx, "1", "", "start");
  auto b = open_conversation(tx, "2", "", "start");
  auto row = [&](const conversation_row& conv, const std::string& wamid, const std::string& state,
                 bool close, std::vector<std::pair<std::string, std::string>> out) {
    return exchange_row{
        {conv.conversation_id, conv.contact_id, wamid, "text", text("in " + wamid), 1750000000,
         false},
        {0, conv.conversation_id, conv.contact_id, state, R"({"k":1})", close, std::move(out)}};
  };
  auto results = insert_exchanges(
      tx, {row(a, "wa", "next", false, {{"text", text("r1")}, {"text", text("r2")}}),
           row(b, "wb", "end", true, {})});
  REQUIRE(results.size() == 2);
  REQUIRE(results[0].first > 0);
  REQUIRE(results[0].second.applied);
  REQUIRE(results[0].second.outbound_ids.size() == 2);
  CHECK(results[0].first < results[0].second.outbound_ids[0]);  // a reply comes after its message
  CHECK(results[0].second.outbound_ids[0] < results[0].second.outbound_ids[1]);
  CHECK(results[1].second.applied);
  CHECK(results[1].second.outbound_ids.empty());
  CHECK(unhandled_inbound(tx).empty());
  CHECK(
      tx.exec_params1(
            "SELECT state || ',' || status || ',' || (vars->>'k') FROM conversations WHERE id = $1",
            a.conversation_id)[0]
          .as<std::string>() == "next,open,1");
  CHECK(tx.exec_params1("SELECT state || ',' || status FROM conversations WHERE id = $1",
                        b.conversation_id)[0]
            .as<std::string>() == "end,closed");
  CHECK(
      tx.exec1(
            "SELECT extract(epoch FROM last_inbound_at)::bigint FROM contacts WHERE wa_id = '1'")[0]
          .as<long>() == 1750000000);
  // Redelivered: nothing stored, nothing applied, the state stays.
  auto again = insert_exchanges(tx, {row(a, "wa", "elsewhere", false, {{"text", text("r3")}})});
  CHECK(again[0].first == 0);
  CHECK_FALSE(again[0].second.applied);
  CHECK(tx.exec("SELECT count(*) FROM messages")[0][0].as<int>() == 4);
  CHECK(tx.exec_params1("SELECT state FROM conversations WHERE id = $1", a.conversation_id)[0]
            .as<std::string>() == "next");
}

TEST_CASE("a batch's exchanges, wamids and statuses in one statement, each seeing the ones before",
          "[storage][db]") {
  project_db p;
  pqxx::connection c{p.conninfo};
  set_up_write_session(c);
  std::int64_t earlier = 0;
  conversation_row a, b;
  {
    pqxx::work tx{c};
    a = open_conversation(tx, "1", "", "start");
    b = open_conversation(tx, "2", "", "start");
    earlier = queue_outbound(tx, a.conversation_id, a.contact_id, "text", text("earlier")).id;
    tx.commit();
  }
  batch_writes writes;
  writes.exchanges.push_back(
      {{b.conversation_id, b.contact_id, "wb", "text", text("hi"), 0, false},
       {0, b.conversation_id, b.contact_id, "next", "{}", false, {{"text", text("echo")}}}});
  writes.accepted.push_back({earlier, "wamid.earlier"});
  writes.accepted.push_back({earlier + 1000, "wamid.none"});  // no such message
  // The wamid is recorded in this very statement: the status finds it, and one for an
  // unknown wamid waits for its send's answer.
  writes.statuses.push_back({"wamid.earlier", "delivered", 1750000000, ""});
  writes.statuses.push_back({"wamid.later", "sent", 1750000000, ""});
  batch_results results;
  {
    pqxx::nontransaction tx{c};
    results = write_batch(tx, writes);
  }
  REQUIRE(results.exchanges.size() == 1);
  CHECK(results.exchanges[0].first > 0);
  CHECK(results.exchanges[0].second.applied);
  REQUIRE(results.exchanges[0].second.outbound_ids.size() == 1);
  REQUIRE(results.accepted.size() == 2);
  REQUIRE(results.accepted[0].has_value());
  CHECK(results.accepted[0]->message_id == earlier);
  CHECK(results.accepted[0]->status == "accepted");
  CHECK_FALSE(results.accepted[1].has_value());
  REQUIRE(results.statuses.size() == 1);
  CHECK(results.statuses[0].message_id == earlier);
  CHECK(results.statuses[0].wamid == "wamid.earlier");
  CHECK(results.statuses[0].status == "delivered");
  CHECK(status_of(c, earlier) == "delivered");
  pqxx::work tx{c};
  CHECK(
      tx.exec1("SELECT count(*) FROM pending_statuses WHERE wamid = 'wamid.later'")[0].as<int>() ==
      1);
  CHECK(tx.exec_params1("SELECT state FROM conversations WHERE id = $1", b.conversation_id)[0]
            .as<std::string>() == "next");
  // Each kind alone, and a redelivered exchange: nothing applied.
  tx.abort();
  pqxx::nontransaction again{c};
  auto only_exchange = write_batch(again, {{writes.exchanges[0]}, {}, {}});
  CHECK(only_exchange.exchanges[0].first == 0);
  CHECK_FALSE(only_exchange.exchanges[0].second.applied);
  auto only_status = write_batch(again, {{}, {}, {{"wamid.earlier", "read", 1750000001, ""}}});
  REQUIRE(only_status.statuses.size() == 1);
  CHECK(only_status.statuses[0].status == "read");
}

TEST_CASE(
    "a batch of one exchange or one wamid writes what a larger batch writes, by index lookups "
    "alone",
    "[storage][db]") {
  // Under light load most batches hold one exchange and one wamid: the batch function runs
  // them as small statements, not the set-based ones. Same rows, same results.
  project_db p;
  pqxx::connection c{p.conninfo};
  set_up_write_session(c);
  conversation_row a, b, d;
  std::int64_t earlier = 0, parked = 0;
  {
    pqxx::work tx{c};
    a = open_conversation(tx, "1", "", "start");
    b = open_conversation(tx, "2", "", "start");
    d = open_conversation(tx, "3", "", "start");
    earlier = queue_outbound(tx, a.conversation_id, a.contact_id, "text", text("earlier")).id;
    parked = queue_outbound(tx, a.conversation_id, a.contact_id, "text", text("parked")).id;
    tx.commit();
  }
  auto exchange = [](const conversation_row& conv, const std::string& wamid, bool close) {
    return exchange_row{{conv.conversation_id, conv.contact_id, wamid, "text", text("hi " + wamid),
                         1750000000, false},
                        {0,
                         conv.conversation_id,
                         conv.contact_id,
                         "next",
                         R"({"k":1})",
                         close,
                         {{"text", text("echo")}, {"text", text("two")}}}};
  };
  auto written = [](pqxx::transaction_base& tx, const conversation_row& conv) {
    std::string rows;
    for (const auto& r : tx.exec_params(
             "SELECT direction, type, content->>'type', status, handled_at IS NOT NULL, wamid IS "
             "NULL, "
             "CASE WHEN direction = 'in' THEN extract(epoch FROM created_at)::bigint END "
             "FROM messages WHERE conversation_id = $1 AND content->'text'->>'body' NOT IN "
             "('earlier', 'parked') "
             "ORDER BY id",
             conv.conversation_id))
      for (const auto& f : r) rows += (f.is_null() ? "null" : f.c_str()) + std::string{","};
    auto v = tx.exec_params1(
        "SELECT v.state || ',' || v.vars::text || ',' || v.status || ',' || (v.closed_at IS NULL) "
        "|| ',' || "
        "(v.last_message_at IS NOT NULL) || ',' || extract(epoch FROM k.last_inbound_at)::bigint "
        "FROM conversations v JOIN contacts k ON k.id = v.contact_id WHERE v.id = $1",
        conv.conversation_id);
    return rows + "|" + v[0].as<std::string>();
  };
  {
    pqxx::work tx{c};
    auto one = write_batch(tx, {{exchange(a, "w1", false)}, {{earlier, "wamid.e"}}, {}});
    // Nothing read by a sequential scan: each row is found by its key.
    CHECK(
        tx.exec1("SELECT coalesce(sum(seq_scan), 0) FROM pg_stat_xact_user_tables WHERE relname IN "
                 "('contacts', 'conversations', 'messages', 'pending_statuses')")[0]
            .as<long>() == 0);
    tx.commit();
    REQUIRE(one.exchanges.size() == 1);
    CHECK(one.exchanges[0].first > 0);
    CHECK(one.exchanges[0].second.applied);
    REQUIRE(one.exchanges[0].second.outbound_ids.size() == 2);
    CHECK(one.exchanges[0].second.outbound_ids[0] < one.exchanges[0].second.outbound_ids[1]);
    REQUIRE(one.accepted.size() == 1);
    REQUIRE(one.accepted[0].has_value());
    CHECK(one.accepted[0]->message_id == earlier);
    CHECK(one.accepted[0]->conversation_id == a.conversation_id);
    CHECK(one.accepted[0]->wamid == "wamid.e");
    CHECK(one.accepted[0]->status == "accepted");
  }
  pqxx::nontransaction tx{c};
  auto two = write_batch(tx, {{exchange(b, "w2", false), exchange(d, "w3", true)}, {}, {}});
  REQUIRE(two.exchanges.size() == 2);
  CHECK(two.exchanges[0].second.outbound_ids.size() == 2);
  CHECK(written(tx, a) == written(tx, b));
  CHECK_THAT(
      written(tx, a),
      Catch::StartsWith("in,text,text,received,t,f,1750000000,"
                        "out,text,text,queued,f,t,null,out,text,text,queued,f,t,null,|next,"));
  // Closing in a batch of one closes as in a larger one.
  auto closing = write_batch(tx, {{exchange(b, "w4", true)}, {}, {}});
  CHECK(closing.exchanges[0].second.applied);
  auto conversation_of = [&](const conversation_row& conv) {
    auto w = written(tx, conv);
    return w.substr(w.find('|'));
  };
  CHECK(conversation_of(b) == conversation_of(d));
  // A redelivered message alone: nothing stored, nothing applied, no row back.
  auto again = write_batch(tx, {{exchange(a, "w1", false)}, {}, {}});
  CHECK(again.exchanges[0].first == 0);
  CHECK_FALSE(again.exchanges[0].second.applied);
  CHECK(tx.exec_params1("SELECT count(*) FROM messages WHERE conversation_id = $1",
                        a.conversation_id)[0]
            .as<int>() == 5);
  // A wamid whose status came first: the set-based form applies what waited.
  write_batch(tx, {{}, {}, {{"wamid.p", "delivered", 1750000005, ""}}});
  auto late = write_batch(tx, {{}, {{parked, "wamid.p"}}, {}});
  REQUIRE(late.accepted[0].has_value());
  CHECK(late.accepted[0]->status == "delivered");
  CHECK(tx.exec1("SELECT count(*) FROM pending_statuses")[0].as<int>() == 0);
  // A wamid for a message that is not outbound: no change.
  auto inbound = write_batch(tx, {{}, {{one_inbound_id(tx, a.conversation_id), "wamid.x"}}, {}});
  CHECK_FALSE(inbound.accepted[0].has_value());
}

TEST_CASE(
    "a few statuses of distinct messages change what the set-based form changes, two lookups each",
    "[storage][db]") {
  // Under light load a batch carries a few statuses, each of a different send: the batch
  // function looks each message up by wamid and updates it by id instead of running the
  // set-based statement. Two twin sets of sends take the same statuses, one set through each
  // form; the messages, the parked statuses and the changes must come out the same.
  project_db p;
  pqxx::connection c{p.conninfo};
  set_up_write_session(c);
  std::int64_t inbound = 0;
  {
    pqxx::work tx{c};
    auto conv = open_conversation(tx, "1", "", "a");
    for (const char* twin : {"a", "b"})
      for (int n = 1; n <= 4; ++n) {
        auto id = queue_outbound(tx, conv.conversation_id, conv.contact_id, "text", text("m")).id;
        record_accepted(tx, {{id, std::string{twin} + "." + std::to_string(n)}});
      }
    inbound = insert_inbound(
        tx, {{conv.conversation_id, conv.contact_id, "in.1", "text", text("hi"), 0, false}})[0];
    tx.commit();
  }
  // Rounds of statuses, by send number (1-4), one per send in a round.
  using status = std::tuple<int, std::string, double, std::string>;
  const std::vector<std::vector<status>> rounds{
      {{1, "sent", 1750000010, ""}, {2, "read", 1750000012, ""}, {3, "delivered", 1750000013, ""}},
      // A late delivered records its time without moving read back; a redelivered sent and a
      // failed after read change nothing; a status for a send not recorded yet is parked.
      {{2, "delivered", 1750000011, ""},
       {1, "sent", 1750000099, ""},
       {3, "read", 1750000020, ""},
       {4, "failed", 1750000021, R"([{"code":131026}])"}},
      {{2, "failed", 1750000030, R"([{"code":1}])"}, {9, "sent", 1750000031, ""}},
      {{4, "read", 1750000040, ""}, {1, "delivered", 1750000041, ""}}};
  auto rows_of = [](const std::string& twin, const std::vector<status>& round) {
    std::vector<status_row> rows;
    for (const auto& [n, st, ts, error] : round)
      rows.push_back({twin + "." + std::to_string(n), st, ts, error});
    return rows;
  };
  auto changed = [](const std::vector<status_change>& changes) {
    std::vector<std::string> out;
    for (const auto& ch : changes)
      out.push_back(ch.wamid.substr(2) + ":" + ch.status + ":" + ch.error_json);
    std::sort(out.begin(), out.end());
    return out;
  };
  for (const auto& round : rounds) {
    pqxx::work tx{c};
    auto index_scans = [&] {  // this backend's counts, not flushed yet
      return tx.exec1("SELECT idx_scan FROM pg_stat_xact_user_tables WHERE relname = 'messages'")[0]
          .as<long>();
    };
    auto before = index_scans();
    auto few = write_batch(tx, {{}, {}, rows_of("a", round)});
    auto scans = index_scans() - before;
    auto set_based = apply_statuses(tx, rows_of("b", round));
    tx.commit();
    CHECK(changed(few.statuses) == changed(set_based));
    // Each status: its message by wamid, then (found) an update by id or (not) a check that
    // no message has that wamid: no join, no anti-join over the whole input.
    CHECK(scans == 2 * static_cast<long>(round.size()));
  }
  pqxx::work tx{c};
  auto messages = [&](const std::string& twin) {
    std::string out;
    for (const auto& r : tx.exec_params("SELECT status, extract(epoch FROM sent_at)::bigint, "
                                        "extract(epoch FROM delivered_at)::bigint, "
                                        "extract(epoch FROM read_at)::bigint, extract(epoch FROM "
                                        "failed_at)::bigint, error::text "
                                        "FROM messages WHERE wamid LIKE $1 ORDER BY wamid",
                                        twin + ".%"))
      for (const auto& f : r) out += (f.is_null() ? "null" : f.c_str()) + std::string{","};
    return out;
  };
  CHECK(messages("a") == messages("b"));
  CHECK_THAT(messages("a"), Catch::StartsWith("delivered,1750000010,1750000041,null,null,null,"
                                              "read,null,1750000011,1750000012,null,null,"
                                              "read,null,1750000013,1750000020,null,null,failed,"));
  CHECK(tx.exec1(
              "SELECT string_agg(wamid || ':' || status, ' ' ORDER BY wamid) FROM pending_statuses")
            [0]
                .as<std::string>() == "a.9:sent b.9:sent");
  // A status for an inbound message's wamid: nothing moves, nothing is parked.
  auto in = write_batch(tx, {{}, {}, {{"in.1", "read", 1750000050, ""}}});
  CHECK(in.statuses.empty());
  CHECK(tx.exec1("SELECT count(*) FROM pending_statuses")[0].as<int>() == 2);
  CHECK(status_of_in(tx, inbound) == "received");
}

TEST_CASE("warming a write session runs the hot path's statements and leaves no rows",
          "[storage][db]") {
  project_db p;
  pqxx::connection c{p.conninfo};
  set_up_write_session(c);
  std::int64_t known = 0;
  {
    pqxx::work tx{c};
    known = open_conversation(tx, "1", "Ada", "start").conversation_id;
    tx.commit();
  }
  auto rows = [&] {
    pqxx::work tx{c};
    return tx
        .exec1(
            "SELECT (SELECT count(*) FROM contacts) || ',' || (SELECT count(*) FROM conversations) "
            "|| ',' || "
            "(SELECT count(*) FROM messages) || ',' || (SELECT count(*) FROM pending_statuses) || "
            "',' || "
            "(SELECT string_agg(state, ',') FROM conversations)")[0]
        .as<std::string>();
  };
  auto before = rows();
  warm_up_write_session(c);
  CHECK(rows() == before);
  CHECK(before == "1,1,0,0,start");
  // The statements were prepared (and the batch function called) on this connection.
  {
    pqxx::work tx{c};
    CHECK(tx.exec1("SELECT count(*) FROM pg_prepared_statements WHERE name IN ('paige_open', "
                   "'paige_batch')")[0]
              .as<int>() == 2);
  }
  // The session writes as before.
  pqxx::work tx{c};
  auto conv = open_conversations(tx, {{"1", "Ada", "start"}})[0];
  CHECK(conv.conversation_id == known);
  auto written = write_batch(
      tx,
      {{{{conv.conversation_id, conv.contact_id, "w1", "text", text("hi"), 0, false},
         {0, conv.conversation_id, conv.contact_id, "next", "{}", false, {{"text", text("a")}}}}},
       {},
       {}});
  CHECK(written.exchanges.at(0).second.applied);
}

TEST_CASE("statuses batched together each record their time, and only moves come back",
          "[storage][db]") {
  project_db p;
  pqxx::connection c{p.conninfo};
  pqxx::work tx{c};
  auto conv = open_conversation(tx, "1", "", "a");
  auto in = insert_inbound(
      tx, {{conv.conversation_id, conv.contact_id, "w1", "text", text("hi"), 0, false}})[0];
  auto out = apply_steps(tx, {{in,
                               conv.conversation_id,
                               conv.contact_id,
                               "a",
                               "{}",
                               false,
                               {{"text", text("a")}, {"text", text("b")}}}})[0];
  REQUIRE(out.outbound_ids.size() == 2);
  record_accepted(tx, {{out.outbound_ids[0], "wamid.a"}, {out.outbound_ids[1], "wamid.b"}});
  auto times = [&](const std::string& wamid) {
    return tx.exec_params1(
        "SELECT status, coalesce(extract(epoch FROM sent_at)::bigint, 0), "
        "coalesce(extract(epoch FROM delivered_at)::bigint, 0), "
        "coalesce(extract(epoch FROM read_at)::bigint, 0) FROM messages WHERE wamid = $1",
        wamid);
  };

  // sent and delivered of one message in one batch, in either order: both times recorded.
  auto changes = apply_statuses(tx, {{"wamid.a", "delivered", 1750000020, ""},
                                     {"wamid.a", "sent", 1750000010, ""},
                                     {"wamid.b", "sent", 1750000011, ""}});
  REQUIRE(changes.size() == 2);  // one per message moved
  CHECK(changes[0].wamid == "wamid.a");
  CHECK(changes[0].status == "delivered");
  CHECK(changes[1].status == "sent");
  auto a = times("wamid.a");
  CHECK(a[0].as<std::string>() == "delivered");
  CHECK(a[1].as<long>() == 1750000010);
  CHECK(a[2].as<long>() == 1750000020);

  // A late sent after read fills nothing already filled and moves nothing; a late delivered
  // records its time without moving the status back, and is no change.
  CHECK(apply_statuses(tx, {{"wamid.b", "read", 1750000030, ""}}).size() == 1);
  CHECK(apply_statuses(
            tx, {{"wamid.b", "delivered", 1750000025, ""}, {"wamid.b", "sent", 1750000099, ""}})
            .empty());
  auto b = times("wamid.b");
  CHECK(b[0].as<std::string>() == "read");
  CHECK(b[1].as<long>() == 1750000011);
  CHECK(b[2].as<long>() == 1750000025);
  CHECK(b[3].as<long>() == 1750000030);
  // A redelivered status changes nothing.
  CHECK(apply_statuses(tx, {{"wamid.b", "read", 1750000031, ""}}).empty());
  CHECK(times("wamid.b")[3].as<long>() == 1750000030);
}

TEST_CASE(
    "no index of messages covers what a status writes, and pages keep room for in-place updates",
    "[storage][db]") {
  // Statuses are most of the writes: each must stay a HOT update (no new index entries).
  project_db p;
  pqxx::connection c{p.conninfo};
  pqxx::work tx{c};
  for (const auto& r :
       tx.exec("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'messages'")) {
    INFO(r[1].as<std::string>());
    auto def = r[1].as<std::string>();
    for (const char* column :
         {"status", "sent_at", "delivered_at", "read_at", "failed_at", "error"})
      CHECK(def.find(column) == std::string::npos);
  }
  CHECK(tx.exec1(
              "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'messages'")[0]
            .as<std::string>() == "fillfactor=80");
  // The outbox still finds queued messages by its index.
  tx.exec("SET enable_seqscan = off");
  auto plan = tx.exec(
      "EXPLAIN SELECT m.id FROM messages m WHERE m.direction = 'out' AND m.wamid IS NULL "
      "AND m.status = 'queued' ORDER BY m.id");
  CHECK(plan[0][0].as<std::string>().find("messages_outbox") != std::string::npos);
  // Contacts newest first come from the primary key, scanned backwards.
  auto newest = tx.exec("EXPLAIN SELECT id FROM contacts ORDER BY id DESC LIMIT 50");
  CHECK(newest[1][0].as<std::string>().find("Index Only Scan Backward using contacts_pkey") !=
        std::string::npos);
  CHECK(tx.exec("SELECT count(*) FROM pg_indexes WHERE tablename = 'contacts'")[0][0].as<int>() ==
        2);
}

TEST_CASE("the batched writes' plans, made on empty tables, find every row by an index condition",
          "[storage][db]") {
  // A write session plans each statement once, at its first call: for a new project, with
  // the tables empty. A plan that reads a whole index or table then (cheap while empty) is
  // kept as the tables grow, and every call costs more than the one before.
  project_db p;
  pqxx::connection c{p.conninfo};
  set_up_write_session(c);
  {
    pqxx::nontransaction tx{c};
    auto conv = open_conversations(tx, {{"1", "Ada", "start"}})[0];
    auto exchanged = insert_exchanges(
        tx, {{{conv.conversation_id, conv.contact_id, "w1", "text", text("hi"), 0, false},
              {0,
               conv.conversation_id,
               conv.contact_id,
               "start",
               "{}",
               false,
               {{"text", text("echo")}}}}});
    auto out = exchanged[0].second.outbound_ids.at(0);
    record_accepted(tx, {{out, "wamid.out"}});
    apply_statuses(tx, {{"wamid.out", "sent", 0, ""}, {"wamid.unknown", "sent", 0, ""}});
    auto in = insert_inbound(
        tx, {{conv.conversation_id, conv.contact_id, "w2", "text", text("hi"), 0, false}})[0];
    apply_steps(tx, {{in, conv.conversation_id, conv.contact_id, "start", "{}", false, {}}});
    // A large batch of exchanges (its own form of the statement): each conversation's reply
    // comes back with it, and a wamid seen before stores nothing.
    std::vector<open_row> contacts;
    for (int i = 0; i < 20; ++i) contacts.push_back({"10" + std::to_string(i), "", "start"});
    auto convs = open_conversations(tx, contacts);
    std::vector<exchange_row> rows;
    for (int i = 0; i < 20; ++i)
      rows.push_back(
          {{convs[i].conversation_id, convs[i].contact_id, i == 19 ? "w1" : "x" + std::to_string(i),
            "text", text("hi"), 0, false},
           {0,
            convs[i].conversation_id,
            convs[i].contact_id,
            "start",
            "{}",
            false,
            {{"text", text("a" + std::to_string(i))}, {"text", text("b" + std::to_string(i))}}}});
    auto large = insert_exchanges(tx, rows);
    for (int i = 0; i < 19; ++i) {
      INFO(i);
      CHECK(large[i].second.applied);
      REQUIRE(large[i].second.outbound_ids.size() == 2);
      CHECK(tx.exec_params1("SELECT content->'text'->>'body' FROM messages WHERE id = $1 AND "
                            "conversation_id = $2",
                            large[i].second.outbound_ids[1], convs[i].conversation_id)[0]
                .as<std::string>() == "b" + std::to_string(i));
    }
    CHECK(large[19].first == 0);
    CHECK_FALSE(large[19].second.applied);
    // Inbound messages alone, a large batch (its own form too): ids in order, a repeat 0.
    std::vector<inbound_row> inbound;
    for (int i = 0; i < 20; ++i)
      inbound.push_back({convs[i].conversation_id, convs[i].contact_id,
                         i == 19 ? "x0" : "z" + std::to_string(i), "text", text("hi"), 0, true});
    auto ids = insert_inbound(tx, inbound);
    for (int i = 0; i < 19; ++i) CHECK(ids[i] > (i ? ids[i - 1] : 0));
    CHECK(ids[19] == 0);
    // The same through the batch function, which picks the form by the count as well.
    for (auto& r : rows) r.inbound.wamid = "y" + r.inbound.wamid;
    auto again = write_batch(tx, {rows, {}, {}});
    for (int i = 0; i < 20; ++i) {
      INFO(i);
      CHECK(again.exchanges[i].second.applied);
      CHECK(again.exchanges[i].second.outbound_ids.size() == 2);
    }
  }
  const std::regex table_scan{
      R"((Seq Scan|Index Scan|Index Only Scan|Bitmap Index Scan)( Backward)? (using \S+ )?on (contacts|conversations|messages|pending_statuses))"};
  for (const char* call :
       {"paige_open('[]', 0, 'start')", "paige_exchange('[]', 0)", "paige_exchange_large('[]', 0)",
        "paige_inbound_large('[]', 0)", "paige_accepted('[]', 0)", "paige_statuses('[]', 0)",
        "paige_inbound('[]', 0)", "paige_steps('[]', 0)"}) {
    pqxx::nontransaction tx{c};
    std::vector<std::string> lines;
    for (const auto& r : tx.exec(std::string{"EXPLAIN (COSTS OFF) EXECUTE "} + call))
      lines.push_back(r[0].as<std::string>());
    INFO(call);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (!std::regex_search(lines[i], table_scan)) continue;
      INFO(lines[i]);
      CHECK(lines[i].find("Seq Scan") == std::string::npos);
      CHECK((i + 1 < lines.size() && lines[i + 1].find("Index Cond:") != std::string::npos));
    }
  }
}

TEST_CASE("saves bind values and refuse hostile identifiers", "[storage][db]") {
  project_db p;
  pqxx::connection c{p.conninfo};
  {
    pqxx::work tx{c};
    tx.exec("CREATE TABLE leads (id bigserial PRIMARY KEY, email text, score integer)");
    save_row(tx, "leads", {{"email", "x'); DROP TABLE leads; --"}, {"score", "7"}});
    tx.commit();
  }
  pqxx::work tx{c};
  CHECK(tx.exec1("SELECT email FROM leads")[0].as<std::string>() == "x'); DROP TABLE leads; --");
  CHECK(tx.exec1("SELECT score FROM leads")[0].as<int>() == 7);
  CHECK_THROWS_AS(save_row(tx, "leads; drop", {{"email", "x"}}), std::invalid_argument);
  CHECK_THROWS_AS(save_row(tx, "leads", {{"e\"mail", "x"}}), std::invalid_argument);
}

TEST_CASE("opening a known contact's open conversation writes nothing unless its name changed",
          "[storage][db]") {
  project_db p;
  pqxx::connection c{p.conninfo};
  set_up_write_session(c);
  {
    pqxx::work tx{c};
    open_conversation(tx, "1", "Ada", "start");
    tx.commit();
  }
  // No transaction id assigned: nothing written, so the commit waits for no WAL flush.
  auto writes_nothing = [&](const open_row& row) {
    pqxx::work tx{c};
    auto found = open_conversations(tx, {row})[0];
    CHECK_FALSE(found.opened);
    CHECK(found.contact_name == "Ada");
    return tx.exec1("SELECT txid_current_if_assigned() IS NULL")[0].as<bool>();
  };
  CHECK(writes_nothing({"1", "Ada", "start"}));
  CHECK(writes_nothing({"1", "", "start"}));
  {
    pqxx::work tx{c};
    auto renamed = open_conversations(tx, {{"1", "Ada L.", "start"}, {"2", "", "start"}});
    CHECK(renamed[0].contact_name == "Ada L.");
    CHECK_FALSE(renamed[0].opened);
    CHECK(renamed[1].opened);
    tx.commit();
  }
  pqxx::work tx{c};
  CHECK(tx.exec1("SELECT name FROM contacts WHERE wa_id = '1'")[0].as<std::string>() == "Ada L.");
  CHECK(tx.exec1("SELECT count(*) FROM contacts")[0].as<int>() == 2);
}

TEST_CASE("a wamid recorded again changes nothing", "[storage][db]") {
  project_db p;
  pqxx::connection c{p.conninfo};
  set_up_write_session(c);
  pqxx::work tx{c};
  auto conv = open_conversation(tx, "15550990", "Ada", "a");
  auto queued = queue_outbound(tx, conv.conversation_id, conv.contact_id, "text", text("hi"));
  auto first = write_batch(tx, {{}, {{queued.id, "wamid.twice"}}, {}});
  REQUIRE(first.accepted.at(0));
  CHECK(first.accepted[0]->status == "accepted");
  apply_statuses(tx, {{"wamid.twice", "read", 1750000000, ""}});
  // Asked again (its first commit was never confirmed): the read stays.
  CHECK_FALSE(record_accepted_again(tx, {queued.id, "wamid.twice"}));
  CHECK(tx.exec_params1("SELECT status FROM messages WHERE id = $1", queued.id)[0]
            .as<std::string>() == "read");
  // A message without its wamid yet is recorded as the first time.
  auto other = queue_outbound(tx, conv.conversation_id, conv.contact_id, "text", text("ho"));
  auto recorded = record_accepted_again(tx, {other.id, "wamid.other"});
  REQUIRE(recorded);
  CHECK(recorded->status == "accepted");
}

TEST_CASE("a write session that lost its backend fails rather than reconnect without its settings",
          "[storage][db]") {
  project_db p;
  pqxx::connection c{p.conninfo};
  set_up_write_session(c, std::chrono::milliseconds{1234});
  auto pid = c.backendpid();
  {
    pqxx::connection admin{paige::test::cluster_conninfo()};
    pqxx::work{admin}.exec_params("SELECT pg_terminate_backend($1)", pid);
  }
  // libpqxx would reconnect by itself within a try or two, and the session would run without
  // its statement timeout, search_path and batch function.
  for (int attempt = 0; attempt < 3; ++attempt) {
    INFO("attempt " << attempt);
    CHECK_THROWS_AS(pqxx::work{c}.exec1("SHOW statement_timeout"), pqxx::broken_connection);
  }
}

TEST_CASE("a read in a write batch plans for itself and leaves the batch's settings as they were",
          "[storage][db]") {
  project_db p;
  pqxx::connection c{p.conninfo};
  set_up_write_session(c, std::chrono::seconds{5});
  pqxx::work tx{c};
  auto settings = [&] {
    return tx
        .exec1(
            "SELECT current_setting('enable_seqscan') || current_setting('enable_hashjoin') || "
            "current_setting('enable_mergejoin') || current_setting('plan_cache_mode')")[0]
        .as<std::string>();
  };
  auto before = settings();
  CHECK(before == "offoffoffforce_generic_plan");
  auto read = run_read(tx, conversations_read{{}, "open", {50, 0}, "someone"});
  CHECK(read.found);
  CHECK(settings() == before);  // the batch's writes after the read keep their plans
  run_read(tx, contacts_read{"someone", {50, 0}});
  CHECK(settings() == before);
}

TEST_CASE("flow tokens sent are recorded once and found by the endpoint's check", "[storage][db]") {
  project_db p;
  pqxx::connection c{p.conninfo};
  pqxx::work tx{c};
  record_flow_tokens(tx, {});
  record_flow_tokens(tx, {{"booking:a1", "booking", "15550001"},
                          {"booking:a1", "booking", "15550001"},
                          {"a:b:c2", "a:b", "15550002"}});
  record_flow_tokens(tx, {{"booking:a1", "booking", "15550003"}});  // given again: kept once
  CHECK(tx.exec("SELECT count(*) FROM flow_tokens")[0][0].as<int>() == 2);
  CHECK(
      tx.exec("SELECT wa_id FROM flow_tokens WHERE token = 'booking:a1'")[0][0].as<std::string>() ==
      "15550001");
  CHECK(flow_token_sent(tx, "booking:a1"));
  CHECK(flow_token_sent(tx, "a:b:c2"));
  CHECK_FALSE(flow_token_sent(tx, "booking:forged"));
  CHECK_FALSE(flow_token_sent(tx, "' OR 1=1 --"));
  // An interactive flow message queued before tokens were recorded still opens its session.
  auto conv = open_conversation(tx, "15550004", "", "a");
  queue_outbound(tx, conv.conversation_id, conv.contact_id, "interactive",
                 R"({"type": "interactive", "interactive": {"type": "flow", "action": {"name":
                 "flow", "parameters": {"flow_id": "1", "flow_token": "old:d4"}}}})");
  CHECK(flow_token_sent(tx, "old:d4"));
}
