#include "actors/core/flow_exchange.hpp"

#include <set>

namespace paige::actors::flows {
namespace {

using json = nlohmann::json;

std::set<std::string> screen_ids(const json& flow_json) {
  std::set<std::string> out;
  const auto& screens = member_of(flow_json, "screens");
  if (screens.is_array())
    for (const auto& s : screens)
      if (member_of(s, "id").is_string()) out.insert(member_of(s, "id").get<std::string>());
  return out;
}

bool valid_param(const json& p) {
  if (!p.is_string()) return false;
  const auto& s = p.get_ref<const std::string&>();
  return s == "flow_token" || s == "screen" || (s.rfind("data.", 0) == 0 && s.size() > 5);
}

}  // namespace

std::vector<problem> check_data_sources(const json& sources, const json& flow_json,
                                        const std::string& at) {
  std::vector<problem> out;
  if (sources.is_null()) return out;
  if (!sources.is_object())
    return {{at,
             "data_sources maps screen ids to {\"next\"?, \"data\": {field: {\"sql\", "
             "\"params\"?, \"one\"?}}}"}};
  auto ids = screen_ids(flow_json);
  auto known = [&](const std::string& id) { return flow_json.is_null() || ids.count(id) > 0; };
  for (const auto& [screen, source] : sources.items()) {
    auto s_at = at + "/" + pointer_escape(screen);
    if (!known(screen)) out.push_back({s_at, "the Flow JSON has no screen '" + screen + "'"});
    if (!source.is_object()) {
      out.push_back({s_at, "a screen's source is {\"next\"?, \"data\"}"});
      continue;
    }
    for (const auto& [k, v] : source.items())
      if (k != "next" && k != "data")
        out.push_back({s_at + "/" + pointer_escape(k), "'" + k + "' is not a source property"});
    const auto& next = member_of(source, "next");
    if (!next.is_null() &&
        (!next.is_string() || (next != "SUCCESS" && !known(next.get<std::string>()))))
      out.push_back({s_at + "/next", "next is a screen of the flow, or SUCCESS"});
    const auto& data = member_of(source, "data");
    if (!data.is_null() && !data.is_object()) {
      out.push_back({s_at + "/data", "data maps fields to {\"sql\", \"params\"?, \"one\"?}"});
      continue;
    }
    if (!data.is_object()) continue;
    for (const auto& [field, q] : data.items()) {
      auto q_at = s_at + "/data/" + pointer_escape(field);
      const auto& sql = member_of(q, "sql");
      if (!sql.is_string() || sql.get<std::string>().empty() ||
          sql.get<std::string>().size() > max_source_sql)
        out.push_back({q_at + "/sql", "sql is a statement of at most " +
                                          std::to_string(max_source_sql) + " characters"});
      const auto& params = member_of(q, "params");
      if (!params.is_null() && !params.is_array())
        out.push_back({q_at + "/params", "params lists data.<name>, flow_token or screen"});
      for (std::size_t i = 0; params.is_array() && i < params.size(); ++i)
        if (!valid_param(params[i]))
          out.push_back({q_at + "/params/" + std::to_string(i),
                         "a parameter is data.<name>, flow_token or screen"});
      if (!member_of(q, "one").is_null() && !member_of(q, "one").is_boolean())
        out.push_back({q_at + "/one", "one is true or false"});
    }
  }
  return out;
}

std::string next_screen(const json& flow_json, const json& sources, const std::string& action,
                        const std::string& screen) {
  const auto& screens = member_of(flow_json, "screens");
  if (action == "INIT" || screen.empty()) {
    if (screens.is_array() && !screens.empty() && member_of(screens[0], "id").is_string())
      return screens[0]["id"].get<std::string>();
    return screen;
  }
  if (action == "BACK") return screen;
  const auto& next = member_of(member_of(sources, screen.c_str()), "next");
  if (next.is_string()) return next.get<std::string>();
  const auto& routes = member_of(member_of(flow_json, "routing_model"), screen.c_str());
  if (routes.is_array() && routes.size() == 1 && routes[0].is_string())
    return routes[0].get<std::string>();
  return screen;
}

std::vector<data_query> queries_for(const json& sources, const std::string& screen,
                                    const json& request) {
  std::vector<data_query> out;
  const auto& data = member_of(member_of(sources, screen.c_str()), "data");
  if (!data.is_object()) return out;
  for (const auto& [field, q] : data.items()) {
    if (!member_of(q, "sql").is_string()) continue;
    data_query query{field, q["sql"].get<std::string>(), json::array(),
                     member_of(q, "one") == true};
    const auto& params = member_of(q, "params");
    if (params.is_array())
      for (const auto& p : params) {
        auto name = p.is_string() ? p.get<std::string>() : std::string{};
        json value;
        if (name == "flow_token" || name == "screen")
          value = member_of(request, name.c_str());
        else if (name.rfind("data.", 0) == 0)
          value = member_of(member_of(request, "data"), name.substr(5).c_str());
        // Objects and lists go as JSON text (a jsonb parameter), scalars as they are.
        query.params.push_back(value.is_structured() ? json(value.dump()) : value);
      }
    out.push_back(std::move(query));
  }
  return out;
}

json value_of_rows(const json& result, bool one) {
  const auto& columns = member_of(result, "columns");
  const auto& rows = member_of(result, "rows");
  json out = json::array();
  if (!columns.is_array() || !rows.is_array()) return one ? json(nullptr) : out;
  for (const auto& r : rows) {
    json row = json::object();
    for (std::size_t i = 0; i < columns.size() && r.is_array() && i < r.size(); ++i)
      if (columns[i].is_string()) row[columns[i].get<std::string>()] = r[i];
    if (one) return row;
    out.push_back(std::move(row));
  }
  return one ? json(nullptr) : out;
}

}  // namespace paige::actors::flows
