/// @file
/// @brief What a flow's data-exchange endpoint answers (spec/meta-cloud-api.md §9.4,
/// docs/flows.md): the screen a request leads to, and that screen's data from the flow's
/// declarative sources (SQL over the project's database, the request's values bound as
/// parameters). Pure logic: the queries run elsewhere.
///
/// A flow's `data_sources`: {"<SCREEN>": {"next"?: "<SCREEN>" | "SUCCESS", "data": {"<field>":
/// {"sql": "...", "params"?: ["data.<name>" | "flow_token" | "screen"], "one"?: bool}}}}.
#pragma once

#include "actors/core/outbound_rules.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace paige::actors::flows {

/// Longest SQL text of one source.
inline constexpr std::size_t max_source_sql = 10000;

/// Problems of `sources` (pointers below `at`); with a Flow JSON (not null), every screen named
/// is one of its screens.
std::vector<problem> check_data_sources(const nlohmann::json& sources,
                                        const nlohmann::json& flow_json, const std::string& at);

/// The screen a request leads to: INIT the flow's first screen; BACK the screen it came from;
/// data_exchange the source's `next`, else the screen's only route in the routing model, else
/// the same screen. "SUCCESS" ends the flow.
std::string next_screen(const nlohmann::json& flow_json, const nlohmann::json& sources,
                        const std::string& action, const std::string& screen);

/// One query filling one field of a screen's data.
struct data_query {
  std::string field;
  std::string sql;
  nlohmann::json params = nlohmann::json::array();  ///< bound values, in order
  bool one = false;  ///< the first row as an object (else every row, a list of objects)
};

/// The queries of `screen`'s data, their parameters bound from the decrypted request.
std::vector<data_query> queries_for(const nlohmann::json& sources, const std::string& screen,
                                    const nlohmann::json& request);

/// A query's result (`{"columns", "rows"}`) as the field's value: a list of objects, or the
/// first row as an object (null without rows) when `one`.
nlohmann::json value_of_rows(const nlohmann::json& result, bool one);

}  // namespace paige::actors::flows
