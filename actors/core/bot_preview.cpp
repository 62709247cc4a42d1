#include "actors/core/bot_preview.hpp"

#include <algorithm>

namespace paige::actors::bot {
namespace {

using json = nlohmann::json;

bool all_digits(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// A text member of `obj` at `at`: absent gives `fallback`; another type, or one longer than
/// `most` characters, is a problem.
std::string text_member(const json& obj, const char* key, const std::string& at, std::size_t most,
                        std::vector<problem>& out, std::string fallback = {}) {
  const auto& v = member_of(obj, key);
  if (v.is_null()) return fallback;
  if (!v.is_string()) {
    out.push_back({at + "/" + key, "must be a string"});
    return fallback;
  }
  auto s = v.get<std::string>();
  if (char_count(s) > most)
    out.push_back({at + "/" + key, "must have at most " + std::to_string(most) + " characters"});
  return s;
}

/// A reply's tap (`kind` button_reply or list_reply) as the Cloud API delivers it.
json tapped(const char* kind, const std::string& id, const std::string& title) {
  return {{"type", "interactive"},
          {"interactive", {{"type", kind}, {kind, {{"id", id}, {"title", title}}}}}};
}

/// One message of the request, as the Cloud API would deliver it.
std::optional<json> read_message(const json& m, const std::string& at, std::vector<problem>& out) {
  auto before = out.size();
  if (m.is_string()) {
    auto text = m.get<std::string>();
    if (char_count(text) > max_preview_text)
      out.push_back({at, "must have at most " + std::to_string(max_preview_text) + " characters"});
    if (out.size() != before) return std::nullopt;
    return json{{"type", "text"}, {"text", {{"body", text}}}};
  }
  if (!m.is_object()) {
    out.push_back({at, "must be a text, or an object with text, button_id or list_id"});
    return std::nullopt;
  }
  for (const auto& [key, _] : m.items())
    if (key != "text" && key != "button_id" && key != "list_id")
      out.push_back({at + "/" + pointer_escape(key), "unknown key (text, button_id, list_id)"});
  auto text = text_member(m, "text", at, max_preview_text, out);
  auto button = text_member(m, "button_id", at, 256, out);
  auto row = text_member(m, "list_id", at, 200, out);
  if (!button.empty() && !row.empty())
    out.push_back({at, "a message taps a button or a list row, not both"});
  if (out.size() != before) return std::nullopt;
  if (!button.empty()) return tapped("button_reply", button, text);
  if (!row.empty()) return tapped("list_reply", row, text);
  if (!m.contains("text")) {
    out.push_back({at, "must hold text, button_id or list_id"});
    return std::nullopt;
  }
  return json{{"type", "text"}, {"text", {{"body", text}}}};
}

json save_record(const save_op& save) {
  switch (save.what) {
    case save_op::kind::opt_out:
      return {{"opt_out", save.opted_out}};
    case save_op::kind::row: {
      json values = json::object();
      for (const auto& [column, value] : save.values) values[column] = value;
      return {{"table", save.table}, {"values", values}};
    }
    case save_op::kind::flow_answer:
    case save_op::kind::flow_token:
      break;
  }
  json values = json::object();
  for (const auto& [key, value] : save.values) values[key] = value;
  return {{"table", save.what == save_op::kind::flow_answer ? "flow_answers" : "flow_tokens"},
          {"values", values}};
}

}  // namespace

std::variant<preview_request, std::vector<problem>> read_preview_request(const json& body) {
  std::vector<problem> out;
  preview_request r;
  if (!body.is_object()) return std::vector<problem>{{"", "must be a JSON object"}};
  for (const auto& [key, _] : body.items())
    if (key != "messages" && key != "version" && key != "contact" && key != "state" &&
        key != "vars")
      out.push_back(
          {"/" + pointer_escape(key), "unknown key (messages, version, contact, state, vars)"});
  const auto& messages = member_of(body, "messages");
  if (!messages.is_array() || messages.empty() || messages.size() > max_preview_messages) {
    out.push_back({"/messages",
                   "must be a list of 1 to " + std::to_string(max_preview_messages) + " messages"});
  } else {
    for (std::size_t i = 0; i < messages.size(); ++i)
      if (auto m = read_message(messages[i], "/messages/" + std::to_string(i), out))
        r.messages.push_back(std::move(*m));
  }
  const auto& version = member_of(body, "version");
  if (version.is_number_integer() && version.get<std::int64_t>() > 0)
    r.version = version.get<std::int64_t>();
  else if (!version.is_null())
    out.push_back({"/version", "must be a version number"});
  const auto& contact = member_of(body, "contact");
  if (contact.is_object()) {
    for (const auto& [key, _] : contact.items())
      if (key != "wa_id" && key != "name")
        out.push_back({"/contact/" + pointer_escape(key), "unknown key (wa_id, name)"});
    r.wa_id = text_member(contact, "wa_id", "/contact", 20, out, r.wa_id);
    if (r.wa_id.empty() || !all_digits(r.wa_id))
      out.push_back({"/contact/wa_id", "must be 1 to 20 digits"});
    r.name = text_member(contact, "name", "/contact", 256, out, r.name);
  } else if (!contact.is_null()) {
    out.push_back({"/contact", "must be an object with wa_id and name"});
  }
  const auto& state = member_of(body, "state");
  if (state.is_string() && !state.get<std::string>().empty() &&
      state.get<std::string>().size() <= max_state_name)
    r.state = state.get<std::string>();
  else if (!state.is_null())
    out.push_back(
        {"/state", "must be a state name of 1 to " + std::to_string(max_state_name) + " bytes"});
  const auto& vars = member_of(body, "vars");
  if (vars.is_object() && vars.dump().size() <= max_vars_bytes)
    r.vars = vars;
  else if (!vars.is_null())
    out.push_back({"/vars", "must be an object of at most " + std::to_string(max_vars_bytes) +
                                " bytes as JSON"});
  if (!out.empty()) return out;
  return r;
}

std::string preview_wamid(std::size_t index) {
  return "wamid.preview." + std::to_string(index + 1);
}

json fetch_record(const fetch_request& asked, const fetch_result& got) {
  json out{{"kind", asked.what == fetch_request::kind::query ? "query" : "http"},
           {"name", asked.name},
           {"ok", got.ok}};
  if (asked.what == fetch_request::kind::http) {
    out["method"] = asked.method;
    out["url"] = asked.url;
  }
  if (!got.ok)
    out["error"] = got.error;
  else if (asked.what == fetch_request::kind::query)
    out["rows"] = got.rows;
  else
    out["answer"] = got.rows;
  return out;
}

json preview_record(const preview_step& step) {
  json out{{"message", step.message},
           {"state", {{"from", step.from_state}, {"to", step.result.state}}},
           {"vars", step.result.vars.is_object() ? step.result.vars : json::object()},
           {"replies", step.result.sends},
           {"rows", json::array()},
           {"closed", step.result.close},
           {"fetches", step.fetches}};
  for (const auto& save : step.result.saves) out["rows"].push_back(save_record(save));
  if (!step.skipped.empty())
    out["skipped"] = {{"code", step.skipped}, {"message", step.skipped_detail}};
  return out;
}

}  // namespace paige::actors::bot
