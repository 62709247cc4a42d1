// The persistence workers on a real project database: the hot-path batch kinds.
#include "actors/persistence.hpp"
#include "actors/errors.hpp"
#include "storage/message_log.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/persistence_fixture.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

using namespace paige::actors;
using paige::storage::inbound_row;
using paige::storage::status_change;
using paige::storage::status_row;
using paige::storage::step_outcome;
using paige::storage::step_row;
using json = nlohmann::json;
using paige::test::persistence_fixture;

namespace {

constexpr auto timeout = std::chrono::seconds{10};

std::string text(const std::string& body) {
  return json{{"type", "text"}, {"text", {{"body", body}}}}.dump();
}

/// What an exchange request answered: the inbound id and the step's outcome, or an error.
struct exchange_reply {
  std::int64_t id = -1;
  step_outcome outcome;
  caf::error error;
};

}  // namespace

TEST_CASE(
    "an inbound message and its step commit together, a duplicate or a failing step stores nothing",
    "[persistence][db]") {
  persistence_fixture f;
  caf::scoped_actor self{*f.sys};
  paige::storage::conversation_row conv;
  self->request(f.worker, timeout, open_atom::value, f.project, std::string{"15550001"},
                std::string{"Ada"}, std::string{"a"})
      .receive([&](paige::storage::conversation_row& row) { conv = row; },
               [&](caf::error& e) { FAIL(to_string(e)); });
  REQUIRE(conv.conversation_id > 0);

  auto exchange = [&](const std::string& wamid, save_list saves) {
    exchange_reply out;
    inbound_row in{conv.conversation_id, conv.contact_id, wamid, "text", text("hi"), 0, false};
    step_row step{0,
                  conv.conversation_id,
                  conv.contact_id,
                  "b",
                  R"({"seen":true})",
                  false,
                  {{"text", text("reply to " + wamid)}}};
    self->request(f.worker, timeout, exchange_atom::value, f.project, in, step, std::move(saves))
        .receive(
            [&](std::int64_t id, step_outcome& o) {
              out.id = id;
              out.outcome = o;
            },
            [&](caf::error& e) { out.error = e; });
    return out;
  };

  auto first = exchange("wamid.1", {});
  REQUIRE_FALSE(first.error);
  CHECK(first.id > 0);
  CHECK(first.outcome.applied);
  REQUIRE(first.outcome.outbound_ids.size() == 1);
  CHECK(
      f.count("SELECT count(*) FROM messages WHERE direction = 'in' AND handled_at IS NOT NULL") ==
      1);
  CHECK(
      f.count("SELECT count(*) FROM conversations WHERE state = 'b' AND vars->>'seen' = 'true'") ==
      1);
  CHECK(f.count("SELECT count(*) FROM messages WHERE direction = 'out' AND status = 'queued'") ==
        1);

  auto again = exchange("wamid.1", {});  // Meta redelivered it
  REQUIRE_FALSE(again.error);
  CHECK(again.id == 0);
  CHECK_FALSE(again.outcome.applied);
  CHECK(f.count("SELECT count(*) FROM messages") == 2);

  // A save into a table that does not exist fails the whole exchange: nothing half-written.
  auto failing = exchange("wamid.2", {{"no_such_table", {{"note", "x"}}}});
  CHECK(code_of(failing.error) == errc::db_error);
  CHECK(f.count("SELECT count(*) FROM messages") == 2);
}

TEST_CASE("a send's wamid and the statuses after it, in one batch or two", "[persistence][db]") {
  persistence_fixture f;
  caf::scoped_actor self{*f.sys};
  std::vector<std::int64_t> outbound;
  {
    pqxx::connection c{f.db.conninfo()};
    pqxx::work tx{c};
    auto conv = paige::storage::open_conversation(tx, "15550002", "", "a");
    for (const char* body : {"one", "two"})
      outbound.push_back(paige::storage::queue_outbound(tx, conv.conversation_id, conv.contact_id,
                                                        "text", text(body))
                             .id);
    tx.commit();
  }
  // Sent before any answer is read: they may share a batch, in which the wamids come first.
  auto a1 = self->request(f.worker, timeout, accepted_atom::value, f.project, outbound[0],
                          std::string{"wamid.o1"});
  auto a2 = self->request(f.worker, timeout, accepted_atom::value, f.project, outbound[1],
                          std::string{"wamid.o2"});
  auto s1 = self->request(f.worker, timeout, status_atom::value, f.project,
                          std::vector<status_row>{{"wamid.o1", "delivered", 0, ""}});
  auto a3 = self->request(f.worker, timeout, accepted_atom::value, f.project, outbound[1] + 100,
                          std::string{"wamid.x"});
  std::vector<std::string> statuses;
  for (auto* h : {&a1, &a2, &a3})
    h->receive(
        [&](bool changed, status_change& c) { statuses.push_back(changed ? c.status : "none"); },
        [&](caf::error& e) { FAIL(to_string(e)); });
  CHECK(statuses ==
        std::vector<std::string>{"accepted", "accepted", "none"});  // the last: no such message
  std::vector<status_change> changes;
  s1.receive([&](std::vector<status_change>& c) { changes = c; },
             [&](caf::error& e) { FAIL(to_string(e)); });
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].message_id == outbound[0]);
  CHECK(changes[0].status == "delivered");
  CHECK(
      f.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.o1' AND status = 'delivered'") ==
      1);
  CHECK(f.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.o2' AND status = 'accepted'") ==
        1);
  CHECK(f.count("SELECT count(*) FROM pending_statuses") == 0);
}

namespace {

/// An outbound message queued in `f`'s database, to record a wamid for.
std::int64_t queued_outbound(persistence_fixture& f, const std::string& wa_id) {
  pqxx::connection c{f.db.conninfo()};
  pqxx::work tx{c};
  auto conv = paige::storage::open_conversation(tx, wa_id, "", "a");
  auto id =
      paige::storage::queue_outbound(tx, conv.conversation_id, conv.contact_id, "text", text("out"))
          .id;
  tx.commit();
  return id;
}

}  // namespace

TEST_CASE("lingering wamids ride along with a write a reply waits for, four for each, no more",
          "[persistence][db]") {
  persistence_fixture f{std::chrono::milliseconds{500}};
  caf::scoped_actor self{*f.sys};
  std::vector<std::int64_t> outs;
  for (int i = 0; i < 6; ++i)
    outs.push_back(queued_outbound(f, "1555000" + std::to_string(30 + i)));
  auto started = std::chrono::steady_clock::now();
  std::vector<caf::response_handle<caf::blocking_actor, caf::message, true>> accepted;
  for (int i = 0; i < 6; ++i)
    accepted.push_back(self->request(f.worker, timeout, accepted_atom::value, f.project, outs[i],
                                     "wamid.r" + std::to_string(i)));
  // A write a reply waits for goes at once, with the four oldest: a broadcast's thousands of
  // statuses a second do not lengthen a reply's commit.
  tx_job eager = [](pqxx::transaction_base& tx) {
    return caf::make_message(tx.exec1("SELECT txid_current() % 4294967296")[0].as<std::int64_t>());
  };
  std::int64_t txid = 0;
  self->request(f.worker, timeout, run_atom::value, f.project, std::move(eager))
      .receive([&](std::int64_t id) { txid = id; }, [](caf::error& e) { FAIL(to_string(e)); });
  auto in_reply_commit = [&] {
    return f.count(
        "SELECT count(*) FROM messages WHERE wamid LIKE 'wamid.r%' AND "
        "xmin::text::bigint = " +
        std::to_string(txid));
  };
  // Unless the machine was too slow to tell (the linger passed first).
  if (std::chrono::steady_clock::now() - started < std::chrono::milliseconds{400})
    CHECK(in_reply_commit() == 4);
  for (auto& a : accepted)
    a.receive([](bool changed, status_change& c) { CHECK((changed && c.status == "accepted")); },
              [](caf::error& e) { FAIL(to_string(e)); });
  CHECK(f.count("SELECT count(*) FROM messages WHERE wamid IN ('wamid.r4', 'wamid.r5')") == 2);
  CHECK(f.count("SELECT count(*) FROM messages WHERE wamid IN ('wamid.r4', 'wamid.r5') AND "
                "xmin::text::bigint = " +
                std::to_string(txid)) == 0);
}

TEST_CASE("a status alone commits once the linger has passed", "[persistence][db]") {
  persistence_fixture f{std::chrono::milliseconds{50}};
  caf::scoped_actor self{*f.sys};
  auto out = queued_outbound(f, "15550004");
  auto started = std::chrono::steady_clock::now();
  self->request(f.worker, timeout, accepted_atom::value, f.project, out, std::string{"wamid.l2"})
      .receive([](bool changed, status_change&) { CHECK(changed); },
               [](caf::error& e) { FAIL(to_string(e)); });
  self->request(f.worker, timeout, status_atom::value, f.project,
                std::vector<status_row>{{"wamid.l2", "read", 0, ""}})
      .receive([](std::vector<status_change>& c) { CHECK(c.size() == 1); },
               [](caf::error& e) { FAIL(to_string(e)); });
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds{100});
  CHECK(f.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.l2' AND status = 'read'") == 1);
}

TEST_CASE("a worker asked to stop commits what lingers first", "[persistence][db]") {
  persistence_fixture f{std::chrono::seconds{60}};
  caf::scoped_actor self{*f.sys};
  auto out = queued_outbound(f, "15550005");
  auto accepted = self->request(f.worker, timeout, accepted_atom::value, f.project, out,
                                std::string{"wamid.l3"});
  // Answered at once (no such project), and only after the wamid above was queued.
  self->request(f.worker, timeout, accepted_atom::value, std::string{"unregistered"}, out,
                std::string{"wamid.x"})
      .receive([](bool, status_change&) { FAIL("an unregistered project was written"); },
               [](caf::error& e) {
                 CHECK(e.code() == static_cast<std::uint8_t>(errc::db_unavailable));
               });
  caf::anon_send_exit(f.worker, caf::exit_reason::user_shutdown);
  accepted.receive([](bool changed, status_change&) { CHECK(changed); },
                   [](caf::error& e) { FAIL(to_string(e)); });
  CHECK(f.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.l3' AND status = 'accepted'") ==
        1);
}

TEST_CASE("first messages' opens and the common writes, in one batch or more",
          "[persistence][db]") {
  persistence_fixture f;
  caf::scoped_actor self{*f.sys};
  std::vector<std::int64_t> outbound;
  paige::storage::conversation_row existing;
  {
    pqxx::connection c{f.db.conninfo()};
    pqxx::work tx{c};
    existing = paige::storage::open_conversation(tx, "15550003", "Cy", "a");
    outbound.push_back(paige::storage::queue_outbound(tx, existing.conversation_id,
                                                      existing.contact_id, "text", text("hi"))
                           .id);
    tx.commit();
  }
  // Sent before any answer is read, so they may share a batch: two opens of a new contact
  // (a conversation actor replaced while its open was queued), one of a known contact, a
  // send's wamid and its status.
  auto open = [&](const char* wa_id, const char* name) {
    return self->request(f.worker, timeout, open_atom::value, f.project, std::string{wa_id},
                         std::string{name}, std::string{"start"});
  };
  auto o1 = open("15550004", "Di");
  auto o2 = open("15550004", "");
  auto o3 = open("15550003", "");
  auto a1 = self->request(f.worker, timeout, accepted_atom::value, f.project, outbound[0],
                          std::string{"wamid.c1"});
  auto s1 = self->request(f.worker, timeout, status_atom::value, f.project,
                          std::vector<status_row>{{"wamid.c1", "sent", 0, ""}});
  std::vector<paige::storage::conversation_row> rows;
  for (auto* h : {&o1, &o2, &o3})
    h->receive([&](paige::storage::conversation_row& row) { rows.push_back(row); },
               [&](caf::error& e) { FAIL(to_string(e)); });
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].opened);
  CHECK(rows[0].state == "start");
  CHECK(rows[0].contact_name == "Di");
  CHECK_FALSE(rows[1].opened);
  CHECK(rows[1].conversation_id == rows[0].conversation_id);
  CHECK_FALSE(rows[2].opened);
  CHECK(rows[2].conversation_id == existing.conversation_id);
  CHECK(rows[2].contact_name == "Cy");
  a1.receive([&](bool changed, status_change& c) { CHECK((changed && c.status == "accepted")); },
             [&](caf::error& e) { FAIL(to_string(e)); });
  s1.receive(
      [&](std::vector<status_change>& c) { CHECK((c.size() == 1 && c[0].status == "sent")); },
      [&](caf::error& e) { FAIL(to_string(e)); });
  CHECK(f.count("SELECT count(*) FROM contacts") == 2);
  CHECK(f.count("SELECT count(*) FROM conversations WHERE status = 'open'") == 2);
  CHECK(f.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.c1' AND status = 'sent'") == 1);
}

TEST_CASE(
    "a first message's step holds only in a conversation its open created and a failing one stores "
    "nothing",
    "[persistence][db]") {
  persistence_fixture f;
  caf::scoped_actor self{*f.sys};
  paige::storage::conversation_row existing;
  {
    pqxx::connection c{f.db.conninfo()};
    pqxx::work tx{c};
    existing = paige::storage::open_conversation(tx, "15550021", "Ed", "a");
    tx.exec0("CREATE TABLE notes (note text)");
    tx.commit();
  }
  // Sent before any answer is read, so they may share a batch: the step of each ran from
  // the initial state "a" and moved to "b" with one reply.
  auto first = [&](const char* wa_id, const char* name, const std::string& wamid, save_list saves) {
    paige::storage::open_row open{wa_id, name, "a"};
    inbound_row in{0, 0, wamid, "text", text("hi"), 0, false};
    step_row step{0, 0, 0, "b", "{}", false, {{"text", text("reply to " + wamid)}}};
    return self->request(f.worker, timeout, first_atom::value, f.project, open, std::string{name},
                         in, step, std::move(saves));
  };
  auto held = first("15550020", "Ann", "wamid.f1", {});
  auto found_open = first("15550021", "", "wamid.f2", {});
  auto with_save = first("15550022", "Bo", "wamid.f3", {{"notes", {{"note", "from Bo"}}}});
  auto failing = first("15550023", "Cid", "wamid.f4", {{"no_such_table", {{"note", "x"}}}});
  auto duplicate = first("15550024", "Dee", "wamid.f1", {});
  struct answer {
    paige::storage::conversation_row row;
    bool held = false;
    std::int64_t id = -1;
    step_outcome outcome;
    caf::error error;
  };
  auto answer_of = [](auto& handle) {
    answer out;
    handle.receive(
        [&](paige::storage::conversation_row& row, bool h, std::int64_t id, step_outcome& o) {
          out.row = row;
          out.held = h;
          out.id = id;
          out.outcome = o;
        },
        [&](caf::error& e) { out.error = e; });
    return out;
  };
  auto a1 = answer_of(held), a2 = answer_of(found_open), a3 = answer_of(with_save),
       a4 = answer_of(failing), a5 = answer_of(duplicate);

  REQUIRE_FALSE(a1.error);
  CHECK(a1.held);
  CHECK(a1.row.opened);
  CHECK(a1.id > 0);
  CHECK(a1.outcome.applied);
  CHECK(a1.outcome.outbound_ids.size() == 1);
  CHECK(f.count("SELECT count(*) FROM messages m JOIN conversations v ON v.id = m.conversation_id "
                "WHERE m.wamid = 'wamid.f1' AND v.id = " +
                std::to_string(a1.row.conversation_id) +
                " AND v.state = 'b' AND m.handled_at IS NOT NULL") == 1);

  // An open conversation existed: only the (no-op) open happened; the caller steps again.
  REQUIRE_FALSE(a2.error);
  CHECK_FALSE(a2.held);
  CHECK_FALSE(a2.row.opened);
  CHECK(a2.row.conversation_id == existing.conversation_id);
  CHECK(a2.row.contact_name == "Ed");
  CHECK(a2.id == 0);
  CHECK(f.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.f2'") == 0);
  CHECK(f.count("SELECT count(*) FROM conversations WHERE state = 'a' AND id = " +
                std::to_string(existing.conversation_id)) == 1);

  REQUIRE_FALSE(a3.error);
  CHECK(a3.held);
  CHECK(a3.id > 0);
  CHECK(a3.outcome.applied);
  CHECK(f.count("SELECT count(*) FROM notes WHERE note = 'from Bo'") == 1);
  CHECK(f.count(
            "SELECT count(*) FROM messages WHERE wamid = 'wamid.f3' AND handled_at IS NOT NULL") ==
        1);

  // The save failed: not even the contact or its conversation was written.
  CHECK(code_of(a4.error) == errc::db_error);
  CHECK(f.count("SELECT count(*) FROM contacts WHERE wa_id = '15550023'") == 0);

  // A wamid stored before: the conversation is opened, the message not stored again.
  REQUIRE_FALSE(a5.error);
  CHECK(a5.row.opened);
  CHECK(a5.id == 0);
  CHECK_FALSE(a5.outcome.applied);
  CHECK(f.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.f1'") == 1);
  CHECK(f.count("SELECT count(*) FROM messages WHERE direction = 'out'") == 2);
}

TEST_CASE("a project's connection is closed once idle and made again by its next write",
          "[persistence][db]") {
  persistence_fixture f{default_write_linger, std::chrono::milliseconds{200}};
  caf::scoped_actor self{*f.sys};
  auto backend = [&] {
    tx_job job = [](pqxx::transaction_base& tx) {
      return caf::make_message(tx.exec1("SELECT pg_backend_pid()")[0].as<int>());
    };
    int pid = 0;
    self->request(f.worker, timeout, run_atom::value, f.project, std::move(job))
        .receive([&](int p) { pid = p; }, [](caf::error& e) { FAIL(to_string(e)); });
    return pid;
  };
  auto connected = [&](int pid) {
    return f.count("SELECT count(*) FROM pg_stat_activity WHERE pid = " + std::to_string(pid));
  };
  auto first = backend();
  REQUIRE(first > 0);
  CHECK(connected(first) == 1);
  CHECK(paige::test::wait_until([&] { return connected(first) == 0; }, std::chrono::seconds{10}));
  auto second = backend();
  CHECK(second > 0);
  CHECK(second != first);
}
