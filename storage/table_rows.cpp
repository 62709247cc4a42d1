#include "storage/table_rows.hpp"

#include "storage/row_cursor.hpp"
#include "storage/table_errors.hpp"

#include <pqxx/pqxx>

namespace paige::storage {
namespace {

using json = nlohmann::json;
using params = std::vector<std::optional<std::string>>;

constexpr const char* ctid_column = "?paige_ctid";

json row_json(const pqxx::row& r) {
  json row = json::object();
  for (const auto& f : r) {
    if (std::string_view{f.name()} == ctid_column) continue;
    row[f.name()] = field_to_json(f.type(), f.is_null() ? nullptr : f.c_str());
  }
  return row;
}

const column_info& require_column(const table_info& t, const std::string& name) {
  const auto* c = t.column(name);
  if (!c)
    throw invalid(api_code::unknown_column, "table '" + t.name + "' has no column '" + name + "'",
                  {{"column", name}});
  return *c;
}

std::optional<std::string> checked(const column_info& c, const json& value) {
  if (value.is_null() && !c.nullable)
    throw invalid(api_code::not_null_violation, "column '" + c.name + "' cannot be null",
                  {{"column", c.name}});
  try {
    return to_parameter(c.type, value);
  } catch (const bad_value& e) {
    throw invalid(api_code::invalid_value, "column '" + c.name + "' " + e.what(),
                  {{"column", c.name}});
  }
}

std::string checked_text(const column_info& c, const std::string& text) {
  try {
    return text_to_parameter(c.type, text);
  } catch (const bad_value& e) {
    throw invalid(api_code::invalid_value, "column '" + c.name + "' " + e.what(),
                  {{"column", c.name}});
  }
}

void refuse_system(const table_info& t) {
  if (t.system)
    throw table_error{
        api_code::system_table,
        "'" + t.name + "' is a system table: its rows change through the conversation endpoints"};
}

const column_info& key_column(const table_info& t) {
  if (!t.primary_key)
    throw invalid(api_code::no_primary_key,
                  "table '" + t.name + "' has no single-column primary key to address rows by");
  return *t.column(*t.primary_key);
}

void require_object(const json& values) {
  if (!values.is_object())
    throw invalid(api_code::invalid_row, "a row is a JSON object {column: value}");
}

}  // namespace

json browse_rows(pqxx::transaction_base& tx, const table_info& table, const browse_request& req) {
  // The key breaks ties: the primary key, or the row's physical address without one.
  std::string key = table.primary_key ? tx.quote_name(*table.primary_key) : "ctid";
  std::string key_cast = table.primary_key ? "" : "::tid";
  const column_info* order = req.order_by.empty() ? nullptr : &require_column(table, req.order_by);
  if (order && table.primary_key && order->name == *table.primary_key) order = nullptr;
  std::string order_name = order ? order->name : "";

  params args;
  auto arg = [&](std::optional<std::string> v) {
    args.push_back(std::move(v));
    return "$" + std::to_string(args.size());
  };
  std::string where;
  auto and_ = [&](const std::string& cond) {
    where += (where.empty() ? " WHERE " : " AND ") + cond;
  };
  for (const auto& [name, text] : req.equals) {
    const auto& c = require_column(table, name);
    and_(tx.quote_name(c.name) + " = " + arg(checked_text(c, text)));
  }

  const char* after = req.desc ? " < " : " > ";
  if (!req.cursor.empty()) {
    auto pos = decode_row_cursor(req.cursor, req.order_by, req.desc);
    auto k = arg(pos.key) + key_cast;
    if (!order) {
      and_(key + after + k);
    } else {
      auto col = tx.quote_name(order->name);
      // NULLs sort last ascending and first descending (Postgres' defaults).
      if (!pos.value) {
        and_(req.desc
                 ? "((" + col + " IS NULL AND " + key + after + k + ") OR " + col + " IS NOT NULL)"
                 : "(" + col + " IS NULL AND " + key + after + k + ")");
      } else {
        auto v = arg(pos.value);
        std::string cond = "(" + col + ", " + key + ")" + after + "(" + v + ", " + k + ")";
        if (order->nullable && !req.desc) cond = "(" + cond + " OR " + col + " IS NULL)";
        and_(cond);
      }
    }
  }
  const char* dir = req.desc ? " DESC" : " ASC";
  std::string order_sql =
      order ? tx.quote_name(order->name) + dir + (req.desc ? " NULLS FIRST, " : " NULLS LAST, ")
            : "";
  std::string select =
      "SELECT *" +
      std::string{table.primary_key ? "" : ", ctid::text AS \"" + std::string{ctid_column} + "\""} +
      " FROM public." + tx.quote_name(table.name) + where + " ORDER BY " + order_sql + key + dir +
      " LIMIT " + std::to_string(req.limit + 1);
  auto result = tx.exec_params(select, pqxx::prepare::make_dynamic_params(args));

  json items = json::array();
  auto shown = std::min<std::size_t>(result.size(), static_cast<std::size_t>(req.limit));
  for (std::size_t i = 0; i < shown; ++i) items.push_back(row_json(result[i]));
  json next = nullptr;
  if (result.size() > shown) {
    const auto& last = result[shown - 1];
    row_position p;
    p.key = last[table.primary_key ? *table.primary_key : std::string{ctid_column}].c_str();
    if (order && !last[order->name].is_null()) p.value = last[order->name].c_str();
    next = encode_row_cursor(req.order_by, req.desc, p);
  }
  return {{"items", std::move(items)}, {"next_cursor", std::move(next)}};
}

json insert_row(pqxx::transaction_base& tx, const table_info& table, const json& values) {
  refuse_system(table);
  require_object(values);
  std::string columns, placeholders;
  params args;
  for (const auto& [name, value] : values.items()) {
    const auto& c = require_column(table, name);
    args.push_back(checked(c, value));
    columns += (args.size() > 1 ? ", " : "") + tx.quote_name(c.name);
    placeholders += (args.size() > 1 ? ", $" : "$") + std::to_string(args.size());
  }
  auto target = "INSERT INTO public." + tx.quote_name(table.name);
  auto sql = args.empty() ? target + " DEFAULT VALUES RETURNING *"
                          : target + " (" + columns + ") VALUES (" + placeholders + ") RETURNING *";
  return row_json(tx.exec_params1(sql, pqxx::prepare::make_dynamic_params(args)));
}

json update_row(pqxx::transaction_base& tx, const table_info& table, const std::string& key,
                const json& values) {
  refuse_system(table);
  require_object(values);
  const auto& k = key_column(table);
  params args{checked_text(k, key)};
  std::string sets;
  for (const auto& [name, value] : values.items()) {
    const auto& c = require_column(table, name);
    args.push_back(checked(c, value));
    sets += (args.size() > 2 ? ", " : "") + tx.quote_name(c.name) + " = $" +
            std::to_string(args.size());
  }
  auto where = " WHERE " + tx.quote_name(k.name) + " = $1 RETURNING *";
  auto sql = args.size() == 1
                 ? "SELECT * FROM public." + tx.quote_name(table.name) + " WHERE " +
                       tx.quote_name(k.name) + " = $1"
                 : "UPDATE public." + tx.quote_name(table.name) + " SET " + sets + where;
  auto r = tx.exec_params(sql, pqxx::prepare::make_dynamic_params(args));
  if (r.empty())
    throw table_error{api_code::row_not_found, "table '" + table.name + "' has no row " + key};
  return row_json(r[0]);
}

void delete_row(pqxx::transaction_base& tx, const table_info& table, const std::string& key) {
  refuse_system(table);
  const auto& k = key_column(table);
  auto r = tx.exec_params("DELETE FROM public." + tx.quote_name(table.name) + " WHERE " +
                              tx.quote_name(k.name) + " = $1",
                          checked_text(k, key));
  if (r.affected_rows() == 0)
    throw table_error{api_code::row_not_found, "table '" + table.name + "' has no row " + key};
}

void clear_table(pqxx::transaction_base& tx, const table_info& table) {
  refuse_system(table);
  tx.exec0("TRUNCATE public." + tx.quote_name(table.name));
}

}  // namespace paige::storage
