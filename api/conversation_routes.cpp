#include "api/conversation_routes.hpp"

#include "actors/conversation_actor.hpp"
#include "actors/core/outbound_rules.hpp"
#include "actors/project_types.hpp"
#include "api/actor_call.hpp"
#include "api/json_body.hpp"
#include "api/route_guard.hpp"
#include "storage/conversation_queries.hpp"

namespace paige::api {
namespace {

using json = nlohmann::json;

std::optional<std::int64_t> id_param(const http_request& req, std::string_view name) {
  return parse_id(req.param(name));
}

/// limit and cursor of a list request, or the 422 to answer.
std::variant<storage::page_request, http_response> page_of(const http_request& req) {
  auto limit = parse_limit(req, 50, 200);
  if (auto* err = std::get_if<http_response>(&limit)) return std::move(*err);
  auto cursor = cursor_of(req);
  if (auto* err = std::get_if<http_response>(&cursor)) return std::move(*err);
  return storage::page_request{std::get<int>(limit), std::get<std::int64_t>(cursor)};
}

/// Longest `search` of the contacts and conversations lists: a name or a number, never more
/// (a pattern is matched against every contact's name).
constexpr std::size_t max_search_chars = 256;

/// The `search` of a list request ("" without one), or the 422 to answer.
std::variant<std::string, http_response> search_of(const http_request& req) {
  std::string search{req.query_param("search").value_or("")};
  if (actors::char_count(search) > max_search_chars)
    return http_response::error(
        api_code::invalid_search,
        "search has at most " + std::to_string(max_search_chars) + " characters");
  return search;
}

/// How a route answers with what its read found.
using format = std::string (*)(storage::read_result&);

std::string page_json(storage::read_result& r) {
  return json{{"items", json::parse(r.json)},
              {"next_cursor", r.next_before ? json(encode_cursor(r.next_before)) : json(nullptr)}}
      .dump();
}
std::string document_json(storage::read_result& r) { return std::move(r.json); }
std::string items_json(storage::read_result& r) {
  return json{{"items", json::parse(r.json)}}.dump();
}

}  // namespace

void add_conversation_routes(router& routes, project_routes_context ctx) {
  auto& sys = *ctx.sys;
  auto dir = ctx.directory;
  auto timeout = ctx.timeout;

  // Runs `what` in the project's database; what it does not find answers 404 with `missing`.
  auto read = [&sys, dir, timeout](const http_request& req, responder respond,
                                   storage::project_read what, format answer, api_code missing_code,
                                   std::string missing_message) {
    ask(
        sys, dir, timeout,
        [respond, answer, missing_code, missing_message](storage::read_result& found) {
          if (!found.found) return respond(http_response::error(missing_code, missing_message));
          http_response r;
          r.body = answer(found);
          respond(std::move(r));
        },
        fail_with(respond), actors::query_atom::value, std::string{req.param("project_id")},
        std::move(what));
  };
  auto own = [&ctx](handler h) { return guarded(*ctx.auth, access::own_project, std::move(h)); };

  routes.add("GET", "/v1/projects/{project_id}/contacts",
             own([read](http_request&& req, responder respond) {
               auto page = page_of(req);
               if (auto* err = std::get_if<http_response>(&page)) return respond(std::move(*err));
               auto search = search_of(req);
               if (auto* err = std::get_if<http_response>(&search)) return respond(std::move(*err));
               read(req, respond,
                    storage::contacts_read{std::move(std::get<std::string>(search)),
                                           std::get<storage::page_request>(page)},
                    page_json, api_code::not_found, "");
             }));

  routes.add(
      "GET", "/v1/projects/{project_id}/contacts/{contact_id}",
      own([read](http_request&& req, responder respond) {
        auto id = id_param(req, "contact_id");
        if (!id)
          return respond(http_response::error(api_code::contact_not_found, "no such contact"));
        read(req, respond, storage::contact_read{*id}, document_json, api_code::contact_not_found,
             "no contact " + std::to_string(*id));
      }));

  // Opting out of marketing (broadcasts and marketing templates skip the contact), or in again.
  routes.add(
      "PATCH", "/v1/projects/{project_id}/contacts/{contact_id}",
      own([&sys, dir, timeout, depth = ctx.max_json_depth](http_request&& req, responder respond) {
        auto id = id_param(req, "contact_id");
        if (!id)
          return respond(http_response::error(api_code::contact_not_found, "no such contact"));
        auto parsed = parse_json_object(req.body, depth, {"opted_out"});
        if (auto* err = std::get_if<http_response>(&parsed)) return respond(std::move(*err));
        const auto& body = std::get<nlohmann::json>(parsed);
        if (!body.contains("opted_out") || !body["opted_out"].is_boolean())
          return respond(http_response::error(api_code::invalid_body, "opted_out is true or false",
                                              {{"field", "opted_out"}}));
        ask(
            sys, dir, timeout,
            [respond](std::string& contact) {
              http_response r;
              r.body = std::move(contact);
              respond(std::move(r));
            },
            fail_with(respond), actors::contact_opt_out_atom::value,
            std::string{req.param("project_id")}, *id, body["opted_out"].get<bool>());
      }));

  // A contact's conversations or messages: a page of `Read` (contact id, page).
  auto of_contact = [read](auto read_of_contact) {
    return [read](http_request&& req, responder respond) {
      using Read = decltype(read_of_contact);
      auto id = id_param(req, "contact_id");
      auto page = page_of(req);
      if (!id) return respond(http_response::error(api_code::contact_not_found, "no such contact"));
      if (auto* err = std::get_if<http_response>(&page)) return respond(std::move(*err));
      read(req, respond, Read{*id, std::get<storage::page_request>(page)}, page_json,
           api_code::contact_not_found, "no contact " + std::to_string(*id));
    };
  };
  routes.add("GET", "/v1/projects/{project_id}/contacts/{contact_id}/conversations",
             own(of_contact(storage::contact_conversations_read{})));
  routes.add("GET", "/v1/projects/{project_id}/contacts/{contact_id}/messages",
             own(of_contact(storage::contact_messages_read{})));

  // "states" before "{conversation_id}": the router takes the first route that matches.
  routes.add("GET", "/v1/projects/{project_id}/conversations/states",
             own([read](http_request&& req, responder respond) {
               read(req, respond, storage::conversation_states_read{}, items_json,
                    api_code::not_found, "");
             }));

  routes.add("GET", "/v1/projects/{project_id}/conversations",
             own([read](http_request&& req, responder respond) {
               auto page = page_of(req);
               if (auto* err = std::get_if<http_response>(&page)) return respond(std::move(*err));
               std::string status{req.query_param("status").value_or("")};
               if (!status.empty() && status != "open" && status != "closed")
                 return respond(
                     http_response::error(api_code::invalid_status, "status is open or closed"));
               std::vector<std::string> states;
               std::string list{req.query_param("state").value_or("")};
               for (std::size_t start = 0; start < list.size();) {
                 auto comma = list.find(',', start);
                 if (comma == std::string::npos) comma = list.size();
                 if (comma > start) states.push_back(list.substr(start, comma - start));
                 start = comma + 1;
               }
               auto search = search_of(req);
               if (auto* err = std::get_if<http_response>(&search)) return respond(std::move(*err));
               read(req, respond,
                    storage::conversations_read{std::move(states), std::move(status),
                                                std::get<storage::page_request>(page),
                                                std::move(std::get<std::string>(search))},
                    page_json, api_code::not_found, "");
             }));

  routes.add("GET", "/v1/projects/{project_id}/conversations/{conversation_id}",
             own([read](http_request&& req, responder respond) {
               auto id = id_param(req, "conversation_id");
               if (!id)
                 return respond(http_response::error(api_code::conversation_not_found,
                                                     "no such conversation"));
               read(req, respond, storage::conversation_read{*id}, document_json,
                    api_code::conversation_not_found, "no conversation " + std::to_string(*id));
             }));

  // Changes go through the conversation's actor, in turn with the bot's steps.
  auto answer_json = [](const responder& respond) {
    return [respond](std::string& body) {
      http_response r;
      r.body = std::move(body);
      respond(std::move(r));
    };
  };
  auto depth = ctx.max_json_depth;
  routes.add(
      "PATCH", "/v1/projects/{project_id}/conversations/{conversation_id}",
      own([&sys, dir, timeout, depth, answer_json](http_request&& req, responder respond) {
        auto id = id_param(req, "conversation_id");
        if (!id)
          return respond(
              http_response::error(api_code::conversation_not_found, "no such conversation"));
        auto parsed = parse_json_object(req.body, depth, {"state", "force"});
        if (auto* err = std::get_if<http_response>(&parsed)) return respond(std::move(*err));
        auto& body = std::get<json>(parsed);
        if (!body.contains("state") || !body["state"].is_string() ||
            body["state"].get<std::string>().empty() ||
            body["state"].get<std::string>().size() > 200)
          return respond(http_response::error(
              api_code::invalid_state, "\"state\" must be a state name (1 to 200 characters)"));
        if (body.contains("force") && !body["force"].is_boolean())
          return respond(
              http_response::error(api_code::invalid_body, "\"force\" must be true or false"));
        ask(sys, dir, timeout, answer_json(respond), fail_with(respond),
            actors::change_state_atom::value, std::string{req.param("project_id")}, *id,
            body["state"].get<std::string>(), body.value("force", false), req.caller);
      }));

  routes.add("POST", "/v1/projects/{project_id}/conversations/{conversation_id}/close",
             own([&sys, dir, timeout, answer_json](http_request&& req, responder respond) {
               auto id = id_param(req, "conversation_id");
               if (!id)
                 return respond(http_response::error(api_code::conversation_not_found,
                                                     "no such conversation"));
               ask(sys, dir, timeout, answer_json(respond), fail_with(respond),
                   actors::close_atom::value, std::string{req.param("project_id")}, *id,
                   req.caller);
             }));
}

}  // namespace paige::api
