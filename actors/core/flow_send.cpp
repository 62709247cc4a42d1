#include "actors/core/flow_send.hpp"

#include "storage/identifiers.hpp"

#include <algorithm>
#include <set>

namespace paige::actors::flows {
namespace {

using json = nlohmann::json;

const json& member(const json& obj, const char* key) { return member_of(obj, key); }
const json& member(const json& obj, const std::string& key) { return member_of(obj, key.c_str()); }

const json* parameters_of(const json& message) {
  const auto& p = member(member(member(message, "interactive"), "action"), "parameters");
  return p.is_object() ? &p : nullptr;
}

/// The field a template takes whole: "{{flow.x}}" → "x" (else empty).
std::string whole_flow_field(const std::string& tmpl) {
  std::string t;
  for (char c : tmpl)
    if (!std::isspace(static_cast<unsigned char>(c))) t += c;
  if (t.rfind("{{flow.", 0) != 0 || t.size() < 10 || t.compare(t.size() - 2, 2, "}}") != 0)
    return {};
  auto field = t.substr(7, t.size() - 9);
  return field.find("{{") == std::string::npos && field.find("}}") == std::string::npos ? field
                                                                                        : "";
}

/// The name a "${form.x}" / "${data.x}" value refers to, and which ("form", "data").
std::pair<std::string, std::string> reference_of(const json& v) {
  if (!v.is_string()) return {};
  const auto& s = v.get_ref<const std::string&>();
  for (const char* kind : {"form", "data"}) {
    auto prefix = std::string{"${"} + kind + ".";
    if (s.rfind(prefix, 0) == 0 && s.back() == '}' && s.find('}') == s.size() - 1)
      return {kind, s.substr(prefix.size(), s.size() - prefix.size() - 1)};
  }
  return {};
}

/// The column type of a field a component gives.
std::string type_of_component(const json& c) {
  const auto& type = member(c, "type");
  if (type == "DatePicker") return "date";
  if (type == "CalendarPicker") return member(c, "mode") == "range" ? "jsonb" : "date";
  if (type == "OptIn") return "boolean";
  if (type == "CheckboxGroup" || type == "ChipsSelector" || type == "PhotoPicker" ||
      type == "DocumentPicker")
    return "jsonb";
  if (type == "TextInput" && member(c, "input-type") == "number") return "numeric";
  return "text";
}

std::string type_of_data(const json& decl) {
  const auto& type = member(decl, "type");
  if (type == "number") return "numeric";
  if (type == "integer") return "bigint";
  if (type == "boolean") return "boolean";
  if (type == "array" || type == "object") return "jsonb";
  return "text";
}

/// Every component of a screen, its Forms, Ifs and Switches opened.
void components(const json& list, std::vector<const json*>& out) {
  if (!list.is_array()) return;
  for (const auto& c : list) {
    if (!c.is_object()) continue;
    out.push_back(&c);
    for (const char* key : {"children", "then", "else"}) components(member(c, key), out);
    const auto& cases = member(c, "cases");
    if (cases.is_object())
      for (const auto& branch : cases) components(branch, out);
  }
}

struct flow_model {
  std::map<std::string, const json*> screens;
  std::map<std::string, std::vector<const json*>> parts;  ///< screen → its components

  explicit flow_model(const json& flow) {
    if (!flow.is_object() || !flow.value("screens", json()).is_array()) return;
    for (const auto& s : flow["screens"]) {
      if (!s.is_object() || !s.value("id", json()).is_string()) continue;
      auto id = s["id"].get<std::string>();
      screens[id] = &s;
      components(member(member(s, "layout"), "children"), parts[id]);
    }
  }

  /// The type of `${kind.name}` on screen `id`, traced back through navigate payloads.
  std::string type_of(const std::string& id, const std::string& kind, const std::string& name,
                      int depth) const {
    if (depth > 16 || !screens.count(id)) return "text";
    if (kind == "form") {
      for (const auto* c : parts.at(id))
        if (member(*c, "name") == name) return type_of_component(*c);
      return "text";
    }
    // Screen data: what a navigate to this screen puts there, else its declaration.
    for (const auto& [from, list] : parts)
      for (const auto* c : list)
        for (const char* key : {"on-click-action", "on-select-action"}) {
          const auto& a = member(*c, key);
          if (member(a, "name") != "navigate" || member(member(a, "next"), "name") != id) continue;
          auto ref = reference_of(member(member(a, "payload"), name));
          if (!ref.first.empty()) return type_of(from, ref.first, ref.second, depth + 1);
        }
    return type_of_data(member(member(*screens.at(id), "data"), name));
  }

  /// The type of an answer's field: the complete payload's value that gives it.
  std::string type_of_answer(const std::string& field) const {
    for (const auto& [id, list] : parts)
      for (const auto* c : list) {
        const auto& a = member(*c, "on-click-action");
        if (member(a, "name") != "complete") continue;
        auto ref = reference_of(member(member(a, "payload"), field));
        if (!ref.first.empty()) return type_of(id, ref.first, ref.second, 0);
      }
    return "text";
  }
};

}  // namespace

void catalog::remove_id(const std::string& meta_id) {
  for (auto it = by_name_.begin(); it != by_name_.end();)
    it = it->second.meta_id == meta_id ? by_name_.erase(it) : std::next(it);
}

const flow_ref* catalog::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &it->second;
}

std::string catalog::name_of_id(const std::string& meta_id) const {
  for (const auto& [name, ref] : by_name_)
    if (ref.meta_id == meta_id) return name;
  return {};
}

namespace {

/// The template's buttons (Meta's shape), or an empty list.
const json& buttons_of(const json& stored) {
  static const json none = json::array();
  const auto& comps = member(stored, "components");
  if (!comps.is_array()) return none;
  for (const auto& c : comps) {
    const auto& type = member(c, "type");
    if (type.is_string() && (type == "BUTTONS" || type == "buttons")) {
      const auto& list = member(c, "buttons");
      return list.is_array() ? list : none;
    }
  }
  return none;
}

bool is_flow_button(const json& button) {
  const auto& type = member(button, "type");
  return type == "FLOW" || type == "flow";
}

/// Whether a send's component is the parameter of button `index`.
bool is_button_at(const json& component, std::size_t index) {
  if (member(component, "type") != "button") return false;
  const auto& i = member(component, "index");
  if (i.is_number_unsigned()) return i.get<std::size_t>() == index;
  return i.is_string() && i.get_ref<const std::string&>() == std::to_string(index);
}

/// The project's flow a template's FLOW button names ("" when it names none of them).
std::string flow_of_button(const catalog& flows, const json& button) {
  const auto& name = member(button, "flow_name");
  if (name.is_string() && flows.find(name.get<std::string>())) return name.get<std::string>();
  const auto& id = member(button, "flow_id");
  if (id.is_string()) return flows.name_of_id(id.get<std::string>());
  if (id.is_number()) return flows.name_of_id(id.dump());
  return {};
}

}  // namespace

std::vector<std::pair<std::string, std::string>> tokens_of(const json& message) {
  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&out](const json& token) {
    if (token.is_string() && !token.get_ref<const std::string&>().empty())
      out.emplace_back(token.get<std::string>(), bot::flow_name_of_token(token.get<std::string>()));
  };
  if (is_flow_send(message)) {
    if (const auto* p = parameters_of(message)) add(member(*p, "flow_token"));
    return out;
  }
  if (member(message, "type") != "template") return out;
  const auto& comps = member(member(message, "template"), "components");
  if (!comps.is_array()) return out;
  for (const auto& c : comps) {
    if (member(c, "sub_type") != "flow") continue;
    const auto& params = member(c, "parameters");
    if (params.is_array() && !params.empty())
      add(member(member(params[0], "action"), "flow_token"));
  }
  return out;
}

std::vector<bot::save_op> token_saves(const std::vector<json>& sends, const std::string& wa_id) {
  std::vector<bot::save_op> out;
  for (const auto& m : sends)
    for (auto& [token, name] : tokens_of(m)) {
      bot::save_op op{{}, {{"token", token}, {"flow_name", name}, {"wa_id", wa_id}}};
      op.what = bot::save_op::kind::flow_token;
      out.push_back(std::move(op));
    }
  return out;
}

bool has_flow_button(const json& stored) {
  const auto& buttons = buttons_of(stored);
  return std::any_of(buttons.begin(), buttons.end(), is_flow_button);
}

json prepare_template_flows(const catalog& flows, const json& stored, json message,
                            const std::string& token_suffix) {
  if (member(message, "type") != "template" || !member(message, "template").is_object())
    return message;
  const auto& buttons = buttons_of(stored);
  auto& t = message["template"];
  for (std::size_t i = 0; i < buttons.size(); ++i) {
    if (!is_flow_button(buttons[i])) continue;
    auto name = flow_of_button(flows, buttons[i]);
    if (name.empty()) continue;
    if (!t.contains("components")) t["components"] = json::array();
    auto& comps = t["components"];
    if (!comps.is_array()) return message;  // the template checker's to refuse
    auto it =
        std::find_if(comps.begin(), comps.end(), [i](const json& c) { return is_button_at(c, i); });
    if (it == comps.end()) {
      comps.push_back({{"type", "button"},
                       {"sub_type", "flow"},
                       {"index", std::to_string(i)},
                       {"parameters", {{{"type", "action"}, {"action", json::object()}}}}});
      it = std::prev(comps.end());
    }
    // A parameter of the wrong shape is the template checker's to refuse.
    auto params = it->find("parameters");
    if (params == it->end() || !params->is_array() || params->empty() ||
        !member((*params)[0], "action").is_object())
      continue;
    auto& action = (*params)[0]["action"];
    const auto& given = member(action, "flow_token");
    if (!given.is_string() || given.get_ref<const std::string&>().empty())
      action["flow_token"] = name + ":" + token_suffix;
  }
  return message;
}

bool is_flow_send(const json& message) {
  return member(message, "type") == "interactive" &&
         member(member(message, "interactive"), "type") == "flow";
}

prepared_send prepare_send(const catalog& flows, json message, const std::string& token_suffix,
                           const std::string& at) {
  prepared_send out;
  if (!is_flow_send(message)) {
    out.message = std::move(message);
    return out;
  }
  auto params_at = at + "/interactive/action/parameters";
  const auto* params = parameters_of(message);
  if (!params) {
    out.refusal = problem{params_at, "a flow message has action.parameters"};
    return out;
  }
  auto p = *params;
  auto name = p.value("flow_name", json()).is_string() ? p["flow_name"].get<std::string>() : "";
  if (name.empty()) {
    // A flow named by Meta's id goes as it is (a flow made outside Paige); a token is made.
    if (!p.value("flow_id", json()).is_string() || p["flow_id"].get<std::string>().empty()) {
      out.refusal = problem{params_at + "/flow_name", "flow_name (the project's flow) is required"};
      return out;
    }
  } else {
    const auto* f = flows.find(name);
    if (!f) {
      out.not_found = true;
      out.refusal = problem{params_at + "/flow_name", "the project has no flow '" + name + "'"};
      return out;
    }
    if (f->status == "DEPRECATED" || f->status == "BLOCKED") {
      out.refusal = problem{params_at + "/flow_name",
                            "flow '" + name + "' is " + f->status + ": Meta does not send it"};
      return out;
    }
    p.erase("flow_name");
    p["flow_id"] = f->meta_id;
    if (f->status == "DRAFT" && !p.contains("mode")) p["mode"] = "draft";
  }
  // A token is stored and indexed with its send: a bounded one.
  if (const auto& given = member(p, "flow_token");
      given.is_string() && given.get_ref<const std::string&>().size() > 256) {
    out.refusal = problem{params_at + "/flow_token", "a flow_token has at most 256 bytes"};
    return out;
  }
  if (!p.value("flow_token", json()).is_string() || p["flow_token"].get<std::string>().empty())
    p["flow_token"] = (name.empty() ? p["flow_id"].get<std::string>() : name) + ":" + token_suffix;
  if (!p.contains("flow_message_version")) p["flow_message_version"] = "3";
  message["interactive"]["action"]["parameters"] = std::move(p);
  if (!message["interactive"]["action"].contains("name"))
    message["interactive"]["action"]["name"] = "flow";
  out.message = std::move(message);
  return out;
}

std::vector<bot::save_op> answer_saves(const catalog& flows, const bot::conversation_view& conv,
                                       const bot::inbound_view& msg) {
  std::vector<bot::save_op> out;
  if (msg.flow_token.empty()) return out;
  auto name = bot::flow_name_of_token(msg.flow_token);
  const auto* f = flows.find(name);
  if (!f) return out;
  bot::save_op answer;
  answer.what = bot::save_op::kind::flow_answer;
  answer.values = {{"flow_name", name},
                   {"flow_id", f->meta_id},
                   {"flow_token", msg.flow_token},
                   {"response", msg.flow.dump(-1, ' ', false, json::error_handler_t::replace)},
                   {"wamid", msg.id}};
  out.push_back(std::move(answer));
  const auto& map = f->answers;
  if (map.is_object() && map.value("table", json()).is_string() &&
      map.value("columns", json()).is_object()) {
    bot::save_op row{map["table"].get<std::string>(), {}};
    for (const auto& [column, tmpl] : map["columns"].items())
      if (tmpl.is_string())
        row.values.emplace_back(
            column, bot::interpolate(tmpl.get<std::string>(), conv, msg, conv.state, conv.vars));
    if (!row.values.empty()) out.push_back(std::move(row));
  }
  return out;
}

std::vector<problem> check_answers(const json& answers, const std::string& at) {
  std::vector<problem> out;
  if (answers.is_null()) return out;  // no mapping
  if (!answers.is_object())
    return {{at, "answers is {\"table\", \"columns\": {column: template}, \"create_table\"?}"}};
  for (const auto& [k, v] : answers.items())
    if (k != "table" && k != "columns" && k != "create_table")
      out.push_back({at + "/" + pointer_escape(k), "'" + k + "' is not an answers property"});
  const auto& table = answers.value("table", json());
  if (!table.is_string() || !storage::valid_identifier(table.get<std::string>()))
    out.push_back({at + "/table", "table is a table name (letters, digits and _)"});
  else if (storage::is_system_table(table.get<std::string>()))
    out.push_back({at + "/table", "'" + table.get<std::string>() +
                                      "' is a system table: answers go into a custom table"});
  const auto& columns = answers.value("columns", json());
  if (!columns.is_object() || columns.empty())
    out.push_back({at + "/columns",
                   "columns maps each column to a template such as "
                   "\"{{flow.name}}\" or \"{{contact.wa_id}}\""});
  if (columns.is_object())
    for (const auto& [column, tmpl] : columns.items()) {
      auto column_at = at + "/columns/" + pointer_escape(column);
      if (!storage::valid_identifier(column))
        out.push_back({column_at, "'" + std::string{column} + "' is not a column name"});
      else if (!tmpl.is_string())
        out.push_back({column_at, "a column's value is a template (text)"});
    }
  if (answers.contains("create_table") && !answers["create_table"].is_boolean())
    out.push_back({at + "/create_table", "create_table is true or false"});
  return out;
}

json answer_columns(const json& answers, const json& flow_json) {
  flow_model model{flow_json};
  json out = json::array();
  const auto& columns = member(answers, "columns");
  if (!columns.is_object()) return out;
  for (const auto& [column, tmpl] : columns.items()) {
    auto field = tmpl.is_string() ? whole_flow_field(tmpl.get<std::string>()) : "";
    out.push_back(
        {{"name", column}, {"type", field.empty() ? "text" : model.type_of_answer(field)}});
  }
  return out;
}

}  // namespace paige::actors::flows
