// The table of API error codes: names a client can rely on, and docs/api-errors.md saying the
// same thing row for row.
#include "common/api_codes.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

using namespace paige;

TEST_CASE("api codes: unique snake_case names, an error status each, found by name",
          "[api_codes]") {
  std::set<std::string> names;
  std::regex snake{"[a-z][a-z0-9]*(_[a-z0-9]+)*"};
  for (const auto& row : all_api_codes()) {
    INFO(row.name);
    CHECK(std::regex_match(row.name, snake));
    CHECK(names.insert(row.name).second);
    CHECK(row.status >= 400);
    CHECK(row.status < 600);
    CHECK(std::string{row.meaning}.size() > 10);
    CHECK(parse_api_code(row.name) == row.code);
    CHECK(&info_of(row.code) == &row);
  }
  CHECK_FALSE(parse_api_code("no_such_code"));
  CHECK(to_string(api_code::conversation_not_found) == std::string{"conversation_not_found"});
  CHECK(http_status(api_code::conversation_not_found) == 404);
}

TEST_CASE("api codes: docs/api-errors.md lists exactly the table's rows", "[api_codes]") {
  std::ifstream file{PAIGE_SOURCE_DIR "/docs/api-errors.md"};
  REQUIRE(file);
  std::set<std::string> documented;
  std::regex row{R"(\| `([a-z0-9_]+)` \| (\d+) \| (.+) \|)"};
  for (std::string line; std::getline(file, line);) {
    std::smatch m;
    if (std::regex_match(line, m, row))
      documented.insert(m[1].str() + " " + m[2].str() + " " + m[3].str());
  }
  std::set<std::string> table;
  for (const auto& r : all_api_codes())
    table.insert(std::string{r.name} + " " + std::to_string(r.status) + " " + r.meaning);
  CHECK(documented == table);
}
