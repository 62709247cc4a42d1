#include "storage/table_schema.hpp"

#include "storage/identifiers.hpp"
#include "storage/table_errors.hpp"

#include <pqxx/pqxx>

#include <set>

namespace paige::storage {
namespace {

using json = nlohmann::json;

constexpr std::size_t max_columns = 200;

// One row per column of every (or one) table of the public schema.
constexpr const char* columns_sql = R"sql(
SELECT c.relname AS table_name, a.attname AS column_name,
       format_type(a.atttypid, a.atttypmod) AS formatted_type, a.attnotnull AS not_null,
       pg_get_expr(d.adbin, d.adrelid) AS default_sql,
       coalesce(a.attnum = ANY (pk.indkey::int2[]), false) AS in_primary_key,
       coalesce(array_length(pk.indkey::int2[], 1), 0) AS primary_key_columns,
       EXISTS (SELECT 1 FROM pg_index u WHERE u.indrelid = c.oid AND u.indisunique AND NOT u.indisprimary
                 AND u.indnatts = 1 AND u.indkey[0] = a.attnum AND u.indpred IS NULL) AS unique_alone,
       pg_get_serial_sequence('public.' || quote_ident(c.relname), a.attname) IS NOT NULL AS has_sequence
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
LEFT JOIN pg_index pk ON pk.indrelid = c.oid AND pk.indisprimary
WHERE c.relkind IN ('r', 'p') AND ($1::text IS NULL OR c.relname = $1)
ORDER BY c.relname, a.attnum)sql";

std::vector<table_info> read_tables(pqxx::transaction_base& tx,
                                    const std::optional<std::string>& only) {
  std::vector<table_info> tables;
  for (const auto& r : tx.exec_params(columns_sql, only)) {
    auto table = r["table_name"].as<std::string>();
    if (tables.empty() || tables.back().name != table) {
      tables.push_back({});
      tables.back().name = table;
      tables.back().system = is_system_table(table);
    }
    auto& t = tables.back();
    column_info col;
    col.name = r["column_name"].as<std::string>();
    auto formatted = r["formatted_type"].as<std::string>();
    bool has_sequence = r["has_sequence"].as<bool>();
    col.type = type_of_catalog(formatted, has_sequence);
    col.type_label = col.type == column_type::other ? formatted : type_name(col.type);
    col.nullable = !r["not_null"].as<bool>();
    if (!r["default_sql"].is_null() && !has_sequence)
      col.default_sql = r["default_sql"].as<std::string>();
    col.primary_key = r["in_primary_key"].as<bool>();
    col.unique = r["unique_alone"].as<bool>();
    if (col.primary_key && r["primary_key_columns"].as<int>() == 1) t.primary_key = col.name;
    t.columns.push_back(std::move(col));
  }
  return tables;
}

bool is_serial(column_type t) { return t == column_type::serial || t == column_type::bigserial; }

/// Function defaults a user may name instead of a literal.
std::optional<std::string> expression_default(const column_spec& c) {
  if (!c.default_value.is_string()) return std::nullopt;
  const auto& s = c.default_value.get_ref<const std::string&>();
  if (c.type == column_type::timestamptz && s == "now()") return "now()";
  if (c.type == column_type::date && (s == "now()" || s == "current_date")) return "CURRENT_DATE";
  if (c.type == column_type::uuid && s == "gen_random_uuid()") return "gen_random_uuid()";
  return std::nullopt;
}

std::string column_ddl(pqxx::transaction_base& tx, const column_spec& c) {
  std::string ddl = tx.quote_name(c.name) + " " + sql_type(c.type);
  if (c.primary_key)
    ddl += " PRIMARY KEY";
  else if (!c.nullable)
    ddl += " NOT NULL";
  if (!c.default_value.is_null()) {
    if (auto expr = expression_default(c))
      ddl += " DEFAULT " + *expr;
    else
      ddl +=
          " DEFAULT " + tx.quote(*to_parameter(c.type, c.default_value)) + "::" + sql_type(c.type);
  }
  if (c.unique && !c.primary_key) ddl += " UNIQUE";
  return ddl;
}

void refuse_system(const table_info& t, const char* what) {
  if (t.system)
    throw table_error{api_code::system_table,
                      "'" + t.name + "' is a system table: it cannot be " + what + " here"};
}

}  // namespace

const column_info* table_info::column(const std::string& name) const {
  for (const auto& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

column_spec parse_column_spec(const json& spec) {
  if (!spec.is_object())
    throw invalid(api_code::invalid_column, "a column is an object {\"name\", \"type\", ...}");
  for (const auto& [key, value] : spec.items())
    if (key != "name" && key != "type" && key != "nullable" && key != "default" &&
        key != "unique" && key != "primary_key")
      throw invalid(api_code::unknown_field, "unknown column field '" + key + "'",
                    {{"field", key}});
  column_spec c;
  if (!spec.contains("name") || !spec["name"].is_string())
    throw invalid(api_code::invalid_column, "a column needs a \"name\" string",
                  {{"field", "name"}});
  c.name = spec["name"].get<std::string>();
  if (auto problem = column_name_problem(c.name))
    throw invalid(api_code::invalid_name, *problem, {{"column", c.name}});
  auto type = spec.contains("type") && spec["type"].is_string()
                  ? parse_column_type(spec["type"].get<std::string>())
                  : std::nullopt;
  if (!type)
    throw invalid(api_code::invalid_type,
                  "column '" + c.name +
                      "' needs a \"type\": text, varchar, integer, bigint, numeric, boolean, "
                      "date, timestamptz, uuid, jsonb or serial",
                  {{"column", c.name}});
  c.type = *type;
  auto flag = [&](const char* key, bool fallback) {
    if (!spec.contains(key)) return fallback;
    if (!spec[key].is_boolean())
      throw invalid(api_code::invalid_column,
                    "\"" + std::string{key} + "\" of column '" + c.name + "' must be true or false",
                    {{"column", c.name}});
    return spec[key].get<bool>();
  };
  c.nullable = flag("nullable", true);
  c.unique = flag("unique", false);
  c.primary_key = flag("primary_key", false);
  if (spec.contains("default")) c.default_value = spec["default"];
  if (!c.default_value.is_null()) {
    if (is_serial(c.type))
      throw invalid(api_code::invalid_default,
                    "column '" + c.name + "' is a serial: it takes no default",
                    {{"column", c.name}});
    if (!expression_default(c)) {
      try {
        to_parameter(c.type, c.default_value);
      } catch (const bad_value& e) {
        throw invalid(api_code::invalid_default,
                      "the default of column '" + c.name + "' " + e.what(), {{"column", c.name}});
      }
    }
  }
  return c;
}

std::vector<table_info> list_tables(pqxx::transaction_base& tx) {
  return read_tables(tx, std::nullopt);
}

std::optional<table_info> describe_table(pqxx::transaction_base& tx, const std::string& name) {
  auto tables = read_tables(tx, name);
  if (tables.empty()) return std::nullopt;
  return std::move(tables.front());
}

table_info require_table(pqxx::transaction_base& tx, const std::string& name) {
  auto t = describe_table(tx, name);
  if (!t) throw table_error{api_code::table_not_found, "no table named '" + name + "'"};
  return std::move(*t);
}

table_info create_table(pqxx::transaction_base& tx, const std::string& name,
                        const std::vector<column_spec>& columns) {
  if (auto problem = table_name_problem(name))
    throw invalid(api_code::invalid_name, *problem, {{"field", "name"}});
  if (columns.size() > max_columns)
    throw invalid(api_code::too_many_columns,
                  "a table has at most " + std::to_string(max_columns) + " columns");
  std::set<std::string> names;
  int keys = 0;
  for (const auto& c : columns) {
    if (!names.insert(c.name).second)
      throw invalid(api_code::duplicate_column, "column '" + c.name + "' is given twice",
                    {{"column", c.name}});
    keys += c.primary_key;
  }
  if (keys > 1)
    throw invalid(api_code::invalid_primary_key, "at most one column can be the primary key");
  if (keys == 0 && names.count("id"))
    throw invalid(
        api_code::invalid_primary_key,
        "a table without a primary key gets 'id bigserial primary key': mark column 'id' as the "
        "primary key or rename it",
        {{"column", "id"}});
  std::string ddl = "CREATE TABLE public." + tx.quote_name(name) + " (";
  if (keys == 0) ddl += "id bigserial PRIMARY KEY";
  for (std::size_t i = 0; i < columns.size(); ++i)
    ddl += (i == 0 && keys ? "" : ", ") + column_ddl(tx, columns[i]);
  tx.exec0(ddl + ")");
  return require_table(tx, name);
}

table_info add_column(pqxx::transaction_base& tx, const std::string& table,
                      const column_spec& column) {
  auto t = require_table(tx, table);
  refuse_system(t, "altered");
  tx.exec0("ALTER TABLE public." + tx.quote_name(table) + " ADD COLUMN " + column_ddl(tx, column));
  return require_table(tx, table);
}

void drop_table(pqxx::transaction_base& tx, const std::string& name) {
  auto t = require_table(tx, name);
  refuse_system(t, "dropped");
  tx.exec0("DROP TABLE public." + tx.quote_name(name));
}

json to_json(const table_info& table) {
  json columns = json::array();
  for (const auto& c : table.columns)
    columns.push_back({{"name", c.name},
                       {"type", c.type_label},
                       {"nullable", c.nullable},
                       {"default", c.default_sql ? json(*c.default_sql) : json(nullptr)},
                       {"unique", c.unique},
                       {"primary_key", c.primary_key}});
  return {{"name", table.name},
          {"system", table.system},
          {"primary_key", table.primary_key ? json(*table.primary_key) : json(nullptr)},
          {"columns", std::move(columns)}};
}

}  // namespace paige::storage
