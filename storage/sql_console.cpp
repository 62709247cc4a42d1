#include "storage/sql_console.hpp"

#include "storage/column_values.hpp"

#include <pqxx/pqxx>

#include <optional>
#include <vector>

namespace paige::storage {
namespace {

using json = nlohmann::json;

constexpr const char* cursor_name = "paige_sql_console";

json result_json(const pqxx::result& r, std::size_t row_cap) {
  json columns = json::array(), types = json::array(), rows = json::array();
  for (pqxx::row::size_type i = 0; i < r.columns(); ++i) {
    columns.push_back(r.column_name(i));
    types.push_back(r.column_type(i));
  }
  auto kept = std::min<std::size_t>(r.size(), row_cap);
  for (std::size_t i = 0; i < kept; ++i) {
    json row = json::array();
    for (const auto& f : r[i]) row.push_back(field_to_json(f.type(), f.is_null() ? nullptr : f.c_str()));
    rows.push_back(std::move(row));
  }
  auto count = r.columns() > 0 ? kept : static_cast<std::size_t>(r.affected_rows());
  return {{"columns", std::move(columns)}, {"column_types", std::move(types)}, {"rows", std::move(rows)},
          {"row_count", count}, {"truncated", r.size() > row_cap}, {"row_cap", row_cap}};
}

}  // namespace

json run_sql(pqxx::dbtransaction& tx, const std::string& query, const json& params, std::size_t row_cap) {
  std::vector<std::optional<std::string>> args;
  for (const auto& p : params) {
    if (p.is_null()) args.emplace_back();
    else if (p.is_string()) args.emplace_back(p.get<std::string>());
    else args.emplace_back(p.dump());
  }
  auto bound = pqxx::prepare::make_dynamic_params(args);
  // A query that can be a cursor is fetched through one (cap + 1 rows); anything else fails
  // to declare inside a savepoint and runs as it is.
  bool declared = false;
  tx.exec0("SAVEPOINT paige_sql_cursor");
  try {
    tx.exec_params(std::string{"DECLARE "} + cursor_name + " NO SCROLL CURSOR FOR " + query, bound);
    declared = true;
  } catch (const pqxx::sql_error&) {
    tx.exec0("ROLLBACK TO SAVEPOINT paige_sql_cursor");
  }
  if (!declared) return result_json(tx.exec_params(query, bound), row_cap);
  auto rows = tx.exec(std::string{"FETCH FORWARD "} + std::to_string(row_cap + 1) + " FROM " + cursor_name);
  tx.exec0(std::string{"CLOSE "} + cursor_name);
  return result_json(rows, row_cap);
}

}  // namespace paige::storage
