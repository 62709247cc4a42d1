#include "storage/broadcasts.hpp"
#include "tests/support/project_db.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <functional>

using namespace paige::storage;
using json = nlohmann::json;

TEST_CASE("a list audience is read in slices from the stored broadcast, and shown by its length",
          "[db][broadcasts]") {
  paige::test::project_db p;
  pqxx::connection c{p.conninfo};
  json ids = json::array();
  for (int i = 0; i < 5000; ++i) ids.push_back(std::to_string(15550000000 + i));
  pqxx::work tx{c};
  auto id = insert_broadcast(tx, "b", R"({"name":"t","language":"en_US"})", "[]",
                             json{{"wa_ids", ids}}.dump(), 0);
  // Batches resume at the position read last, and cover the list exactly once, in order.
  std::vector<std::string> read;
  std::string after;
  for (;;) {
    auto rows = read_audience(tx, id, {}, after, 2000);
    for (const auto& r : rows) {
      read.push_back(r.wa_id);
      CHECK(json::parse(r.fields_json) == json{{"wa_id", r.wa_id}});
    }
    if (rows.empty()) break;
    after = rows.back().key;
  }
  REQUIRE(read.size() == 5000);
  for (int i = 0; i < 5000; ++i) CHECK(read[i] == ids[i].get<std::string>());
  CHECK(after == "5000");
  CHECK(read_audience(tx, id, {}, "4999", 2000).size() == 1);
  // Views show the list by its length; a round's read leaves the audience out.
  CHECK(json::parse(find_broadcast(tx, id)->audience_json) == json{{"wa_ids_count", 5000}});
  CHECK(find_broadcast_to_run(tx, id)->audience_json.empty());
  CHECK(count_audience(tx, json{{"wa_ids", ids}}.dump()) == 5000);
}

namespace {

/// Reads the broadcast's whole audience in batches of 2 000, calling `between` after the first.
std::vector<audience_row> read_all(pqxx::transaction_base& tx, std::int64_t id,
                                   const std::function<void()>& between) {
  std::vector<audience_row> out;
  std::string after;
  for (bool first = true;; first = false) {
    auto rows = read_audience(tx, id, {"first"}, after, 2000);
    if (rows.empty()) return out;
    out.insert(out.end(), rows.begin(), rows.end());
    after = rows.back().key;
    if (first) between();
  }
}

}  // namespace

TEST_CASE("a table audience is read in its primary key's order: rows updated meanwhile once",
          "[db][broadcasts]") {
  paige::test::project_db p;
  pqxx::connection c{p.conninfo};
  pqxx::work tx{c};
  tx.exec0("CREATE TABLE public.people (id bigint PRIMARY KEY, phone text, first text)");
  tx.exec0(
      "INSERT INTO public.people SELECT g, '1555' || lpad(g::text, 7, '0'), 'n' || g "
      "FROM generate_series(1, 3000) g");
  auto id = insert_broadcast(tx, "b", R"({"name":"t","language":"en_US"})", "[]",
                             R"({"table": "people", "phone_column": "phone"})", 0);
  // Rows already read, and one not yet, change meanwhile: each is still read once.
  auto rows = read_all(tx, id, [&] {
    tx.exec0("UPDATE public.people SET first = 'changed' WHERE id <= 10 OR id = 2500");
  });
  REQUIRE(rows.size() == 3000);
  for (std::size_t i = 0; i < rows.size(); ++i)
    CHECK(rows[i].wa_id ==
          "1555" + std::string(7 - std::to_string(i + 1).size(), '0') + std::to_string(i + 1));
  CHECK(json::parse(rows[2499].fields_json)["first"] == "changed");
  CHECK(rows.back().key == "k:3000");

  // A table without a primary key is read in storage order, each row once when none changes.
  tx.exec0("CREATE TABLE public.loose (phone text, first text)");
  tx.exec0(
      "INSERT INTO public.loose SELECT '1666' || lpad(g::text, 7, '0'), 'n' FROM "
      "generate_series(1, 2500) g");
  auto loose = insert_broadcast(tx, "l", R"({"name":"t","language":"en_US"})", "[]",
                                R"({"table": "loose", "phone_column": "phone"})", 0);
  CHECK(read_all(tx, loose, [] {}).size() == 2500);
}
