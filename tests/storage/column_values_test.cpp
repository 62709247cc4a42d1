// Pure rules of the table editor: names and value conversion.
#include "storage/column_values.hpp"
#include "storage/identifiers.hpp"

#include <catch2/catch.hpp>

using namespace paige::storage;
using json = nlohmann::json;

TEST_CASE("table and column names follow the identifier rules", "[unit][database]") {
  CHECK_FALSE(table_name_problem("leads"));
  CHECK_FALSE(table_name_problem(std::string(63, 'a')));
  CHECK_FALSE(table_name_problem("_x1"));
  for (std::string bad : std::vector<std::string>{
           "", "1a", "A", "a-b", "a b", "tábla", "x\"; drop", std::string(64, 'a'), "pg_x",
           "paige_x", "contacts", "messages", "select", "user", "table"})
    CHECK(table_name_problem(bad));
  CHECK(column_name_problem("ctid"));
  CHECK(column_name_problem("xmin"));
  CHECK_FALSE(column_name_problem("contacts"));  // a column may share a system table's name
  CHECK_FALSE(column_name_problem("name"));
}

TEST_CASE("JSON values convert to parameters of their column type or are refused",
          "[unit][database]") {
  CHECK(to_parameter(column_type::integer, json(42)) == "42");
  CHECK(to_parameter(column_type::integer, json("-7")) == "-7");
  CHECK_THROWS_AS(to_parameter(column_type::integer, json(2147483648LL)), bad_value);
  CHECK_THROWS_AS(to_parameter(column_type::integer, json(1.5)), bad_value);
  CHECK_THROWS_AS(to_parameter(column_type::integer, json("1x")), bad_value);
  CHECK(to_parameter(column_type::bigint, json(9223372036854775807LL)) == "9223372036854775807");
  CHECK_THROWS_AS(to_parameter(column_type::bigint, json(18446744073709551615ULL)), bad_value);
  CHECK(to_parameter(column_type::numeric, json("123456789012345678901234.5")) ==
        "123456789012345678901234.5");
  CHECK(to_parameter(column_type::numeric, json(2)) == "2");
  CHECK_THROWS_AS(to_parameter(column_type::numeric, json("1e")), bad_value);
  CHECK(to_parameter(column_type::boolean, json(true)) == "true");
  CHECK_THROWS_AS(to_parameter(column_type::boolean, json("true")), bad_value);
  CHECK(to_parameter(column_type::date, json("2026-11-21")) == "2026-11-21");
  CHECK_THROWS_AS(to_parameter(column_type::date, json("21/11/2026")), bad_value);
  CHECK(to_parameter(column_type::timestamptz, json("2026-11-21T10:00:00.5+02:00")));
  CHECK_THROWS_AS(to_parameter(column_type::timestamptz, json("now")), bad_value);
  CHECK_THROWS_AS(to_parameter(column_type::uuid, json("1234")), bad_value);
  CHECK(to_parameter(column_type::jsonb, json{{"a", {1, 2}}}) == R"({"a":[1,2]})");
  CHECK_THROWS_AS(to_parameter(column_type::text, json(5)), bad_value);
  CHECK_THROWS_AS(to_parameter(column_type::text, json(std::string("a\0b", 3))), bad_value);
  CHECK_FALSE(to_parameter(column_type::text, json(nullptr)));
  CHECK(text_to_parameter(column_type::integer, "12") == "12");
  CHECK_THROWS_AS(text_to_parameter(column_type::integer, "12a"), bad_value);
  CHECK(text_to_parameter(column_type::jsonb, R"({"a": 1})") == R"({"a":1})");
}

TEST_CASE("long values are checked in linear time", "[unit][database]") {
  // std::regex recursed once per character here: a 3 MB numeric string overflowed the stack.
  std::string digits(3 << 20, '7');
  CHECK(to_parameter(column_type::numeric, json(digits)) == digits);
  CHECK_THROWS_AS(to_parameter(column_type::numeric, json(digits + "x")), bad_value);
  CHECK_THROWS_AS(to_parameter(column_type::date, json(std::string(3 << 20, '1'))), bad_value);
  CHECK_THROWS_AS(
      to_parameter(column_type::timestamptz, json("2026-11-21T" + std::string(3 << 20, '1'))),
      bad_value);
  CHECK_THROWS_AS(to_parameter(column_type::uuid, json(std::string(3 << 20, 'a'))), bad_value);
}

TEST_CASE("Postgres text becomes JSON by type", "[unit][database]") {
  CHECK(field_to_json(16, "t") == true);
  CHECK(field_to_json(20, "9007199254740993").get<std::int64_t>() == 9007199254740993);
  CHECK(field_to_json(1700, "1.10") == "1.10");
  CHECK(field_to_json(3802, R"({"a": [1]})") == json{{"a", {1}}});
  CHECK(field_to_json(1184, "2026-11-21 10:00:00.123+00") == "2026-11-21T10:00:00.123Z");
  CHECK(field_to_json(25, nullptr).is_null());
  CHECK(type_of_catalog("character varying(20)", false) == column_type::varchar);
  CHECK(type_of_catalog("bigint", true) == column_type::bigserial);
  CHECK(type_of_catalog("money", false) == column_type::other);
}
