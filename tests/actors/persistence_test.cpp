// The persistence workers on a real project database: the hot-path batch kinds.
#include "actors/errors.hpp"
#include "actors/persistence.hpp"
#include "storage/message_log.hpp"
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

std::string text(const std::string& body) { return json{{"type", "text"}, {"text", {{"body", body}}}}.dump(); }

/// What an exchange request answered: the inbound id and the step's outcome, or an error.
struct exchange_reply {
  std::int64_t id = -1;
  step_outcome outcome;
  caf::error error;
};

}  // namespace

TEST_CASE("an inbound message and its step commit together, a duplicate or a failing step stores nothing",
          "[persistence][db]") {
  persistence_fixture f;
  caf::scoped_actor self{*f.sys};
  paige::storage::conversation_row conv;
  self->request(f.worker, timeout, open_atom::value, f.project, std::string{"15550001"}, std::string{"Ada"},
                std::string{"a"})
      .receive([&](paige::storage::conversation_row& row) { conv = row; }, [&](caf::error& e) { FAIL(to_string(e)); });
  REQUIRE(conv.conversation_id > 0);

  auto exchange = [&](const std::string& wamid, save_list saves) {
    exchange_reply out;
    inbound_row in{conv.conversation_id, conv.contact_id, wamid, "text", text("hi"), 0, false};
    step_row step{0, conv.conversation_id, conv.contact_id, "b", R"({"seen":true})", false,
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
  CHECK(f.count("SELECT count(*) FROM messages WHERE direction = 'in' AND handled_at IS NOT NULL") == 1);
  CHECK(f.count("SELECT count(*) FROM conversations WHERE state = 'b' AND vars->>'seen' = 'true'") == 1);
  CHECK(f.count("SELECT count(*) FROM messages WHERE direction = 'out' AND status = 'queued'") == 1);

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
      outbound.push_back(
          paige::storage::queue_outbound(tx, conv.conversation_id, conv.contact_id, "text", text(body)).id);
    tx.commit();
  }
  // Sent before any answer is read: they may share a batch, in which the wamids come first.
  auto a1 = self->request(f.worker, timeout, accepted_atom::value, f.project, outbound[0], std::string{"wamid.o1"});
  auto a2 = self->request(f.worker, timeout, accepted_atom::value, f.project, outbound[1], std::string{"wamid.o2"});
  auto s1 = self->request(f.worker, timeout, status_atom::value, f.project,
                          std::vector<status_row>{{"wamid.o1", "delivered", 0, ""}});
  auto a3 = self->request(f.worker, timeout, accepted_atom::value, f.project, outbound[1] + 100, std::string{"wamid.x"});
  std::vector<std::string> statuses;
  for (auto* h : {&a1, &a2, &a3})
    h->receive([&](bool changed, status_change& c) { statuses.push_back(changed ? c.status : "none"); },
               [&](caf::error& e) { FAIL(to_string(e)); });
  CHECK(statuses == std::vector<std::string>{"accepted", "accepted", "none"});  // the last: no such message
  std::vector<status_change> changes;
  s1.receive([&](std::vector<status_change>& c) { changes = c; }, [&](caf::error& e) { FAIL(to_string(e)); });
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].message_id == outbound[0]);
  CHECK(changes[0].status == "delivered");
  CHECK(f.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.o1' AND status = 'delivered'") == 1);
  CHECK(f.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.o2' AND status = 'accepted'") == 1);
  CHECK(f.count("SELECT count(*) FROM pending_statuses") == 0);
}
