#include "actors/core/code_bot_target.hpp"

#include "actors/core/bot_interpreter.hpp"

#include <algorithm>
#include <cctype>

namespace paige::actors::bot {
namespace {

using json = nlohmann::json;

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

/// The host of a URL's authority (brackets kept for IPv6), or "" when it has none.
std::string host_of(const std::string& authority) {
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    return close == std::string::npos ? std::string{} : authority.substr(0, close + 1);
  }
  return authority.substr(0, authority.find(':'));
}

}  // namespace

std::string url_problem(const std::string& url, const code_target_rules& rules) {
  if (url.empty() || url.size() > max_url_bytes)
    return "a URL of 1 to " + std::to_string(max_url_bytes) + " bytes";
  if (std::any_of(url.begin(), url.end(),
                  [](unsigned char c) { return c <= 0x20 || c == 0x7f || c >= 0x80; }))
    return "a URL without spaces, control characters or non-ASCII bytes (%-encode them)";
  bool https = starts_with(url, "https://");
  bool http = starts_with(url, "http://");
  if (!https && !http) return "an https:// URL";
  auto scheme_end = https ? 8u : 7u;
  auto authority_end = url.find_first_of("/?#", scheme_end);
  auto authority =
      url.substr(scheme_end, authority_end == std::string::npos ? std::string::npos
                                                                : authority_end - scheme_end);
  // Credentials in a URL would be shown to everyone who reads the bot: the bot secret signs.
  if (authority.find('@') != std::string::npos) return "a URL without user or password";
  if (url.find('#') != std::string::npos) return "a URL without a fragment";
  auto host = host_of(authority);
  if (host.empty()) return "a URL with a host";
  if (http) {
    bool loopback = host == "127.0.0.1" || host == "localhost" || host == "[::1]";
    if (!rules.http_loopback || !loopback)
      return rules.http_loopback ? "an https:// URL (http:// only to 127.0.0.1, ::1 or localhost)"
                                 : "an https:// URL";
  }
  return {};
}

bool is_code_bot(const json& doc) {
  const auto& kind = member_of(doc, "kind");
  return kind.is_string() && (kind.get_ref<const std::string&>() == "external" ||
                              kind.get_ref<const std::string&>() == "code");
}

std::variant<code_target, std::vector<problem>> read_code_target(const json& doc,
                                                                 const code_target_rules& rules,
                                                                 std::string& initial_state) {
  std::vector<problem> problems;
  if (!doc.is_object()) return std::vector<problem>{{"", "a bot definition is a JSON object"}};
  bool hosted = member_of(doc, "kind") == "code";
  for (const auto& [key, _] : doc.items())
    if (key != "kind" && key != (hosted ? "files" : "url") && key != "initial_state" &&
        key != "timeout_seconds" && key != "fallback")
      problems.push_back(
          {"/" + pointer_escape(key),
           key == "url" ? "a hosted bot has no URL: Paige runs its files" : "unknown key"});
  code_target target;
  if (hosted) {
    target.hosted = std::make_shared<const code_files>(
        read_code_files(member_of(doc, "files"), "/files", problems));
  } else {
    const auto& url = member_of(doc, "url");
    auto why = url.is_string() ? url_problem(url.get<std::string>(), rules) : "an https:// URL";
    if (!why.empty())
      problems.push_back({"/url", why});
    else
      target.url = url.get<std::string>();
  }
  const auto& initial = member_of(doc, "initial_state");
  if (initial.is_null()) {
    initial_state = default_code_initial_state;
  } else if (!initial.is_string() || initial.get_ref<const std::string&>().empty() ||
             initial.get_ref<const std::string&>().size() > max_state_name) {
    problems.push_back(
        {"/initial_state", "a state name of 1 to " + std::to_string(max_state_name) + " bytes"});
  } else {
    initial_state = initial.get<std::string>();
  }
  const auto& timeout = member_of(doc, "timeout_seconds");
  if (!timeout.is_null()) {
    if (!timeout.is_number_integer() || timeout.get<std::int64_t>() < 1 ||
        timeout.get<std::int64_t>() > max_timeout_seconds)
      problems.push_back({"/timeout_seconds", "a whole number of seconds from 1 to " +
                                                  std::to_string(max_timeout_seconds)});
    else
      target.timeout = std::chrono::seconds{timeout.get<std::int64_t>()};
  }
  const auto& fallback = member_of(doc, "fallback");
  if (!fallback.is_null()) {
    auto found = check_outbound_message(fallback, "/fallback");
    if (member_of(fallback, "type") == "template")
      found.push_back({"/fallback/type", "a fallback is a free-form message, not a template"});
    problems.insert(problems.end(), found.begin(), found.end());
    target.fallback = fallback;
  }
  if (!problems.empty()) return problems;
  return target;
}

}  // namespace paige::actors::bot
