#include "api/database_routes.hpp"

#include "actors/db_pool.hpp"
#include "actors/project_types.hpp"
#include "api/actor_call.hpp"
#include "api/json_body.hpp"
#include "api/route_guard.hpp"
#include "storage/backend_watchdog.hpp"
#include "storage/sql_console.hpp"
#include "storage/table_errors.hpp"
#include "storage/table_rows.hpp"
#include "storage/table_schema.hpp"

#include <pqxx/pqxx>

namespace paige::api {
namespace {

using json = nlohmann::json;

/// What a job answers: a status and a JSON body (null: no body).
using outcome = std::pair<unsigned, json>;
using tx_body = std::function<outcome(pqxx::work&)>;

constexpr std::size_t max_sql_params = 100;

unsigned status_of(storage::failure_kind kind) {
  switch (kind) {
    case storage::failure_kind::not_found:
      return 404;
    case storage::failure_kind::conflict:
      return 409;
    case storage::failure_kind::forbidden:
      return 403;
    case storage::failure_kind::quota:
      return 507;
    case storage::failure_kind::invalid:
      break;
  }
  return 422;
}

http_response response_of(const storage::table_error& e) {
  return http_response::error(status_of(e.kind), e.code, e.what(), e.details);
}

caf::message message_of(const http_response& r) { return caf::make_message(r.status, r.body); }

/// How a job of the table endpoints runs.
struct job_rules {
  std::chrono::milliseconds timeout;
  storage::backend_watchdog* watchdog = nullptr;
  std::int64_t quota_bytes = 0;  ///< a write that grows the database past this is undone
};

std::int64_t database_size(pqxx::work& tx) {
  return tx.exec1("SELECT pg_database_size(current_database())")[0].as<std::int64_t>();
}

/// `body` in a transaction of the project's role with the API's timeouts, watched from
/// outside past them (a user's trigger or default may catch its own cancellation). With a
/// quota, a write that leaves the database over it is rolled back: 507 quota_exceeded.
actors::db_job job_of(tx_body body, job_rules rules) {
  return [body = std::move(body), rules](pqxx::connection& conn) -> caf::message {
    auto ms = std::to_string(rules.timeout.count());
    storage::backend_watchdog::watch watch{
        rules.watchdog, conn.backendpid(),
        storage::backend_watchdog::clock::now() + rules.timeout + std::chrono::milliseconds{250},
        "database_api"};
    try {
      pqxx::work tx{conn};
      tx.exec0("SET LOCAL statement_timeout = " + ms + "; SET LOCAL lock_timeout = " + ms +
               "; SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO'");
      auto before = rules.quota_bytes > 0 ? database_size(tx) : 0;
      auto [status, out] = body(tx);
      if (rules.quota_bytes > 0) {
        auto after = database_size(tx);
        if (after > rules.quota_bytes && after > before)
          throw storage::table_error{storage::failure_kind::quota,
                                     "quota_exceeded",
                                     "the project's database would hold " + std::to_string(after) +
                                         " bytes, over its quota of " +
                                         std::to_string(rules.quota_bytes) +
                                         " (settings.database_quota_mb): nothing was changed",
                                     {{"quota_bytes", rules.quota_bytes}, {"size_bytes", after}}};
      }
      tx.commit();
      http_response r;
      r.status = status;
      if (!out.is_null()) r = http_response::json(status, out);
      return message_of(r);
    } catch (const storage::table_error& e) {
      return message_of(response_of(e));
    } catch (const pqxx::broken_connection&) {
      if (watch.fired() == storage::backend_watchdog::action::none) throw;
      return message_of(http_response::error(
          422, "statement_timeout", "the request ran past its " + ms + " ms and was stopped"));
    } catch (const pqxx::sql_error& e) {
      auto mapped = storage::classify(e);
      if (!mapped) throw;
      return message_of(response_of(*mapped));
    }
  };
}

std::string table_param(const http_request& req) { return std::string{req.param("table")}; }

/// A JSON object body, or the 400/422 to answer.
std::variant<json, http_response> object_body(const http_request& req, std::size_t depth,
                                              const char* what) {
  auto parsed = parse_json(req.body, depth);
  if (auto* err = std::get_if<http_response>(&parsed)) return std::move(*err);
  auto& body = std::get<json>(parsed);
  if (!body.is_object())
    return http_response::error(422, "invalid_body", std::string{"the body must be "} + what);
  return std::move(body);
}

}  // namespace

void add_database_routes(router& routes, project_routes_context ctx) {
  auto& sys = *ctx.sys;
  auto dir = ctx.directory;
  // The job's own statement timeout fires first; this bounds connecting and queueing.
  auto timeout = ctx.timeout + ctx.sql_timeout;
  auto sql_timeout = ctx.sql_timeout;
  auto depth = ctx.max_json_depth;
  auto row_cap = ctx.sql_row_cap;
  auto byte_cap = ctx.sql_max_bytes;
  auto watchdog = ctx.watchdog;

  auto run = [&sys, dir, timeout](const http_request& req, const responder& respond,
                                  actors::database_request job) {
    ask(
        sys, dir, timeout,
        [respond](unsigned status, std::string& body) {
          http_response r;
          r.status = status;
          r.body = std::move(body);
          respond(std::move(r));
        },
        fail_with(respond), actors::database_atom::value, std::string{req.param("project_id")},
        std::move(job));
  };
  // Runs `body` on the project's database and answers with its outcome; `writes`: under the
  // project's quota.
  auto run_body = [run, sql_timeout, watchdog](const http_request& req, const responder& respond,
                                               tx_body body, bool writes) {
    run(req, respond,
        [body = std::move(body), sql_timeout, watchdog,
         writes](const actors::database_limits& limits) {
          return actors::any_db_job{
              job_of(body, {sql_timeout, watchdog, writes ? limits.quota_bytes : 0})};
        });
  };
  auto handle = [run_body](const http_request& req, const responder& respond, tx_body body) {
    run_body(req, respond, std::move(body), false);
  };
  auto write = [run_body](const http_request& req, const responder& respond, tx_body body) {
    run_body(req, respond, std::move(body), true);
  };
  auto own = [&ctx](handler h) { return guarded(*ctx.auth, access::own_project, std::move(h)); };
  // Checks of a request that throw table_error answer before any database work.
  auto checked = [](const responder& respond, const std::function<void()>& f) {
    try {
      f();
    } catch (const storage::table_error& e) {
      respond(response_of(e));
    }
  };

  routes.add("GET", "/v1/projects/{project_id}/tables",
             own([handle](http_request&& req, responder respond) {
               handle(req, respond, [](pqxx::work& tx) {
                 json items = json::array();
                 for (const auto& t : storage::list_tables(tx))
                   items.push_back(storage::to_json(t));
                 return outcome{200, {{"items", std::move(items)}}};
               });
             }));

  routes.add(
      "POST", "/v1/projects/{project_id}/tables",
      own([write, depth, checked](http_request&& req, responder respond) {
        auto parsed = parse_json_object(req.body, depth, {"name", "columns"});
        if (auto* err = std::get_if<http_response>(&parsed)) return respond(std::move(*err));
        auto& body = std::get<json>(parsed);
        checked(respond, [&] {
          if (!body.contains("name") || !body["name"].is_string())
            throw storage::table_error{storage::failure_kind::invalid,
                                       "invalid_name",
                                       "\"name\" must be a string",
                                       {{"field", "name"}}};
          auto columns_json = body.value("columns", json::array());
          if (!columns_json.is_array())
            throw storage::table_error{storage::failure_kind::invalid,
                                       "invalid_columns",
                                       "\"columns\" must be an array",
                                       {{"field", "columns"}}};
          std::vector<storage::column_spec> columns;
          for (const auto& c : columns_json) columns.push_back(storage::parse_column_spec(c));
          write(req, respond, [name = body["name"].get<std::string>(), columns](pqxx::work& tx) {
            return outcome{201, storage::to_json(storage::create_table(tx, name, columns))};
          });
        });
      }));

  routes.add("GET", "/v1/projects/{project_id}/tables/{table}",
             own([handle](http_request&& req, responder respond) {
               handle(req, respond, [name = table_param(req)](pqxx::work& tx) {
                 return outcome{200, storage::to_json(storage::require_table(tx, name))};
               });
             }));

  routes.add("DELETE", "/v1/projects/{project_id}/tables/{table}",
             own([handle](http_request&& req, responder respond) {
               handle(req, respond, [name = table_param(req)](pqxx::work& tx) {
                 storage::drop_table(tx, name);
                 return outcome{204, nullptr};
               });
             }));

  routes.add("POST", "/v1/projects/{project_id}/tables/{table}/columns",
             own([write, depth, checked](http_request&& req, responder respond) {
               auto body = object_body(req, depth, "a column object");
               if (auto* err = std::get_if<http_response>(&body)) return respond(std::move(*err));
               checked(respond, [&] {
                 auto column = storage::parse_column_spec(std::get<json>(body));
                 write(req, respond, [name = table_param(req), column](pqxx::work& tx) {
                   return outcome{201, storage::to_json(storage::add_column(tx, name, column))};
                 });
               });
             }));

  routes.add(
      "GET", "/v1/projects/{project_id}/tables/{table}/rows",
      own([handle](http_request&& req, responder respond) {
        auto limit = parse_limit(req, 50, 1000);
        if (auto* err = std::get_if<http_response>(&limit)) return respond(std::move(*err));
        storage::browse_request browse;
        browse.limit = std::get<int>(limit);
        browse.order_by = std::string{req.query_param("order_by").value_or("")};
        auto desc = req.query_param("desc").value_or("false");
        if (desc != "true" && desc != "false" && desc != "1" && desc != "0")
          return respond(http_response::error(422, "invalid_desc", "desc must be true or false"));
        browse.desc = desc == "true" || desc == "1";
        browse.cursor = std::string{req.query_param("cursor").value_or("")};
        for (const auto& [key, value] : req.query)
          if (key.rfind("where.", 0) == 0) browse.equals.emplace_back(key.substr(6), value);
        handle(req, respond, [name = table_param(req), browse](pqxx::work& tx) {
          return outcome{200, storage::browse_rows(tx, storage::require_table(tx, name), browse)};
        });
      }));

  routes.add("POST", "/v1/projects/{project_id}/tables/{table}/rows",
             own([write, depth](http_request&& req, responder respond) {
               auto body = object_body(req, depth, "a row object {column: value}");
               if (auto* err = std::get_if<http_response>(&body)) return respond(std::move(*err));
               write(req, respond,
                     [name = table_param(req), values = std::get<json>(body)](pqxx::work& tx) {
                       return outcome{
                           201, storage::insert_row(tx, storage::require_table(tx, name), values)};
                     });
             }));

  routes.add("DELETE", "/v1/projects/{project_id}/tables/{table}/rows",
             own([handle](http_request&& req, responder respond) {
               handle(req, respond, [name = table_param(req)](pqxx::work& tx) {
                 storage::clear_table(tx, storage::require_table(tx, name));
                 return outcome{204, nullptr};
               });
             }));

  routes.add("PATCH", "/v1/projects/{project_id}/tables/{table}/rows/{key}",
             own([write, depth](http_request&& req, responder respond) {
               auto body = object_body(req, depth, "a row object {column: value}");
               if (auto* err = std::get_if<http_response>(&body)) return respond(std::move(*err));
               write(req, respond,
                     [name = table_param(req), key = std::string{req.param("key")},
                      values = std::get<json>(body)](pqxx::work& tx) {
                       return outcome{200, storage::update_row(tx, storage::require_table(tx, name),
                                                               key, values)};
                     });
             }));

  routes.add("DELETE", "/v1/projects/{project_id}/tables/{table}/rows/{key}",
             own([handle](http_request&& req, responder respond) {
               handle(
                   req, respond,
                   [name = table_param(req), key = std::string{req.param("key")}](pqxx::work& tx) {
                     storage::delete_row(tx, storage::require_table(tx, name), key);
                     return outcome{204, nullptr};
                   });
             }));

  routes.add(
      "POST", "/v1/projects/{project_id}/sql",
      own([run, depth, sql_timeout, row_cap, byte_cap, watchdog](http_request&& req,
                                                                 responder respond) {
        auto parsed = parse_json_object(req.body, depth, {"query", "params"});
        if (auto* err = std::get_if<http_response>(&parsed)) return respond(std::move(*err));
        auto& body = std::get<json>(parsed);
        if (!body.contains("query") || !body["query"].is_string() ||
            body["query"].get<std::string>().empty())
          return respond(
              http_response::error(422, "invalid_query", "\"query\" must be a non-empty string"));
        auto params = body.value("params", json::array());
        if (!params.is_array() || params.size() > max_sql_params)
          return respond(http_response::error(422, "invalid_params",
                                              "\"params\" must be an array of at most " +
                                                  std::to_string(max_sql_params) + " values"));
        auto query = body["query"].get<std::string>();
        run(req, respond,
            [query, params, row_cap, byte_cap, sql_timeout,
             watchdog](const actors::database_limits& limits) {
              storage::sql_limits sql{row_cap, byte_cap, sql_timeout, limits.quota_bytes};
              return actors::any_db_job{actors::session_job{
                  [query, params, sql, watchdog](const std::string& conninfo) -> caf::message {
                    try {
                      return message_of(http_response::json(
                          200, storage::run_sql(conninfo, query, params, sql, watchdog)));
                    } catch (const storage::table_error& e) {
                      return message_of(response_of(e));
                    }
                  }}};
            });
      }));
}

}  // namespace paige::api
