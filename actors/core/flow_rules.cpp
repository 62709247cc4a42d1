#include "actors/core/flow_rules.hpp"

#include "actors/core/flow_exchange.hpp"
#include "actors/core/flow_send.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace paige::actors::flows {
namespace {

using json = nlohmann::json;

constexpr std::size_t max_name = 200;
constexpr std::size_t max_screens = 100;
constexpr std::size_t max_components = 50;
constexpr std::size_t max_branches = 10;
constexpr int max_if_depth = 3;

/// "7.3" as 703, for comparisons; -1 when it is not "major.minor".
int version_number(const std::string& v) {
  auto dot = v.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == v.size() ||
      v.find_first_not_of("0123456789.") != std::string::npos ||
      v.find('.', dot + 1) != std::string::npos)
    return -1;
  return std::stoi(v.substr(0, dot)) * 100 + std::stoi(v.substr(dot + 1));
}

bool dynamic(const json& v) {
  return v.is_string() && v.get<std::string>().find("${") != std::string::npos;
}

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

/// A list a component holds, with its bounds.
struct list_spec {
  const char* key = nullptr;
  std::size_t min = 0, max = 0;
};

/// What Meta requires of a component type (spec §9.2; docs/flows.md has the table).
struct component_spec {
  std::vector<const char*> required;
  std::vector<std::pair<const char*, std::size_t>> texts;  ///< text properties, max characters
  std::set<std::string> click_actions;   ///< on-click-action names it takes (none: no action)
  std::set<std::string> select_actions;  ///< on-select-action names it takes
  list_spec list;                        ///< its data-source or items, if any
  bool input = false;                    ///< a field the user fills (it has a name)
  int since = 0;                         ///< the first Flow JSON version that has it
};

const std::map<std::string, component_spec>& specs() {
  static const std::map<std::string, component_spec> all{
      {"TextHeading", {{"text"}, {{"text", 80}}, {}, {}, {}, false, 0}},
      {"TextSubheading", {{"text"}, {{"text", 80}}, {}, {}, {}, false, 0}},
      {"TextBody", {{"text"}, {{"text", 4096}}, {}, {}, {}, false, 0}},
      {"TextCaption", {{"text"}, {{"text", 409}}, {}, {}, {}, false, 0}},
      {"RichText", {{"text"}, {}, {}, {}, {}, false, 501}},
      {"TextInput",
       {{"name", "label"},
        {{"label", 20}, {"helper-text", 80}, {"error-message", 30}},
        {},
        {},
        {},
        true,
        0}},
      {"TextArea", {{"name", "label"}, {{"label", 20}, {"helper-text", 80}}, {}, {}, {}, true, 0}},
      {"CheckboxGroup",
       {{"name", "data-source"},
        {{"label", 30}, {"description", 300}},
        {},
        {"data_exchange", "update_data"},
        {"data-source", 1, 20},
        true,
        0}},
      {"RadioButtonsGroup",
       {{"name", "data-source"},
        {{"label", 30}, {"description", 300}},
        {},
        {"data_exchange", "update_data"},
        {"data-source", 1, 20},
        true,
        0}},
      {"Dropdown",
       {{"name", "label", "data-source"},
        {{"label", 20}},
        {},
        {"data_exchange", "update_data"},
        {"data-source", 1, 200},
        true,
        0}},
      {"ChipsSelector",
       {{"name", "label", "data-source"},
        {{"label", 80}, {"description", 300}},
        {},
        {},
        {"data-source", 2, 20},
        true,
        603}},
      {"DatePicker",
       {{"name", "label"},
        {{"label", 40}, {"helper-text", 80}, {"error-message", 80}},
        {},
        {"data_exchange"},
        {},
        true,
        0}},
      {"CalendarPicker",
       {{"name", "label"},
        {{"title", 80}, {"description", 300}},
        {},
        {"data_exchange"},
        {},
        true,
        601}},
      {"OptIn",
       {{"name", "label"},
        {{"label", 120}},
        {"data_exchange", "navigate", "open_url"},
        {},
        {},
        true,
        0}},
      {"EmbeddedLink",
       {{"text", "on-click-action"},
        {{"text", 25}},
        {"data_exchange", "navigate", "open_url"},
        {},
        {},
        false,
        0}},
      {"Footer",
       {{"label", "on-click-action"},
        {{"label", 35}, {"left-caption", 15}, {"center-caption", 15}, {"right-caption", 15}},
        {"data_exchange", "navigate", "complete"},
        {},
        {},
        false,
        0}},
      {"Image", {{"src"}, {{"alt-text", 100}}, {}, {}, {}, false, 0}},
      {"ImageCarousel", {{"images"}, {}, {}, {}, {"images", 1, 3}, false, 701}},
      {"PhotoPicker",
       {{"name", "label"}, {{"label", 80}, {"description", 300}}, {}, {}, {}, true, 400}},
      {"DocumentPicker",
       {{"name", "label"}, {{"label", 80}, {"description", 300}}, {}, {}, {}, true, 400}},
      {"NavigationList",
       {{"name", "list-items"},
        {{"label", 80}, {"description", 300}},
        {"data_exchange", "navigate"},
        {},
        {"list-items", 1, 20},
        false,
        602}},
      {"If", {{"condition", "then"}, {}, {}, {}, {}, false, 400}},
      {"Switch", {{"value", "cases"}, {}, {}, {}, {}, false, 400}},
      {"Form", {{"name", "children"}, {}, {}, {}, {}, false, 0}},
  };
  return all;
}

/// How many of each type a screen shows at most (the branches of If and Switch are
/// alternatives: the larger one counts).
using counts = std::map<std::string, std::size_t>;

void add_counts(counts& into, const counts& more) {
  for (const auto& [k, n] : more) into[k] += n;
}

counts max_counts(const counts& a, const counts& b) {
  counts out = a;
  for (const auto& [k, n] : b) out[k] = std::max(out[k], n);
  return out;
}

/// A navigate action found on a screen.
struct navigation {
  std::string pointer;
  std::string target;
  json payload;
};

/// What a screen declares and uses, gathered by the first pass.
struct screen_info {
  std::string id;
  std::string at;
  bool terminal = false;
  std::set<std::string> data_keys;
  std::set<std::string> inputs;
  std::vector<std::pair<std::string, std::string>> refs;  ///< (pointer, the text with ${...})
  std::vector<navigation> navigations;
  bool footer = false;
};

struct checker {
  std::vector<problem> out;
  int version = 0;
  bool endpoint = false;  ///< data_api_version is set
  bool data_exchange = false;
  std::string data_exchange_at;

  void add(std::string pointer, std::string message) {
    out.push_back({std::move(pointer), std::move(message)});
  }

  /// A text property: a string, not blank, within `max` characters unless it is dynamic.
  void text(const json& obj, const std::string& at, const std::string& key, std::size_t max) {
    if (!obj.contains(key)) return;
    const auto& v = obj[key];
    auto pointer = at + "/" + pointer_escape(key);
    if (!v.is_string()) {
      if (!(key == "label" && v.is_object()))  // a range CalendarPicker's start and end labels
        add(pointer, key + " is text");
      return;
    }
    auto s = v.get<std::string>();
    if (blank(s))
      add(pointer, key + " must not be blank");
    else if (max > 0 && !dynamic(v) && char_count(s) > max)
      add(pointer, key + " has at most " + std::to_string(max) + " characters");
  }

  void action(const json& a, const std::string& at, const std::set<std::string>& allowed,
              const std::string& type, screen_info& screen, bool select) {
    if (!a.is_object()) return add(at, "an action is an object with a name");
    auto name = a.value("name", json()).is_string() ? a["name"].get<std::string>() : "";
    if (!allowed.count(name)) {
      std::string list;
      for (const auto& n : allowed) list += (list.empty() ? "" : ", ") + n;
      return add(at + "/name", type + "'s action is one of: " + list);
    }
    if (a.contains("payload") && !a["payload"].is_object())
      add(at + "/payload", "payload is an object");
    if (name != "navigate" && a.contains("next"))
      add(at + "/next", "only a navigate action has next");
    if (name == "navigate") {
      const auto& next = a.value("next", json());
      if (!next.is_object() || member_of(next, "type") != "screen" ||
          !next.value("name", json()).is_string())
        return add(at + "/next",
                   "navigate needs next: {\"type\": \"screen\", \"name\": <screen id>}");
      screen.navigations.push_back(
          {at, next["name"].get<std::string>(), a.value("payload", json::object())});
    } else if (name == "complete") {
      if (!screen.terminal) add(at + "/name", "complete is only on a terminal screen's Footer");
    } else if (name == "data_exchange") {
      data_exchange = true;
      if (data_exchange_at.empty()) data_exchange_at = at;
    } else if (name == "open_url") {
      if (!a.value("url", json()).is_string() || a["url"].get<std::string>().empty())
        add(at + "/url", "open_url needs a url");
      if (a.contains("payload")) add(at + "/payload", "open_url has no payload");
    } else if (name == "update_data" && !select) {
      add(at + "/name", "update_data is only an on-select or on-unselect action");
    }
  }

  void list_items(const json& c, const std::string& at, const component_spec& spec,
                  const std::string& type) {
    if (!spec.list.key || !c.contains(spec.list.key)) return;
    const auto& items = c[spec.list.key];
    auto pointer = at + "/" + spec.list.key;
    if (dynamic(items)) return;  // the screen's data gives it
    if (!items.is_array())
      return add(pointer, std::string{spec.list.key} + " is a list, or a ${data...} reference");
    if (items.size() < spec.list.min || items.size() > spec.list.max)
      add(pointer, type + " has " + std::to_string(spec.list.min) + " to " +
                       std::to_string(spec.list.max) + " " + spec.list.key + " items");
    if (std::string{spec.list.key} != "data-source") return;
    std::set<std::string> ids;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto& item = items[i];
      auto item_at = pointer + "/" + std::to_string(i);
      if (!item.is_object()) {
        add(item_at, "an option is an object with an id and a title");
        continue;
      }
      if (!item.value("id", json()).is_string() || item["id"].get<std::string>().empty())
        add(item_at + "/id", "id is required");
      else if (!ids.insert(item["id"].get<std::string>()).second)
        add(item_at + "/id", "option ids are unique in a component");
      if (!item.contains("title"))
        add(item_at + "/title", "title is required");
      else
        text(item, item_at, "title", 30);
      text(item, item_at, "description", 300);
      text(item, item_at, "metadata", 20);
    }
  }

  /// Checks `children` (at `at`), gathering what the screen declares; the counts shown.
  counts children(const json& list, const std::string& at, screen_info& screen, int if_depth,
                  bool in_form, bool screen_has_form) {
    counts shown;
    if (!list.is_array()) {
      add(at, "children is a list of components");
      return shown;
    }
    for (std::size_t i = 0; i < list.size(); ++i)
      add_counts(shown, component(list[i], at + "/" + std::to_string(i), screen, if_depth, in_form,
                                  screen_has_form));
    return shown;
  }

  counts component(const json& c, const std::string& at, screen_info& screen, int if_depth,
                   bool in_form, bool screen_has_form) {
    counts shown;
    if (!c.is_object() || !c.value("type", json()).is_string()) {
      add(at + "/type", "a component has a type");
      return shown;
    }
    auto type = c["type"].get<std::string>();
    auto found = specs().find(type);
    if (found == specs().end()) {
      add(at + "/type", "'" + type + "' is not a Flow component");
      return shown;
    }
    const auto& spec = found->second;
    if (version < spec.since)
      add(at + "/type", type + " needs Flow JSON version " + std::to_string(spec.since / 100) +
                            "." + std::to_string(spec.since % 100) + " or later");
    for (const char* key : spec.required)
      if (!c.contains(key)) add(at + "/" + key, std::string{key} + " is required");
    // Markdown text (TextBody, TextCaption, RichText) may be a list of lines.
    bool lines = (type == "TextBody" || type == "TextCaption" || type == "RichText") &&
                 c.value("text", json()).is_array();
    if (lines && !std::all_of(c["text"].begin(), c["text"].end(),
                              [](const json& l) { return l.is_string(); }))
      add(at + "/text", "text is text, or a list of lines");
    for (const auto& [key, max] : spec.texts)
      if (!(lines && std::string{key} == "text")) text(c, at, key, max);
    if (type == "RichText" && !lines) text(c, at, "text", 0);
    if (spec.input) {
      if (c.value("name", json()).is_string() && !c["name"].get<std::string>().empty()) {
        auto name = c["name"].get<std::string>();
        if (!screen.inputs.insert(name).second)
          add(at + "/name", "'" + name + "' names another field of this screen");
      } else if (c.contains("name")) {
        add(at + "/name", "name is text");
      }
      if (screen_has_form && !in_form)
        add(at,
            type + " is outside the screen's Form: every field of a screen with a Form is in it");
    }
    if (c.contains("on-click-action")) {
      if (spec.click_actions.empty())
        add(at + "/on-click-action", type + " has no on-click-action");
      else
        action(c["on-click-action"], at + "/on-click-action", spec.click_actions, type, screen,
               false);
    }
    for (const char* key : {"on-select-action", "on-unselect-action"})
      if (c.contains(key)) {
        if (spec.select_actions.empty())
          add(at + "/" + key, type + " has no " + key);
        else
          action(c[key], at + "/" + key, spec.select_actions, type, screen, true);
      }
    list_items(c, at, spec, type);
    if (type == "TextInput" && c.contains("input-type")) {
      static const std::set<std::string> types{"text",     "number",   "email",
                                               "password", "passcode", "phone"};
      if (!c["input-type"].is_string() || !types.count(c["input-type"].get<std::string>()))
        add(at + "/input-type", "input-type is text, number, email, password, passcode or phone");
    }
    if (type == "TextInput" && c.value("min-chars", json()).is_number_integer() &&
        c.value("max-chars", json()).is_number_integer() &&
        c["min-chars"].get<long>() > c["max-chars"].get<long>())
      add(at + "/min-chars", "min-chars is at most max-chars");
    if (type == "Footer") {
      screen.footer = true;
      bool left = c.contains("left-caption"), right = c.contains("right-caption");
      if (left != right)
        add(at + (left ? "/left-caption" : "/right-caption"),
            "left-caption and right-caption go together");
      if (c.contains("center-caption") && (left || right))
        add(at + "/center-caption", "center-caption excludes left-caption and right-caption");
    }
    shown[type] = 1;
    if (type == "Form") {
      shown.erase("Form");
      shown["Form "] = 1;  // counted apart: a Form is not one of the screen's components
      if (in_form) add(at, "a Form is not inside another Form");
      if (c.contains("children"))
        add_counts(shown, children(c["children"], at + "/children", screen, if_depth, true, true));
    } else if (type == "If") {
      if (if_depth >= max_if_depth)
        add(at, "If is nested at most " + std::to_string(max_if_depth) + " deep");
      if (c.contains("condition") && !c["condition"].is_string())
        add(at + "/condition", "condition is text");
      if (c.contains("then") && c["then"].is_array() && c["then"].empty())
        add(at + "/then", "then has at least one component");
      counts then_shown, else_shown;
      if (c.contains("then"))
        then_shown =
            children(c["then"], at + "/then", screen, if_depth + 1, in_form, screen_has_form);
      if (c.contains("else"))
        else_shown =
            children(c["else"], at + "/else", screen, if_depth + 1, in_form, screen_has_form);
      if (then_shown.count("Footer") != else_shown.count("Footer"))
        add(at, "when one branch of an If has a Footer, both have one");
      add_counts(shown, max_counts(then_shown, else_shown));
    } else if (type == "Switch") {
      const auto& cases = c.value("cases", json());
      if (c.contains("cases") && (!cases.is_object() || cases.empty()))
        add(at + "/cases", "cases maps values to components, one case at least");
      if (cases.is_object()) {
        counts widest;
        std::size_t with_footer = 0;
        for (const auto& [value, list] : cases.items()) {
          auto branch = children(list, at + "/cases/" + pointer_escape(value), screen, if_depth,
                                 in_form, screen_has_form);
          with_footer += branch.count("Footer");
          widest = max_counts(widest, branch);
        }
        if (with_footer > 0 && with_footer < cases.size())
          add(at + "/cases", "when one case of a Switch has a Footer, every case has one");
        add_counts(shown, widest);
      }
    }
    return shown;
  }

  /// Every ${...} in the strings of `v`, with its pointer.
  void gather_refs(const json& v, const std::string& at, screen_info& screen) {
    if (v.is_string()) {
      if (v.get<std::string>().find("${") != std::string::npos)
        screen.refs.emplace_back(at, v.get<std::string>());
    } else if (v.is_object()) {
      for (const auto& [k, x] : v.items()) gather_refs(x, at + "/" + pointer_escape(k), screen);
    } else if (v.is_array()) {
      for (std::size_t i = 0; i < v.size(); ++i)
        gather_refs(v[i], at + "/" + std::to_string(i), screen);
    }
  }

  void screen_data(const json& data, const std::string& at, screen_info& screen) {
    if (!data.is_object())
      return add(at, "data declares the screen's data: {\"name\": {\"type\", \"__example__\"}}");
    static const std::set<std::string> types{"string",  "number", "integer",
                                             "boolean", "object", "array"};
    for (const auto& [key, decl] : data.items()) {
      auto key_at = at + "/" + pointer_escape(key);
      screen.data_keys.insert(key);
      if (!decl.is_object()) {
        add(key_at, "a data field is declared as {\"type\", \"__example__\"}");
        continue;
      }
      if (!decl.value("type", json()).is_string() || !types.count(decl["type"].get<std::string>()))
        add(key_at + "/type", "type is string, number, integer, boolean, object or array");
      else if (decl["type"] == "array" && !decl.contains("items"))
        add(key_at + "/items", "an array declares its items");
      if (!decl.contains("__example__")) add(key_at + "/__example__", "__example__ is required");
    }
  }

  screen_info screen(const json& s, const std::string& at) {
    screen_info info;
    info.at = at;
    if (!s.is_object()) {
      add(at, "a screen is an object with an id and a layout");
      return info;
    }
    static const std::set<std::string> keys{"id",   "title",           "terminal",  "success",
                                            "data", "refresh_on_back", "sensitive", "layout"};
    for (const auto& [k, v] : s.items())
      if (!keys.count(k)) add(at + "/" + pointer_escape(k), "'" + k + "' is not a screen property");
    if (!s.value("id", json()).is_string()) {
      add(at + "/id", "id is required");
    } else {
      info.id = s["id"].get<std::string>();
      bool letters = !info.id.empty() && std::all_of(info.id.begin(), info.id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
      });
      if (!letters || info.id.find_first_not_of('_') == std::string::npos)
        add(at + "/id", "a screen id is letters and underscores");
      auto upper = info.id;
      std::transform(upper.begin(), upper.end(), upper.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      if (upper == "SUCCESS") add(at + "/id", "SUCCESS is reserved: choose another screen id");
    }
    if (s.contains("title")) text(s, at, "title", 0);
    for (const char* flag : {"terminal", "success", "refresh_on_back"})
      if (s.contains(flag) && !s[flag].is_boolean())
        add(at + "/" + flag, std::string{flag} + " is true or false");
    info.terminal = s.value("terminal", json()).is_boolean() && s["terminal"].get<bool>();
    if (s.contains("success") && !info.terminal)
      add(at + "/success", "success is only on a terminal screen");
    if (s.value("refresh_on_back", json()).is_boolean() && s["refresh_on_back"].get<bool>() &&
        !endpoint)
      add(at + "/refresh_on_back", "refresh_on_back needs an endpoint (data_api_version)");
    if (s.contains("data")) screen_data(s["data"], at + "/data", info);
    const auto& layout = s.value("layout", json());
    if (!s.contains("layout")) {
      add(at + "/layout", "layout is required");
    } else if (member_of(layout, "type") != "SingleColumnLayout") {
      add(at + "/layout/type", "the layout is a SingleColumnLayout");
    } else if (!layout.contains("children")) {
      add(at + "/layout/children", "children is required");
    } else {
      const auto& list = layout["children"];
      bool has_form = list.is_array() && std::any_of(list.begin(), list.end(), [](const json& c) {
                        return member_of(c, "type") == "Form";
                      });
      auto shown = children(list, at + "/layout/children", info, 0, false, has_form);
      std::size_t total = 0;
      for (const auto& [type, n] : shown)
        if (type != "Form ") total += n;
      if (total > max_components)
        add(at + "/layout/children", "a screen has at most " + std::to_string(max_components) +
                                         " components (" + std::to_string(total) + ")");
      static const std::map<std::string, std::size_t> caps{
          {"Footer", 1}, {"EmbeddedLink", 2},   {"Image", 3},        {"OptIn", 5},
          {"Form ", 1},  {"NavigationList", 2}, {"ImageCarousel", 2}};
      for (const auto& [type, cap] : caps) {
        auto n = shown.count(type) ? shown.at(type) : 0;
        if (n > cap && (type != "Form " || version >= 700))
          add(at + "/layout/children", "a screen has at most " + std::to_string(cap) + " " +
                                           (type == "Form " ? "Form" : type) + " (" +
                                           std::to_string(n) + ")");
      }
      auto pickers = (shown.count("PhotoPicker") ? shown.at("PhotoPicker") : 0) +
                     (shown.count("DocumentPicker") ? shown.at("DocumentPicker") : 0);
      if (pickers > 1)
        add(at + "/layout/children", "a screen has at most one PhotoPicker or DocumentPicker");
      if (info.terminal && !shown.count("Footer"))
        add(at + "/layout/children", "a terminal screen has a Footer");
      gather_refs(layout, at + "/layout", info);
    }
    if (s.contains("title")) gather_refs(s["title"], at + "/title", info);
    if (s.contains("sensitive")) {
      const auto& list = s["sensitive"];
      if (!list.is_array()) add(at + "/sensitive", "sensitive lists field names");
      for (std::size_t i = 0; list.is_array() && i < list.size(); ++i)
        if (!list[i].is_string() || !info.inputs.count(list[i].get<std::string>()))
          add(at + "/sensitive/" + std::to_string(i), "sensitive names a field of this screen");
    }
    return info;
  }

  /// Each ${...} of the screen resolves: data it declares, its fields, another screen's.
  void resolve(const screen_info& s, const std::map<std::string, const screen_info*>& by_id) {
    for (const auto& [pointer, textv] : s.refs) {
      for (auto open = textv.find("${"); open != std::string::npos;
           open = textv.find("${", open + 2)) {
        auto close = textv.find('}', open);
        if (close == std::string::npos) {
          add(pointer, "a reference ${...} is not closed");
          break;
        }
        auto ref = textv.substr(open + 2, close - open - 2);
        std::vector<std::string> parts;
        for (std::size_t start = 0;;) {
          auto dot = ref.find('.', start);
          parts.push_back(ref.substr(start, dot - start));
          if (dot == std::string::npos) break;
          start = dot + 1;
        }
        const screen_info* target = &s;
        std::size_t at = 0;
        if (parts.size() >= 4 && parts[0] == "screen") {
          auto other = by_id.find(parts[1]);
          if (other == by_id.end()) {
            add(pointer, "${" + ref + "}: there is no screen '" + parts[1] + "'");
            continue;
          }
          if (other->second == &s) {
            add(pointer,
                "${" + ref + "}: refer to this screen's own values as ${data...} or ${form...}");
            continue;
          }
          target = other->second;
          at = 2;
        }
        if (parts.size() < at + 2 || (parts[at] != "data" && parts[at] != "form")) {
          add(pointer, "${" + ref +
                           "} is not a reference: ${data.<name>}, ${form.<field>} or "
                           "${screen.<id>.data|form.<name>}");
          continue;
        }
        const auto& name = parts[at + 1];
        if (parts[at] == "data" && !target->data_keys.count(name))
          add(pointer, "${" + ref + "}: '" + name + "' is not declared in the data of screen '" +
                           target->id + "'");
        if (parts[at] == "form" && !target->inputs.count(name))
          add(pointer, "${" + ref + "}: screen '" + target->id + "' has no field '" + name + "'");
      }
    }
  }

  /// The navigate actions go to other screens, with the data those declare.
  void navigations(const screen_info& s, const std::map<std::string, const screen_info*>& by_id,
                   const json& routing) {
    for (const auto& n : s.navigations) {
      auto target = by_id.find(n.target);
      if (target == by_id.end()) {
        add(n.pointer + "/next/name", "there is no screen '" + n.target + "'");
        continue;
      }
      if (n.target == s.id) {
        add(n.pointer + "/next/name", "a screen does not navigate to itself");
        continue;
      }
      if (routing.is_object()) {
        const auto& routes = member_of(routing, s.id.c_str());
        if (routes.is_array() && routes.size() > max_branches) continue;  // refused already
        if (!routes.is_array() ||
            std::find(routes.begin(), routes.end(), json(n.target)) == routes.end())
          add(n.pointer + "/next/name",
              "routing_model has no route from '" + s.id + "' to '" + n.target + "'");
      }
      const auto& declared = target->second->data_keys;
      if (n.payload.is_object()) {
        for (const auto& [key, v] : n.payload.items())
          if (!declared.count(key))
            add(n.pointer + "/payload/" + pointer_escape(key),
                "screen '" + n.target + "' does not declare '" + key + "' in its data");
        for (const auto& key : declared)
          if (!n.payload.contains(key))
            add(n.pointer + "/payload",
                "screen '" + n.target + "' expects '" + key + "' in the payload");
      }
    }
  }

  void routing_model(const json& routing, const std::string& at,
                     const std::map<std::string, const screen_info*>& by_id) {
    if (!routing.is_object())
      return add(at, "routing_model maps each screen id to the screens it leads to");
    std::set<std::string> destinations;
    for (const auto& [from, list] : routing.items()) {
      auto from_at = at + "/" + pointer_escape(from);
      if (!by_id.count(from)) add(from_at, "there is no screen '" + from + "'");
      if (!list.is_array()) {
        add(from_at, "a route lists screen ids");
        continue;
      }
      if (list.size() > max_branches) {
        // Its routes are not looked at one by one: a list of any length costs no more.
        add(from_at, "a screen has at most " + std::to_string(max_branches) + " routes");
        continue;
      }
      for (std::size_t i = 0; i < list.size(); ++i) {
        auto to_at = from_at + "/" + std::to_string(i);
        if (!list[i].is_string()) {
          add(to_at, "a route is a screen id");
          continue;
        }
        auto to = list[i].get<std::string>();
        destinations.insert(to);
        if (!by_id.count(to)) add(to_at, "there is no screen '" + to + "'");
        if (to == from) add(to_at, "a screen does not route to itself");
        const auto& back = member_of(routing, to.c_str());
        if (back.is_array() && std::find(back.begin(), back.end(), json(from)) != back.end() &&
            from < to)
          add(to_at, "routes go forward only: '" + from + "' and '" + to +
                         "' route to each other (back is implicit)");
      }
    }
    bool entry = std::any_of(by_id.begin(), by_id.end(),
                             [&](const auto& s) { return !destinations.count(s.first); });
    if (!by_id.empty() && !entry) add(at, "no screen is an entry: every screen is routed to");
    for (const auto& [id, info] : by_id)
      if (!info->terminal && !routing.contains(id) && !destinations.count(id))
        add(at, "screen '" + id + "' is missing from routing_model");
  }

  void flow_json(const json& flow, const std::string& at) {
    if (!flow.is_object()) return add(at, "the Flow JSON is an object");
    static const std::set<std::string> keys{"version", "data_api_version", "routing_model",
                                            "screens", "meta"};
    for (const auto& [k, v] : flow.items())
      if (!keys.count(k))
        add(at + "/" + pointer_escape(k),
            k == "data_channel_uri" ? "data_channel_uri is gone: set the flow's endpoint_uri"
                                    : "'" + k + "' is not a Flow JSON property");
    const auto& v = flow.value("version", json());
    std::string list;
    for (const auto& x : publishable_versions()) list += (list.empty() ? "" : ", ") + x;
    if (!v.is_string()) {
      add(at + "/version",
          "version is required, as text (\"" + publishable_versions().back() + "\")");
    } else if (std::find(publishable_versions().begin(), publishable_versions().end(),
                         v.get<std::string>()) == publishable_versions().end()) {
      add(at + "/version", "Meta takes new flows in versions " + list);
    } else {
      version = version_number(v.get<std::string>());
    }
    if (version <= 0) version = version_number(publishable_versions().back());
    if (flow.contains("data_api_version")) {
      endpoint = true;
      const auto& d = flow["data_api_version"];
      bool ok = d == "3.0" || (d == "4.0" && version >= 703);
      if (!ok)
        add(at + "/data_api_version", version >= 703 ? "data_api_version is \"3.0\" or \"4.0\""
                                                     : "data_api_version is \"3.0\"");
      if (!flow.contains("routing_model"))
        add(at + "/routing_model", "routing_model is required with data_api_version");
    }
    const auto& screens = flow.value("screens", json());
    if (!screens.is_array() || screens.empty())
      return add(at + "/screens", "screens lists the flow's screens, one at least");
    if (screens.size() > max_screens)
      add(at + "/screens", "a flow has at most " + std::to_string(max_screens) + " screens");
    std::vector<screen_info> infos;
    for (std::size_t i = 0; i < screens.size(); ++i)
      infos.push_back(screen(screens[i], at + "/screens/" + std::to_string(i)));
    std::map<std::string, const screen_info*> by_id;
    for (const auto& s : infos) {
      if (s.id.empty()) continue;
      if (!by_id.emplace(s.id, &s).second)
        add(s.at + "/id", "screen ids are unique: '" + s.id + "' is taken");
    }
    if (std::none_of(infos.begin(), infos.end(), [](const screen_info& s) { return s.terminal; }))
      add(at + "/screens", "a flow has a terminal screen (\"terminal\": true) to end on");
    else if (std::all_of(screens.begin(), screens.end(), [](const json& s) {
               return member_of(s, "terminal") != true ||
                      (s.contains("success") && s["success"] == false);
             }))
      add(at + "/screens", "a terminal screen ends in success (\"success\" true, the default)");
    const auto& routing = flow.value("routing_model", json());
    for (const auto& s : infos) {
      resolve(s, by_id);
      navigations(s, by_id, routing);
    }
    if (flow.contains("routing_model")) routing_model(routing, at + "/routing_model", by_id);
    if (data_exchange && !endpoint)
      add(data_exchange_at + "/name",
          "data_exchange needs the flow's endpoint: set data_api_version and routing_model");
  }
};

}  // namespace

bool path_safe_name(const std::string& name) {
  return !name.empty() && std::none_of(name.begin(), name.end(), [](unsigned char c) {
    return c == '/' || c < 0x20 || c == 0x7f;
  });
}

const std::vector<std::string>& publishable_versions() {
  static const std::vector<std::string> list{"5.1", "6.0", "6.1", "6.2", "6.3",
                                             "7.0", "7.1", "7.2", "7.3"};
  return list;
}

std::vector<problem> check_flow_json(const json& flow, const std::string& at) {
  checker c;
  c.flow_json(flow, at);
  return c.out;
}

std::vector<problem> check_flow(const json& body, bool edit) {
  checker c;
  if (!body.is_object()) {
    c.add("", "a flow is an object: {\"name\", \"categories\", \"flow_json\"}");
    return c.out;
  }
  static const std::set<std::string> keys{"name",         "categories", "flow_json",
                                          "endpoint_uri", "answers",    "data_sources"};
  bool any = false;
  for (const auto& [k, v] : body.items()) {
    if (keys.count(k))
      any = true;
    else
      c.add("/" + pointer_escape(k), "'" + k + "' is not a flow property");
  }
  if (edit && !any)
    c.add("", "nothing to change: give name, categories, flow_json, endpoint_uri or answers");
  if (body.contains("answers"))
    for (auto& p : check_answers(body["answers"], "/answers")) c.out.push_back(std::move(p));
  if (body.contains("data_sources"))
    for (auto& p :
         check_data_sources(body["data_sources"], member_of(body, "flow_json"), "/data_sources"))
      c.out.push_back(std::move(p));
  if (body.contains("name") || !edit) {
    const auto& n = body.value("name", json());
    if (!n.is_string() || blank(n.get<std::string>()))
      c.add("/name", "name is required");
    else if (char_count(n.get<std::string>()) > max_name)
      c.add("/name", "name has at most " + std::to_string(max_name) + " characters");
    else if (!path_safe_name(n.get<std::string>()))
      c.add("/name",
            "a flow's name has no '/' and no control characters (it names the flow in "
            "paths)");
  }
  if (body.contains("categories") || !edit) {
    static const std::set<std::string> categories{
        "SIGN_UP",         "SIGN_IN",    "APPOINTMENT_BOOKING",
        "LEAD_GENERATION", "CONTACT_US", "CUSTOMER_SUPPORT",
        "SURVEY",          "OTHER"};
    const auto& list = body.value("categories", json());
    if (!list.is_array() || list.empty())
      c.add("/categories",
            "categories lists one or more of SIGN_UP, SIGN_IN, APPOINTMENT_BOOKING, "
            "LEAD_GENERATION, CONTACT_US, CUSTOMER_SUPPORT, SURVEY, OTHER");
    std::set<std::string> seen;
    for (std::size_t i = 0; list.is_array() && i < list.size(); ++i) {
      auto at = "/categories/" + std::to_string(i);
      if (!list[i].is_string() || !categories.count(list[i].get<std::string>()))
        c.add(at, "not one of Meta's flow categories");
      else if (!seen.insert(list[i].get<std::string>()).second)
        c.add(at, "a category is listed once");
    }
  }
  if (body.contains("endpoint_uri")) {
    const auto& e = body["endpoint_uri"];
    auto loopback = [](const std::string& u) {
      for (const char* host : {"http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:",
                               "http://localhost/", "http://[::1]:", "http://[::1]/"})
        if (u.rfind(host, 0) == 0) return true;
      return false;
    };
    if (!e.is_string() ||
        (!e.get<std::string>().empty() && e.get<std::string>().rfind("https://", 0) != 0 &&
         !loopback(e.get<std::string>())) ||
        e.get<std::string>().size() > 2048)
      c.add("/endpoint_uri",
            "endpoint_uri is an https:// URL (http:// on this machine only; empty: none)");
  }
  if (body.contains("flow_json") || !edit) {
    const auto& f = body.value("flow_json", json());
    if (f.is_null())
      c.add("/flow_json", "flow_json is required");
    else
      c.flow_json(f, "/flow_json");
  }
  return c.out;
}

std::string pointer_of_meta_path(const std::string& path, const std::string& at) {
  std::string out = at;
  std::string key;
  auto flush = [&] {
    if (!key.empty()) out += "/" + pointer_escape(key);
    key.clear();
  };
  for (std::size_t i = 0; i < path.size(); ++i) {
    char ch = path[i];
    if (ch == '.') {
      flush();
    } else if (ch == '[') {
      flush();
      auto close = path.find(']', i);
      if (close == std::string::npos) break;
      out += "/" + pointer_escape(path.substr(i + 1, close - i - 1));
      i = close;
    } else {
      key += ch;
    }
  }
  flush();
  return out;
}

std::string meta_path_of_pointer(const std::string& pointer) {
  std::string out;
  for (std::size_t start = 1; start <= pointer.size() && !pointer.empty();) {
    auto slash = pointer.find('/', start);
    auto part =
        pointer.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    for (std::size_t p = 0; (p = part.find("~1", p)) != std::string::npos;) part.replace(p, 2, "/");
    for (std::size_t p = 0; (p = part.find("~0", p)) != std::string::npos;) part.replace(p, 2, "~");
    if (!part.empty() && part.find_first_not_of("0123456789") == std::string::npos)
      out += "[" + part + "]";
    else
      out += (out.empty() ? "" : ".") + part;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

std::vector<problem> problems_of_meta(const json& validation_errors, const std::string& at) {
  std::vector<problem> out;
  if (!validation_errors.is_array()) return out;
  for (const auto& e : validation_errors) {
    if (!e.is_object()) continue;
    std::string pointer = at;
    const auto& pointers = e.value("pointers", json());
    if (pointers.is_array() && !pointers.empty() && pointers[0].is_object() &&
        pointers[0].value("path", json()).is_string())
      pointer = pointer_of_meta_path(pointers[0]["path"].get<std::string>(), at);
    auto message = e.value("message", json()).is_string()
                       ? e["message"].get<std::string>()
                       : std::string{"Meta refused the Flow JSON"};
    auto code = e.value("error", json()).is_string() ? e["error"].get<std::string>() : "";
    out.push_back({pointer, code.empty() ? message : message + " (Meta: " + code + ")"});
  }
  return out;
}

}  // namespace paige::actors::flows
