#include "api/template_routes.hpp"

#include "actors/core/template_rules.hpp"
#include "actors/project_types.hpp"
#include "actors/template_shelf.hpp"
#include "api/actor_call.hpp"
#include "api/api_errors.hpp"
#include "api/json_body.hpp"
#include "api/route_guard.hpp"

#include <algorithm>

namespace paige::api {
namespace {

using json = nlohmann::json;

constexpr int default_page = 50;
constexpr int max_page = 200;

/// A name or language from a path a template can have (anything else names none).
bool template_key(std::string_view name, std::string_view language) {
  auto word = [](std::string_view s, std::size_t max, bool upper_ok) {
    return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), [&](unsigned char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
             (upper_ok && c >= 'A' && c <= 'Z');
    });
  };
  return word(name, 512, false) && (language.empty() || word(language, 16, true));
}

http_response not_found(std::string_view name, std::string_view language) {
  return http_response::error(
      api_code::template_not_found,
      "no template '" + std::string{name} + "'" +
          (language.empty() ? std::string{} : " in language '" + std::string{language} + "'"));
}

/// Cursors of the list: the last template's name and language (both without '.').
std::string encode_key(const json& next) {
  return next.value("name", "") + "." + next.value("language", "");
}

}  // namespace

void judge_template_send(const project_routes_context& ctx, const std::string& project_id,
                         const json& message, responder respond, std::function<void()> send) {
  if (message.value("type", json()) != "template") return send();
  ask(
      *ctx.sys, ctx.directory, ctx.timeout,
      [respond, send, message](actors::templates::book_ptr& book) {
        if (!book) return send();  // not read yet: Meta judges
        auto v = actors::templates::judge_send(*book, message);
        using kind = actors::templates::send_verdict::kind;
        switch (v.what) {
          case kind::ok:
            return send();
          case kind::not_found:
            return respond(http_response::error(api_code::template_not_found, v.message));
          case kind::not_approved:
            return respond(http_response::error(api_code::template_not_approved, v.message,
                                                {{"status", v.status}}));
          case kind::invalid:
            return respond(problems_response(api_code::invalid_template_parameters, v.problems));
        }
      },
      fail_with(respond), actors::template_get_atom::value, project_id);
}

void add_template_routes(router& routes, project_routes_context ctx) {
  auto& sys = *ctx.sys;
  auto dir = ctx.directory;
  auto timeout = ctx.timeout;
  auto depth = ctx.max_json_depth;
  const std::string base = "/v1/projects/{project_id}/templates";
  const std::string one = base + "/{name}/{language}";

  routes.add(
      "POST", base,
      guarded(*ctx.auth, access::own_project,
              [&sys, dir, timeout, depth](http_request&& req, responder respond) {
                auto parsed = parse_json_object(req.body, depth,
                                                {"name", "language", "category", "parameter_format",
                                                 "components", "allow_category_change"});
                if (auto* err = std::get_if<http_response>(&parsed))
                  return respond(std::move(*err));
                auto t = std::get<json>(std::move(parsed));
                auto problems = actors::templates::check_template(t);
                if (t.contains("allow_category_change") && !t["allow_category_change"].is_boolean())
                  problems.push_back(
                      {"/allow_category_change", "allow_category_change is true or false"});
                if (!problems.empty())
                  return respond(problems_response(api_code::invalid_template, problems));
                if (!t.contains("parameter_format")) t["parameter_format"] = "positional";
                ask(sys, dir, timeout * 4, json_text_reply(respond, 201), fail_with(respond),
                    actors::template_create_atom::value, std::string{req.param("project_id")},
                    t.dump());
              }));

  routes.add("GET", base,
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout](http_request&& req, responder respond) {
                       auto limit = parse_limit(req, default_page, max_page);
                       if (auto* err = std::get_if<http_response>(&limit))
                         return respond(std::move(*err));
                       auto status = std::string{req.query_param("status").value_or("")};
                       auto name = std::string{req.query_param("name").value_or("")};
                       if (!status.empty() && !template_key(status, "") &&
                           !std::all_of(status.begin(), status.end(), [](unsigned char c) {
                             return (c >= 'A' && c <= 'Z') || c == '_';
                           }))
                         return respond(http_response::error(
                             api_code::invalid_argument, "status is a status such as APPROVED"));
                       std::string after_name, after_language;
                       if (auto cursor = req.query_param("cursor")) {
                         auto dot = cursor->find('.');
                         if (dot == std::string_view::npos ||
                             !template_key(cursor->substr(0, dot), cursor->substr(dot + 1)) ||
                             dot + 1 == cursor->size())
                           return respond(http_response::error(
                               api_code::invalid_cursor, "the cursor is not one this API issued"));
                         after_name = std::string{cursor->substr(0, dot)};
                         after_language = std::string{cursor->substr(dot + 1)};
                       }
                       ask(
                           sys, dir, timeout,
                           [respond](std::string& page_json) {
                             auto page = json::parse(page_json);
                             json next = page["next"].is_null() ? json(nullptr)
                                                                : json(encode_key(page["next"]));
                             respond(http_response::json(200, {{"items", std::move(page["items"])},
                                                               {"next_cursor", next}}));
                           },
                           fail_with(respond), actors::template_list_atom::value,
                           std::string{req.param("project_id")}, status, name, after_name,
                           after_language, std::get<int>(limit));
                     }));

  routes.add("GET", one,
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout](http_request&& req, responder respond) {
                       auto name = req.param("name"), language = req.param("language");
                       if (!template_key(name, language)) return respond(not_found(name, language));
                       ask(sys, dir, timeout, json_text_reply(respond), fail_with(respond),
                           actors::template_get_atom::value, std::string{req.param("project_id")},
                           std::string{name}, std::string{language});
                     }));

  // Meta edits components and category only: the template as it would be is checked whole.
  routes.add(
      "PATCH", one,
      guarded(*ctx.auth, access::own_project,
              [&sys, dir, timeout, depth](http_request&& req, responder respond) {
                auto name = std::string{req.param("name")};
                auto language = std::string{req.param("language")};
                if (!template_key(name, language)) return respond(not_found(name, language));
                auto parsed = parse_json_object(req.body, depth, {"components", "category"});
                if (auto* err = std::get_if<http_response>(&parsed))
                  return respond(std::move(*err));
                auto patch = std::get<json>(std::move(parsed));
                if (patch.empty())
                  return respond(http_response::error(api_code::empty_patch,
                                                      "name components and/or category to change"));
                auto project = std::string{req.param("project_id")};
                auto& s = sys;
                ask(
                    sys, dir, timeout,
                    [&s, dir, timeout, respond, patch, project, name,
                     language](std::string& view_json) {
                      auto merged = json::parse(view_json);
                      for (const auto& [k, v] : patch.items()) merged[k] = v;
                      json whole{{"name", merged["name"]},
                                 {"language", merged["language"]},
                                 {"category", merged["category"]},
                                 {"parameter_format", merged["parameter_format"]},
                                 {"components", merged["components"]}};
                      auto problems = actors::templates::check_template(whole);
                      if (!problems.empty())
                        return respond(problems_response(api_code::invalid_template, problems));
                      ask(s, dir, timeout * 4, json_text_reply(respond), fail_with(respond),
                          actors::template_edit_atom::value, project, name, language, patch.dump());
                    },
                    fail_with(respond), actors::template_get_atom::value, project, name, language);
              }));

  auto remove = [&sys, dir, timeout](http_request&& req, responder respond) {
    auto name = std::string{req.param("name")};
    auto language = std::string{req.param("language")};
    if (!template_key(name, language)) return respond(not_found(name, language));
    ask(sys, dir, timeout * 4, json_text_reply(respond), fail_with(respond),
        actors::template_delete_atom::value, std::string{req.param("project_id")}, name, language);
  };
  routes.add("DELETE", base + "/{name}", guarded(*ctx.auth, access::own_project, remove));
  routes.add("DELETE", one, guarded(*ctx.auth, access::own_project, remove));

  // A file for a media header's example (Meta reviews it): the body is the file itself.
  routes.add("POST", base + "/media",
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout](http_request&& req, responder respond) {
                       static const std::vector<std::string> types{"image/jpeg", "image/png",
                                                                   "video/mp4", "application/pdf"};
                       auto type = std::string{req.header("content-type").value_or("")};
                       type = type.substr(0, type.find(';'));
                       if (std::find(types.begin(), types.end(), type) == types.end())
                         return respond(http_response::error(
                             api_code::invalid_media,
                             "a media header's example is image/jpeg, image/png, video/mp4 or "
                             "application/pdf (the Content-Type of the body)"));
                       if (req.body.empty())
                         return respond(
                             http_response::error(api_code::invalid_media, "the file is empty"));
                       ask(
                           sys, dir, timeout * 4,
                           [respond](std::string& handle) {
                             respond(http_response::json(201, {{"handle", handle}}));
                           },
                           fail_with(respond), actors::template_media_atom::value,
                           std::string{req.param("project_id")}, std::move(req.body), type);
                     }));

  routes.add("POST", base + "/sync",
             guarded(*ctx.auth, access::own_project,
                     [&sys, dir, timeout](http_request&& req, responder respond) {
                       ask(sys, dir, timeout * 8, json_text_reply(respond), fail_with(respond),
                           actors::template_sync_atom::value, std::string{req.param("project_id")});
                     }));
}

}  // namespace paige::api
