#include "actors/core/bot_requests.hpp"

#include "actors/core/secret_rules.hpp"
#include "storage/identifiers.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace paige::actors::bot {
namespace {

using json = nlohmann::json;

constexpr std::array<std::string_view, 5> methods{"GET", "POST", "PUT", "PATCH", "DELETE"};

/// Set by the HTTP client from the request itself: a definition cannot steer them.
constexpr std::array<std::string_view, 10> managed_headers{
    "host",    "content-length", "transfer-encoding", "connection", "upgrade", "te",
    "trailer", "expect",         "proxy-connection",  "keep-alive"};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool has_line_break(const std::string& s) {
  return s.find_first_of(std::string_view{"\r\n\0", 3}) != std::string::npos;
}

/// `tmpl` with each placeholder replaced by "x": what its literal parts must pass.
std::string without_placeholders(const std::string& tmpl) {
  std::string out;
  std::size_t i = 0;
  while (i < tmpl.size()) {
    auto open = tmpl.find("{{", i);
    auto close = open == std::string::npos ? open : tmpl.find("}}", open + 2);
    if (close == std::string::npos) break;
    out.append(tmpl, i, open - i).append("x");
    i = close + 2;
  }
  if (i < tmpl.size()) out.append(tmpl, i, std::string::npos);
  return out;
}

struct request_compiler {
  const code_target_rules& rules;
  std::vector<problem>& problems;

  void add(const std::string& at, std::string message) {
    problems.push_back({at, std::move(message)});
  }

  void check_url(const json& url, const std::string& at, http_call& out) {
    if (!url.is_string() || url.get<std::string>().empty())
      return add(at, "'url' is required: a template starting with https://<host>/");
    out.url = url.get<std::string>();
    auto scheme_end = out.url.find("://");
    auto origin_end = scheme_end == std::string::npos ? std::string::npos
                                                      : out.url.find_first_of("/?", scheme_end + 3);
    if (out.url.substr(0, origin_end).find("{{") != std::string::npos)
      return add(at,
                 "the scheme, host and port are fixed text: placeholders may only come after "
                 "them, in the path or the query");
    if (auto why = url_problem(without_placeholders(out.url), rules); !why.empty())
      add(at, "'url' must be " + why);
  }

  void check_headers(const json& headers, const std::string& at, http_call& out) {
    if (headers.is_null()) return;
    if (!headers.is_object())
      return add(at, "'headers' is an object of name → template or {\"secret\", \"prefix\"?}");
    if (headers.size() > max_request_headers)
      add(at, "at most " + std::to_string(max_request_headers) + " headers");
    for (const auto& [name, value] : headers.items()) {
      auto here = at + "/" + pointer_escape(name);
      bool token = !name.empty() && name.size() <= 64 &&
                   std::all_of(name.begin(), name.end(), [](unsigned char c) {
                     return std::isalnum(c) || c == '-' || c == '_';
                   });
      if (!token) add(here, "a header's name has 1 to 64 letters, digits, - and _");
      auto low = lower(name);
      if (std::find(managed_headers.begin(), managed_headers.end(), low) != managed_headers.end())
        add(here, name + " is set by Paige's HTTP client");
      http_call_header h{name, {}, {}};
      if (value.is_string()) {
        h.value = value.get<std::string>();
      } else if (value.is_object()) {
        for (const auto& item : value.items())
          if (item.key() != "secret" && item.key() != "prefix")
            add(here + "/" + pointer_escape(item.key()), "unknown key '" + item.key() + "'");
        const auto& secret = member_of(value, "secret");
        const auto& prefix = member_of(value, "prefix");
        if (!secret.is_string()) {
          add(here + "/secret", "'secret' names one of the project's secrets");
        } else {
          h.secret = secret.get<std::string>();
          if (auto why = secret_name_problem(h.secret)) add(here + "/secret", *why);
        }
        if (!prefix.is_null() && !prefix.is_string())
          add(here + "/prefix", "'prefix' is text put before the secret (\"Bearer \")");
        else if (prefix.is_string())
          h.value = prefix.get<std::string>();
      } else {
        add(here, "a header is a template or {\"secret\", \"prefix\"?}");
      }
      if (has_line_break(h.value)) add(here, "a header's value has no line break");
      out.headers.push_back(std::move(h));
    }
  }

  http_call compile_one(const json& r, const std::string& at) {
    http_call out;
    for (const auto& item : r.items()) {
      const auto& key = item.key();
      if (key != "method" && key != "url" && key != "headers" && key != "body" &&
          key != "timeout_ms")
        add(at + "/" + pointer_escape(key), "unknown key '" + key + "'");
    }
    const auto& method = member_of(r, "method");
    if (method.is_string() &&
        std::find(methods.begin(), methods.end(), method.get<std::string>()) != methods.end())
      out.method = method.get<std::string>();
    else if (!method.is_null())
      add(at + "/method", "'method' is GET, POST, PUT, PATCH or DELETE");
    check_url(member_of(r, "url"), at + "/url", out);
    check_headers(member_of(r, "headers"), at + "/headers", out);
    out.body = member_of(r, "body");
    if (!out.body.is_null() && out.method == "GET") add(at + "/body", "a GET request has no body");
    read_timeout_ms(r, at, max_request_timeout, out.timeout, problems);
    return out;
  }
};

}  // namespace

void read_timeout_ms(const json& obj, const std::string& at, std::chrono::milliseconds max,
                     std::chrono::milliseconds& timeout, std::vector<problem>& problems) {
  const auto& given = member_of(obj, "timeout_ms");
  if (given.is_null()) return;
  if (!given.is_number_integer() || given.get<std::int64_t>() < 1 ||
      given.get<std::int64_t>() > max.count())
    problems.push_back({at + "/timeout_ms",
                        "'timeout_ms' is a whole number from 1 to " + std::to_string(max.count())});
  else
    timeout = std::chrono::milliseconds{given.get<std::int64_t>()};
}

std::map<std::string, http_call> compile_requests(const json& doc, const code_target_rules& rules,
                                                  std::vector<problem>& problems) {
  std::map<std::string, http_call> out;
  const auto& rs = member_of(doc, "requests");
  if (rs.is_null()) return out;
  request_compiler c{rules, problems};
  if (!rs.is_object()) {
    c.add("/requests", "'requests' must be an object of name → {\"url\", ...}");
    return out;
  }
  if (rs.size() > max_requests)
    c.add("/requests", "at most " + std::to_string(max_requests) + " requests");
  for (const auto& [name, r] : rs.items()) {
    auto at = "/requests/" + pointer_escape(name);
    if (!storage::valid_identifier(name))
      c.add(at, "'" + name + "' is not a valid request name (letters, digits and _)");
    if (!r.is_object()) {
      c.add(at, "a request is {\"method\"?, \"url\", \"headers\"?, \"body\"?, \"timeout_ms\"?}");
      continue;
    }
    out.emplace(name, c.compile_one(r, at));
  }
  return out;
}

json answer_of(unsigned status, const std::string& body) {
  auto parsed = json::parse(body, nullptr, false);
  return {{"status", status}, {"body", parsed.is_discarded() ? json(body) : std::move(parsed)}};
}

std::string text_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return {};
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string answer_value(const json& answers, const std::string& path) {
  auto dot = path.find('.');
  auto it = answers.find(path.substr(0, dot));
  if (dot == std::string::npos || it == answers.end()) return {};
  const json* at = &*it;
  std::size_t start = dot + 1;
  while (start <= path.size()) {
    auto end = path.find('.', start);
    auto key = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (at->is_object()) {
      auto next = at->find(key);
      if (next == at->end()) return {};
      at = &*next;
    } else if (at->is_array() && !key.empty() && key.size() <= 6 &&
               std::all_of(key.begin(), key.end(),
                           [](unsigned char c) { return std::isdigit(c); })) {
      auto index = std::stoul(key);
      if (index >= at->size()) return {};
      at = &(*at)[index];
    } else {
      return {};
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return text_of(*at);
}

}  // namespace paige::actors::bot
