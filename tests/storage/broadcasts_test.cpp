#include "storage/broadcasts.hpp"
#include "tests/support/project_db.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

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
