#include "storage/database_requests.hpp"

#include "storage/backend_watchdog.hpp"
#include "storage/sql_console.hpp"

#include <pqxx/pqxx>

namespace paige::storage {
namespace {

using json = nlohmann::json;

std::int64_t database_size(pqxx::work& tx) {
  return tx.exec1("SELECT pg_database_size(current_database())")[0].as<std::int64_t>();
}

std::string text_of(const json& body) {
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}
database_result found(const json& body) { return {database_result::kind::found, text_of(body)}; }
database_result created(const json& body) {
  return {database_result::kind::created, text_of(body)};
}
database_result done() { return {database_result::kind::done, ""}; }

/// One request in `tx`; `writes` tells whether it counts against the quota.
struct table_runner {
  pqxx::work& tx;
  database_result operator()(const read_query_request& r) {
    tx.exec0("SET LOCAL transaction_read_only = on");
    std::vector<std::string> params;
    for (const auto& p : r.params)
      params.push_back(p.is_string() ? p.get<std::string>() : p.is_null() ? "" : p.dump());
    auto result = tx.exec_params(r.query, pqxx::prepare::make_dynamic_params(params));
    json columns = json::array(), rows = json::array();
    for (pqxx::row::size_type c = 0; c < result.columns(); ++c)
      columns.push_back(result.column_name(c));
    std::size_t bytes = 0;
    for (const auto& row : result) {
      if (rows.size() == r.row_cap) break;
      for (const auto& f : row) bytes += f.size();
      if (bytes > r.byte_cap) break;
      json out = json::array();
      for (const auto& f : row)
        out.push_back(
            field_to_json(static_cast<unsigned>(f.type()), f.is_null() ? nullptr : f.c_str()));
      rows.push_back(std::move(out));
    }
    return found({{"columns", std::move(columns)}, {"rows", std::move(rows)}});
  }
  database_result operator()(const list_tables_request&) {
    json items = json::array();
    for (const auto& t : list_tables(tx)) items.push_back(to_json(t));
    return found({{"items", std::move(items)}});
  }
  database_result operator()(const create_table_request& r) {
    return created(to_json(create_table(tx, r.name, r.columns)));
  }
  database_result operator()(const describe_table_request& r) {
    return found(to_json(require_table(tx, r.table)));
  }
  database_result operator()(const drop_table_request& r) {
    drop_table(tx, r.table);
    return done();
  }
  database_result operator()(const add_column_request& r) {
    return created(to_json(add_column(tx, r.table, r.column)));
  }
  database_result operator()(const browse_rows_request& r) {
    return found(browse_rows(tx, require_table(tx, r.table), r.browse));
  }
  database_result operator()(const insert_row_request& r) {
    return created(insert_row(tx, require_table(tx, r.table), r.values));
  }
  database_result operator()(const clear_rows_request& r) {
    clear_table(tx, require_table(tx, r.table));
    return done();
  }
  database_result operator()(const update_row_request& r) {
    return found(update_row(tx, require_table(tx, r.table), r.key, r.values));
  }
  database_result operator()(const delete_row_request& r) {
    delete_row(tx, require_table(tx, r.table), r.key);
    return done();
  }
};

/// The requests that may grow the database (deleting never counts against the quota).
bool writes(const table_request& r) {
  return std::holds_alternative<create_table_request>(r) ||
         std::holds_alternative<add_column_request>(r) ||
         std::holds_alternative<insert_row_request>(r) ||
         std::holds_alternative<update_row_request>(r);
}

}  // namespace

database_outcome run_table_request(pqxx::connection_base& conn, const table_request& request,
                                   const database_rules& rules) {
  auto ms = std::to_string(rules.timeout.count());
  backend_watchdog::watch watch{
      rules.watchdog, conn.backendpid(),
      backend_watchdog::clock::now() + rules.timeout + std::chrono::milliseconds{250},
      "database_api"};
  auto quota = writes(request) ? rules.quota_bytes : 0;
  try {
    pqxx::work tx{conn};
    tx.exec0("SET LOCAL statement_timeout = " + ms + "; SET LOCAL lock_timeout = " + ms +
             "; SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO'");
    auto before = quota > 0 ? database_size(tx) : 0;
    auto result = std::visit(table_runner{tx}, request);
    if (quota > 0) {
      auto after = database_size(tx);
      if (after > quota && after > before)
        return table_error{api_code::quota_exceeded,
                           "the project's database would hold " + std::to_string(after) +
                               " bytes, over its quota of " + std::to_string(quota) +
                               " (settings.database_quota_mb): nothing was changed",
                           {{"quota_bytes", quota}, {"size_bytes", after}}};
    }
    tx.commit();
    return result;
  } catch (const table_error& e) {
    return e;
  } catch (const pqxx::broken_connection&) {
    if (watch.fired() == backend_watchdog::action::none) throw;
    return table_error{api_code::statement_timeout,
                       "the request ran past its " + ms + " ms and was stopped", nullptr};
  } catch (const pqxx::sql_error& e) {
    auto mapped = classify(e);
    if (!mapped) throw;
    return *mapped;
  }
}

database_outcome run_sql_request(const std::string& conninfo, const sql_request& request,
                                 const database_rules& rules) {
  try {
    return found(run_sql(conninfo, request.query, request.params,
                         {rules.row_cap, rules.byte_cap, rules.timeout, rules.quota_bytes},
                         rules.watchdog));
  } catch (const table_error& e) {
    return e;
  }
}

}  // namespace paige::storage
