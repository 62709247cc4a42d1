#include "actors/bot_fetches.hpp"

#include "actors/conversation_actor.hpp"
#include "actors/core/bot_requests.hpp"
#include "actors/core/flow_exchange.hpp"
#include "actors/errors.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

namespace paige::actors {

using json = nlohmann::json;

db_job bot_query_job(const bot::fetch_request& fetch, storage::backend_watchdog* watchdog) {
  storage::database_rules rules;
  rules.timeout = fetch.timeout;
  rules.watchdog = watchdog;
  storage::table_request request{storage::read_query_request{
      fetch.sql, json(fetch.params), bot::max_query_rows, bot::max_query_bytes}};
  return [request = std::move(request), rules](pqxx::connection& c) {
    return caf::make_message(storage::run_table_request(c, request, rules));
  };
}

std::chrono::milliseconds bot_query_deadline(const bot::fetch_request& fetch) {
  return bot_query_wait + fetch.timeout + std::chrono::seconds{5};
}

std::chrono::milliseconds bot_request_deadline(const bot::fetch_request& fetch) {
  return fetch.timeout + std::chrono::seconds{15};
}

bot::fetch_result query_rows(storage::database_outcome& outcome) {
  if (auto* refused = std::get_if<storage::table_error>(&outcome))
    return {false, json::array(), refused->what()};
  auto result = json::parse(std::get<storage::database_result>(outcome).body_json, nullptr, false);
  return {true, flows::value_of_rows(result, false), ""};
}

bot::fetch_result query_failed(const caf::error& err) {
  auto state = sqlstate_of(err);
  return {false, json::array(),
          state.empty() ? reason_of(err) : "the query failed (SQLSTATE " + state + ")"};
}

bot::fetch_result request_answer(const bot_reply& reply) {
  if (reply.status == 0)
    return {false, json::array(), reply.timed_out ? "no answer in time" : reply.error};
  if (reply.body.size() > bot::max_request_answer_bytes)
    return {false, json::array(),
            "the answer has more than " + std::to_string(bot::max_request_answer_bytes) + " bytes"};
  return {true, bot::answer_of(reply.status, reply.body), ""};
}

}  // namespace paige::actors
