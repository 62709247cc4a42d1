#include "actors/core/code_bot_contract.hpp"

#include "common/json_text.hpp"
#include "storage/identifiers.hpp"

namespace paige::actors::bot {
namespace {

using json = nlohmann::json;

/// A column's value as the text the row's insert casts: strings as they are, numbers and
/// booleans as JSON writes them, objects and arrays as JSON text (for json/jsonb columns).
std::string column_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

struct answer_reader {
  const conversation_view& conv;
  const std::set<std::string>& reserved_tables;
  step_result out;
  std::vector<problem> problems;

  void add(std::string pointer, std::string message) {
    problems.push_back({std::move(pointer), std::move(message)});
  }

  void go_to(const json& v, const std::string& at) {
    if (!v.is_string() || v.get_ref<const std::string&>().empty() ||
        v.get_ref<const std::string&>().size() > max_state_name)
      return add(at,
                 "'goto' takes a state name of 1 to " + std::to_string(max_state_name) + " bytes");
    out.state = v.get<std::string>();
  }

  void set(const json& v, const std::string& at) {
    if (!v.is_object() || v.empty()) return add(at, "'set' takes an object of name → value");
    for (const auto& [name, value] : v.items()) {
      if (name.empty() || name.size() > 64) {
        add(at + "/" + pointer_escape(name), "variable names have 1 to 64 characters");
        continue;
      }
      if (value.is_null())
        out.vars.erase(name);
      else
        out.vars[name] = value;
    }
  }

  void save(const json& v, const std::string& at) {
    if (!v.is_object()) return add(at, "'save' takes {\"table\", \"values\"}");
    for (const auto& [key, _] : v.items())
      if (key != "table" && key != "values") add(at + "/" + pointer_escape(key), "unknown key");
    const auto& table = member_of(v, "table");
    const auto& values = member_of(v, "values");
    save_op op;
    if (!table.is_string() || !storage::valid_identifier(table.get<std::string>()))
      add(at + "/table", "a table name (lowercase letters, digits and _, at most 63)");
    else if (reserved_tables.count(table.get<std::string>()))
      add(at + "/table",
          "'" + table.get<std::string>() + "' is a system table; save into a custom table");
    else
      op.table = table.get<std::string>();
    if (!values.is_object() || values.empty())
      return add(at + "/values", "'values' takes an object of column → value");
    for (const auto& [column, value] : values.items()) {
      auto here = at + "/values/" + pointer_escape(column);
      if (!storage::valid_identifier(column))
        add(here, "'" + column + "' is not a valid column name");
      else if (!value.is_null())  // a column left out takes its default, as null would not
        op.values.emplace_back(column, column_text(value));
    }
    out.saves.push_back(std::move(op));
  }

  void read(const json& a, const std::string& at) {
    if (!a.is_object() || a.size() != 1)
      return add(at,
                 "an action is an object with exactly one key (send, goto, set, save, close, "
                 "opt_out)");
    auto only = a.begin();
    const std::string& key = only.key();
    const json& value = only.value();
    auto inner = at + "/" + pointer_escape(key);
    if (key == "send") {
      auto found = check_outbound_message(value, inner);
      if (found.empty()) out.sends.push_back(value);
      problems.insert(problems.end(), found.begin(), found.end());
    } else if (key == "goto") {
      go_to(value, inner);
    } else if (key == "set") {
      set(value, inner);
    } else if (key == "save") {
      save(value, inner);
    } else if (key == "close") {
      if (!value.is_object() || !value.empty()) return add(inner, "'close' takes {}");
      out.close = true;
    } else if (key == "opt_out") {
      if (!value.is_boolean())
        return add(inner, "'opt_out' takes true (out of marketing) or false (in again)");
      save_op op;
      op.what = save_op::kind::opt_out;
      op.opted_out = value.get<bool>();
      op.wa_id = conv.wa_id;
      out.saves.push_back(std::move(op));
    } else {
      add(inner, "unknown action '" + key + "' (send, goto, set, save, close, opt_out)");
    }
  }
};

}  // namespace

std::string event_body(const event_context& ctx, const conversation_view& conv,
                       const inbound_view& msg) {
  json message{{"id", msg.id},           {"type", msg.type},
               {"text", msg.text},       {"button_id", msg.button_id},
               {"list_id", msg.list_id}, {"raw", ctx.raw}};
  if (!msg.flow_token.empty())
    message["flow"] = {{"name", flow_name_of_token(msg.flow_token)}, {"response", msg.flow}};
  json event{{"contract", contract_version},
             {"event_id", std::to_string(ctx.event_id)},
             {"project_id", ctx.project_id},
             {"contact",
              {{"wa_id", conv.wa_id}, {"name", conv.contact_name}, {"opted_out", ctx.opted_out}}},
             {"conversation",
              {{"id", conv.conversation_id},
               {"state", conv.state},
               {"vars", conv.vars.is_object() ? conv.vars : json::object()}}},
             {"message", std::move(message)}};
  if (ctx.preview) event["preview"] = true;
  // Text from the contact may hold invalid UTF-8; it is replaced, never a reason to fail.
  return event.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::variant<step_result, std::vector<problem>> read_answer(
    std::string_view body, const conversation_view& conv,
    const std::set<std::string>& reserved_tables) {
  if (body.size() > max_answer_bytes)
    return std::vector<problem>{{"", "the answer has " + std::to_string(body.size()) +
                                         " bytes; at most " + std::to_string(max_answer_bytes)}};
  // Printing or copying a document recurses once per level: depth is checked on the text.
  if (json_text::nested_deeper_than(body, max_answer_depth))
    return std::vector<problem>{
        {"", "the answer nests deeper than " + std::to_string(max_answer_depth) + " levels"}};
  auto doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return std::vector<problem>{{"", "the answer is not a JSON object"}};
  answer_reader r{conv, reserved_tables, {}, {}};
  r.out.state = conv.state;
  r.out.vars = conv.vars.is_object() ? conv.vars : json::object();
  r.out.matched = true;
  for (const auto& [key, _] : doc.items())
    if (key != "actions")
      r.add("/" + pointer_escape(key), "unknown key (the answer holds 'actions')");
  const auto& actions = member_of(doc, "actions");
  if (!actions.is_array())
    r.add("/actions", "'actions' must be a list (empty: nothing to do)");
  else if (actions.size() > max_answer_actions)
    r.add("/actions", "at most " + std::to_string(max_answer_actions) + " actions");
  else
    for (std::size_t i = 0; i < actions.size(); ++i)
      r.read(actions[i], "/actions/" + std::to_string(i));
  if (!r.problems.empty()) return std::move(r.problems);
  auto vars_bytes = r.out.vars.dump(-1, ' ', false, json::error_handler_t::replace).size();
  if (vars_bytes > max_vars_bytes)
    return std::vector<problem>{
        {"/actions", "the answer would leave " + std::to_string(vars_bytes) +
                         " bytes of variables; at most " + std::to_string(max_vars_bytes)}};
  return std::move(r.out);
}

step_result step_of_exchange(const bot_exchange& x, const conversation_view& conv,
                             const code_target& target,
                             const std::set<std::string>& reserved_tables, std::string& skipped,
                             std::string& detail) {
  if (x.status == 200) {
    auto read = read_answer(x.body, conv, reserved_tables);
    if (auto* step = std::get_if<step_result>(&read)) return std::move(*step);
    const auto& problems = std::get<std::vector<problem>>(read);
    skipped = "bot_answer_invalid";
    detail = "the bot's answer has " + std::to_string(problems.size()) + " problem(s), first " +
             (problems.front().pointer.empty() ? std::string{"(the whole answer)"}
                                               : problems.front().pointer) +
             ": " + problems.front().message;
  } else if (x.status != 0) {
    skipped = "bot_status";
    detail = "the bot answered HTTP " + std::to_string(x.status);
  } else if (x.timed_out) {
    skipped = "bot_timeout";
    detail = "the bot did not answer within " + std::to_string(target.timeout.count()) + " ms";
  } else {
    skipped = "bot_unreachable";
    detail = "the exchange with the bot failed: " + x.error;
  }
  step_result fallback;
  fallback.state = conv.state;
  fallback.vars = conv.vars.is_object() ? conv.vars : json::object();
  if (!target.fallback.is_null()) fallback.sends.push_back(target.fallback);
  return fallback;
}

}  // namespace paige::actors::bot
