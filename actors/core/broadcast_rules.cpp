#include "actors/core/broadcast_rules.hpp"

#include "actors/core/number_health.hpp"
#include "storage/identifiers.hpp"

#include <algorithm>
#include <set>

namespace paige::actors::broadcasts {
namespace {

using json = nlohmann::json;

bool digits(const std::string& s, std::size_t min, std::size_t max) {
  return s.size() >= min && s.size() <= max &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool column_ref(const json& v) {
  return v.is_object() && v.size() == 1 && v.contains("column") && v["column"].is_string();
}

/// Calls `f(column, pointer)` for each `{"column": c}` in `v` (at `at`), in document order.
template <class F>
void each_ref(const json& v, const std::string& at, F&& f) {
  if (column_ref(v)) return f(v["column"].get<std::string>(), at + "/column");
  if (v.is_object())
    for (const auto& [k, x] : v.items()) each_ref(x, at + "/" + pointer_escape(k), f);
  else if (v.is_array())
    for (std::size_t i = 0; i < v.size(); ++i) each_ref(v[i], at + "/" + std::to_string(i), f);
}

/// Column references must name columns the audience has; other values must be plain JSON.
void check_refs(const json& v, const std::string& at, const json& audience,
                std::vector<problem>& out) {
  bool contacts = !audience.contains("table");
  each_ref(v, at, [&](const std::string& c, const std::string& pointer) {
    if (contacts ? (c != "name" && c != "wa_id") : !storage::valid_identifier(c))
      out.push_back({pointer, contacts ? "a contact's columns are name and wa_id"
                                       : "'" + c + "' is not a column name"});
  });
}

void check_audience(const json& a, std::vector<problem>& out) {
  const std::string at = "/audience";
  if (!a.is_object() || a.empty()) {
    out.push_back({at,
                   "audience is {\"all_contacts\": true}, {\"states\": [...]}, "
                   "{\"wa_ids\": [...]} or {\"table\", \"phone_column\"}"});
    return;
  }
  int kinds = a.contains("all_contacts") + a.contains("states") + a.contains("wa_ids") +
              a.contains("table");
  if (kinds != 1) {
    out.push_back({at, "the audience is one of all_contacts, states, wa_ids or table"});
    return;
  }
  if (a.contains("all_contacts")) {
    if (a["all_contacts"] != true || a.size() != 1)
      out.push_back({at + "/all_contacts", "all_contacts is true, alone"});
  } else if (a.contains("states")) {
    const auto& s = a["states"];
    if (a.size() != 1 || !s.is_array() || s.empty() || s.size() > 100 ||
        !std::all_of(s.begin(), s.end(), [](const json& x) {
          return x.is_string() && !x.get<std::string>().empty() &&
                 x.get<std::string>().size() <= 200;
        }))
      out.push_back({at + "/states", "states is a list of 1 to 100 state names"});
  } else if (a.contains("wa_ids")) {
    const auto& w = a["wa_ids"];
    if (a.size() != 1 || !w.is_array() || w.empty() || w.size() > max_wa_ids) {
      out.push_back({at + "/wa_ids", "wa_ids is a list of 1 to 100000 WhatsApp ids"});
      return;
    }
    for (std::size_t i = 0; i < w.size(); ++i)
      if (!w[i].is_string() || !digits(w[i].get<std::string>(), 8, 15)) {
        out.push_back({at + "/wa_ids/" + std::to_string(i), "a wa_id is 8 to 15 digits, no '+'"});
        return;  // one is enough to say what is wrong
      }
  } else {
    for (const char* key : {"table", "phone_column"})
      if (!a.contains(key) || !a[key].is_string() ||
          !storage::valid_identifier(a[key].get<std::string>()))
        out.push_back({at + "/" + key, std::string{key} + " is a table or column name"});
    if (a.size() != 2) out.push_back({at, "a table audience is {\"table\", \"phone_column\"}"});
  }
}

}  // namespace

std::vector<problem> check_broadcast(const json& b, std::int64_t now, std::int64_t& schedule_at) {
  std::vector<problem> out;
  schedule_at = 0;
  if (!b.is_object()) return {{"", "a broadcast is a JSON object"}};
  if (b.contains("name") &&
      (!b["name"].is_string() || char_count(b["name"].get<std::string>()) > 200))
    out.push_back({"/name", "name is text of at most 200 characters"});
  const auto t = b.value("template", json());
  if (!t.is_object() || !t.value("name", json()).is_string() ||
      t["name"].get<std::string>().empty() || !t.value("language", json()).is_string() ||
      t["language"].get<std::string>().empty() || t.size() != 2)
    out.push_back({"/template", "template is {\"name\", \"language\"} of an approved template"});
  if (!b.contains("audience"))
    out.push_back({"/audience", "audience is required"});
  else
    check_audience(b["audience"], out);
  if (b.contains("components")) {
    if (!b["components"].is_array())
      out.push_back({"/components", "components is a list, as in a template send"});
    else if (b.contains("audience") && b["audience"].is_object())
      check_refs(b["components"], "/components", b["audience"], out);
  }
  if (b.contains("schedule_at") && !b["schedule_at"].is_null()) {
    auto when =
        b["schedule_at"].is_string() ? health::parse_meta_time(b["schedule_at"]) : std::nullopt;
    if (!when)
      out.push_back({"/schedule_at", "schedule_at is a time such as 2026-12-24T09:00:00Z"});
    else if (*when <= now)
      out.push_back({"/schedule_at", "schedule_at is in the past"});
    else
      schedule_at = *when;
  }
  return out;
}

std::vector<std::string> columns_of(const json& components) {
  std::vector<std::string> out;
  each_ref(components, "", [&](const std::string& c, const std::string&) {
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  });
  return out;
}

std::vector<problem> check_table(const json& b,
                                 const std::optional<std::vector<std::string>>& columns) {
  const auto& audience = b["audience"];
  auto table = audience["table"].get<std::string>();
  if (!columns) return {{"/audience/table", "no table '" + table + "'"}};
  std::vector<problem> out;
  auto check = [&](const std::string& c, const std::string& pointer) {
    if (std::find(columns->begin(), columns->end(), c) == columns->end())
      out.push_back({pointer, "table '" + table + "' has no column '" + c + "'"});
  };
  check(audience["phone_column"].get<std::string>(), "/audience/phone_column");
  each_ref(b.value("components", json::array()), "/components", check);
  return out;
}

json resolve(const json& components, const json& fields) {
  if (column_ref(components)) {
    auto c = components["column"].get<std::string>();
    auto v = fields.is_object() && fields.contains(c) ? fields[c] : json();
    return v.is_string() ? v : v.is_null() ? json("") : json(v.dump());
  }
  if (components.is_object()) {
    json out = json::object();
    for (const auto& [k, x] : components.items()) out[k] = resolve(x, fields);
    return out;
  }
  if (components.is_array()) {
    json out = json::array();
    for (const auto& x : components) out.push_back(resolve(x, fields));
    return out;
  }
  return components;
}

std::int64_t daily_limit_of(const std::string& tier) {
  const std::string prefix = "TIER_";
  if (tier.rfind(prefix, 0) != 0) return 0;
  auto rest = tier.substr(prefix.size());
  std::int64_t scale = 1;
  if (!rest.empty() && (rest.back() == 'K' || rest.back() == 'M')) {
    scale = rest.back() == 'K' ? 1000 : 1000000;
    rest.pop_back();
  }
  if (!digits(rest, 1, 6)) return 0;  // UNLIMITED, or a name Meta adds later
  return std::stoll(rest) * scale;
}

json message_of(const json& template_ref, const json& components) {
  json t{{"name", template_ref.value("name", "")},
         {"language", {{"code", template_ref.value("language", "")}}}};
  if (components.is_array() && !components.empty()) t["components"] = components;
  return {{"type", "template"}, {"template", t}};
}

}  // namespace paige::actors::broadcasts
