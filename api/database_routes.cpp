#include "api/database_routes.hpp"

#include "actors/project_types.hpp"
#include "api/actor_call.hpp"
#include "api/json_body.hpp"
#include "api/route_guard.hpp"
#include "storage/database_requests.hpp"

namespace paige::api {
namespace {

using json = nlohmann::json;

constexpr std::size_t max_sql_params = 100;

http_response response_of(const storage::table_error& e) {
  if (e.details.is_null()) return http_response::error(e.api, e.what());
  return http_response::error(e.api, e.what(), e.details);
}

http_response response_of(storage::database_result& r) {
  http_response out;
  out.status = r.what == storage::database_result::kind::created ? 201
               : r.what == storage::database_result::kind::done  ? 204
                                                                 : 200;
  out.body = std::move(r.body_json);
  return out;
}

std::string table_param(const http_request& req) { return std::string{req.param("table")}; }

/// A JSON object body, or the 400/422 to answer.
std::variant<json, http_response> object_body(const http_request& req, std::size_t depth,
                                              const char* what) {
  auto parsed = parse_json(req.body, depth);
  if (auto* err = std::get_if<http_response>(&parsed)) return std::move(*err);
  auto& body = std::get<json>(parsed);
  if (!body.is_object())
    return http_response::error(api_code::invalid_body, std::string{"the body must be "} + what);
  return std::move(body);
}

}  // namespace

void add_database_routes(router& routes, project_routes_context ctx) {
  auto& sys = *ctx.sys;
  auto dir = ctx.directory;
  // The job's own statement timeout fires first; this bounds connecting and queueing.
  auto timeout = ctx.timeout + ctx.sql_timeout;
  auto depth = ctx.max_json_depth;
  storage::database_rules rules{ctx.sql_timeout, ctx.watchdog, ctx.sql_row_cap, ctx.sql_max_bytes};

  // Runs `request` on the project's database as its role and answers with its outcome.
  auto run = [&sys, dir, timeout, rules](const http_request& req, const responder& respond,
                                         storage::database_request request) {
    ask(
        sys, dir, timeout,
        [respond](storage::database_outcome& outcome) {
          std::visit([&](auto& o) { respond(response_of(o)); }, outcome);
        },
        fail_with(respond), actors::database_atom::value, std::string{req.param("project_id")},
        std::move(request), rules);
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
             own([run](http_request&& req, responder respond) {
               run(req, respond, storage::list_tables_request{});
             }));

  routes.add(
      "POST", "/v1/projects/{project_id}/tables",
      own([run, depth, checked](http_request&& req, responder respond) {
        auto parsed = parse_json_object(req.body, depth, {"name", "columns"});
        if (auto* err = std::get_if<http_response>(&parsed)) return respond(std::move(*err));
        auto& body = std::get<json>(parsed);
        checked(respond, [&] {
          if (!body.contains("name") || !body["name"].is_string())
            throw storage::invalid(api_code::invalid_name, "\"name\" must be a string",
                                   {{"field", "name"}});
          auto columns_json = body.value("columns", json::array());
          if (!columns_json.is_array())
            throw storage::invalid(api_code::invalid_columns, "\"columns\" must be an array",
                                   {{"field", "columns"}});
          std::vector<storage::column_spec> columns;
          for (const auto& c : columns_json) columns.push_back(storage::parse_column_spec(c));
          run(req, respond,
              storage::create_table_request{body["name"].get<std::string>(), std::move(columns)});
        });
      }));

  routes.add("GET", "/v1/projects/{project_id}/tables/{table}",
             own([run](http_request&& req, responder respond) {
               run(req, respond, storage::describe_table_request{table_param(req)});
             }));

  routes.add("DELETE", "/v1/projects/{project_id}/tables/{table}",
             own([run](http_request&& req, responder respond) {
               run(req, respond, storage::drop_table_request{table_param(req)});
             }));

  routes.add("POST", "/v1/projects/{project_id}/tables/{table}/columns",
             own([run, depth, checked](http_request&& req, responder respond) {
               auto body = object_body(req, depth, "a column object");
               if (auto* err = std::get_if<http_response>(&body)) return respond(std::move(*err));
               checked(respond, [&] {
                 auto column = storage::parse_column_spec(std::get<json>(body));
                 run(req, respond, storage::add_column_request{table_param(req), column});
               });
             }));

  routes.add("GET", "/v1/projects/{project_id}/tables/{table}/rows",
             own([run](http_request&& req, responder respond) {
               auto limit = parse_limit(req, 50, 1000);
               if (auto* err = std::get_if<http_response>(&limit)) return respond(std::move(*err));
               storage::browse_request browse;
               browse.limit = std::get<int>(limit);
               browse.order_by = std::string{req.query_param("order_by").value_or("")};
               auto desc = req.query_param("desc").value_or("false");
               if (desc != "true" && desc != "false" && desc != "1" && desc != "0")
                 return respond(
                     http_response::error(api_code::invalid_desc, "desc must be true or false"));
               browse.desc = desc == "true" || desc == "1";
               browse.cursor = std::string{req.query_param("cursor").value_or("")};
               for (const auto& [key, value] : req.query)
                 if (key.rfind("where.", 0) == 0) browse.equals.emplace_back(key.substr(6), value);
               run(req, respond, storage::browse_rows_request{table_param(req), std::move(browse)});
             }));

  routes.add("POST", "/v1/projects/{project_id}/tables/{table}/rows",
             own([run, depth](http_request&& req, responder respond) {
               auto body = object_body(req, depth, "a row object {column: value}");
               if (auto* err = std::get_if<http_response>(&body)) return respond(std::move(*err));
               run(req, respond,
                   storage::insert_row_request{table_param(req), std::move(std::get<json>(body))});
             }));

  routes.add("DELETE", "/v1/projects/{project_id}/tables/{table}/rows",
             own([run](http_request&& req, responder respond) {
               run(req, respond, storage::clear_rows_request{table_param(req)});
             }));

  routes.add("PATCH", "/v1/projects/{project_id}/tables/{table}/rows/{key}",
             own([run, depth](http_request&& req, responder respond) {
               auto body = object_body(req, depth, "a row object {column: value}");
               if (auto* err = std::get_if<http_response>(&body)) return respond(std::move(*err));
               run(req, respond,
                   storage::update_row_request{table_param(req), std::string{req.param("key")},
                                               std::move(std::get<json>(body))});
             }));

  routes.add("DELETE", "/v1/projects/{project_id}/tables/{table}/rows/{key}",
             own([run](http_request&& req, responder respond) {
               run(req, respond,
                   storage::delete_row_request{table_param(req), std::string{req.param("key")}});
             }));

  routes.add("POST", "/v1/projects/{project_id}/sql",
             own([run, depth](http_request&& req, responder respond) {
               auto parsed = parse_json_object(req.body, depth, {"query", "params"});
               if (auto* err = std::get_if<http_response>(&parsed)) return respond(std::move(*err));
               auto& body = std::get<json>(parsed);
               if (!body.contains("query") || !body["query"].is_string() ||
                   body["query"].get<std::string>().empty())
                 return respond(http_response::error(api_code::invalid_query,
                                                     "\"query\" must be a non-empty string"));
               auto params = body.value("params", json::array());
               if (!params.is_array() || params.size() > max_sql_params)
                 return respond(http_response::error(
                     api_code::invalid_params, "\"params\" must be an array of at most " +
                                                   std::to_string(max_sql_params) + " values"));
               run(req, respond, storage::sql_request{body["query"].get<std::string>(), params});
             }));
}

}  // namespace paige::api
