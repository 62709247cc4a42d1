#include "actors/core/bot_definition.hpp"

#include "storage/identifiers.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>

namespace paige::actors::bot {
namespace {

using json = nlohmann::json;

using storage::valid_identifier;

/// A pattern RE2 accepts within the limits, or why not.
std::variant<std::shared_ptr<const re2::RE2>, std::string> compile_pattern(
    const std::string& pattern) {
  if (pattern.size() > max_pattern_bytes)
    return "the pattern has " + std::to_string(pattern.size()) + " bytes; at most " +
           std::to_string(max_pattern_bytes) + " are allowed";
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(pattern_memory_bytes);
  auto re = std::make_shared<const re2::RE2>(pattern, options);
  if (!re->ok()) return "invalid regular expression (RE2 syntax): " + re->error();
  if (re->ProgramSize() > max_pattern_program)
    return "the pattern is too complex (" + std::to_string(re->ProgramSize()) +
           " instructions; at most " + std::to_string(max_pattern_program) +
           "): simplify it or split it over several routes";
  return re;
}

struct compiler {
  const std::set<std::string>& reserved_tables;
  compile_mode mode;
  std::vector<problem> problems;
  code_target_rules code_rules;

  void add(const std::string& at, std::string message) {
    problems.push_back({at, std::move(message)});
  }

  void only_keys(const json& obj, const std::string& at,
                 std::initializer_list<const char*> allowed) {
    for (const auto& item : obj.items()) {
      const auto& key = item.key();
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; }))
        add(at + "/" + pointer_escape(key), "unknown key '" + key + "'");
    }
  }

  std::string string_at(const json& obj, const char* key, const std::string& at) {
    if (!obj.contains(key)) {
      add(at + "/" + key, std::string{"'"} + key + "' is required");
      return {};
    }
    if (!obj[key].is_string() || obj[key].get<std::string>().empty()) {
      add(at + "/" + key, std::string{"'"} + key + "' must be a non-empty string");
      return {};
    }
    return obj[key].get<std::string>();
  }

  matcher compile_matcher(const json& when, const std::string& at) {
    matcher m;
    if (when.is_string()) {
      if (when != "always") add(at, "a matcher is \"always\" or an object");
      return m;
    }
    if (!when.is_object() || when.size() != 1) {
      add(at, "a matcher is \"always\" or an object with exactly one key");
      return m;
    }
    auto [key, value] = *when.items().begin();
    auto here = at + "/" + pointer_escape(key);
    if (!value.is_string()) {
      add(here, "'" + key + "' takes a string");
      return m;
    }
    m.value = value.get<std::string>();
    if (key == "text_equals") {
      m.what = matcher::kind::text_equals;
      m.value = fold_text(m.value);
    } else if (key == "text_matches") {
      m.what = matcher::kind::text_matches;
      auto compiled = compile_pattern(m.value);
      if (auto* re = std::get_if<std::shared_ptr<const re2::RE2>>(&compiled))
        m.re = std::move(*re);
      else if (mode == compile_mode::submitted)
        add(here, std::get<std::string>(compiled));
    } else if (key == "button_id") {
      m.what = matcher::kind::button_id;
    } else if (key == "list_id") {
      m.what = matcher::kind::list_id;
    } else if (key == "type") {
      m.what = matcher::kind::type;
    } else if (key == "flow") {
      m.what = matcher::kind::flow;
    } else {
      add(here, "unknown matcher '" + key +
                    "' (always, text_equals, text_matches, button_id, list_id, type, flow)");
    }
    return m;
  }

  std::vector<std::pair<std::string, std::string>> templates(const json& obj, const std::string& at,
                                                             bool columns) {
    std::vector<std::pair<std::string, std::string>> out;
    if (!obj.is_object() || obj.empty()) {
      add(at, "must be an object of name → template");
      return out;
    }
    for (const auto& [name, tmpl] : obj.items()) {
      auto here = at + "/" + pointer_escape(name);
      if (columns ? !valid_identifier(name) : name.empty() || name.size() > 64)
        add(here, columns ? "'" + name + "' is not a valid column name"
                          : "variable names have 1 to 64 characters");
      if (!tmpl.is_string())
        add(here, "a template must be a string");
      else
        out.emplace_back(name, tmpl.get<std::string>());
    }
    return out;
  }

  /// A query action's branch (`then`, `else`, `on_error`), if given.
  std::shared_ptr<const std::vector<action>> branch(const json& q, const char* key,
                                                    const std::string& at, int depth) {
    if (!q.contains(key)) return nullptr;
    return std::make_shared<const std::vector<action>>(
        compile_actions(q[key], at + "/" + key, depth + 1));
  }

  std::vector<action> compile_actions(const json& list, const std::string& at, int depth = 0) {
    std::vector<action> out;
    if (!list.is_array()) {
      add(at, "'then' must be a list of actions");
      return out;
    }
    if (depth > max_branch_depth) {
      add(at, "queries and requests nest at most " + std::to_string(max_branch_depth) + " deep");
      return out;
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      auto here = at + "/" + std::to_string(i);
      const auto& a = list[i];
      if (!a.is_object() || a.size() != 1) {
        add(here,
            "an action is an object with exactly one key (send, goto, set, save, close, opt_out, "
            "query, http)");
        continue;
      }
      auto [key, value] = *a.items().begin();
      auto inner = here + "/" + pointer_escape(key);
      action act;
      if (key == "send") {
        act.what = action::kind::send;
        for (auto& p : check_outbound_message(value, inner)) problems.push_back(std::move(p));
        act.message = value;
      } else if (key == "goto") {
        act.what = action::kind::go_to;
        if (!value.is_string())
          add(inner, "'goto' takes a state name");
        else
          act.target = value.get<std::string>();
      } else if (key == "set") {
        act.what = action::kind::set;
        act.values = templates(value, inner, false);
      } else if (key == "save") {
        act.what = action::kind::save;
        if (!value.is_object()) {
          add(inner, "'save' takes {\"table\", \"values\"}");
          continue;
        }
        only_keys(value, inner, {"table", "values"});
        act.target = string_at(value, "table", inner);
        if (!act.target.empty() && !valid_identifier(act.target))
          add(inner + "/table", "'" + act.target + "' is not a valid table name");
        else if (reserved_tables.count(act.target))
          add(inner + "/table", "'" + act.target + "' is a system table; save into a custom table");
        act.values = templates(value.value("values", json()), inner + "/values", true);
      } else if (key == "close") {
        act.what = action::kind::close;
        if (!value.is_object() || !value.empty()) add(inner, "'close' takes {}");
      } else if (key == "opt_out") {
        act.what = action::kind::opt_out;
        if (!value.is_boolean())
          add(inner, "'opt_out' takes true (out of marketing) or false (in again)");
        else
          act.flag = value.get<bool>();
      } else if (key == "query" || key == "http") {
        act.what = key == "query" ? action::kind::query : action::kind::http;
        if (!value.is_object()) {
          add(inner, "'" + key + "' takes {\"name\", \"then\"?, \"else\"?, \"on_error\"?}");
          continue;
        }
        only_keys(value, inner, {"name", "then", "else", "on_error"});
        act.target = string_at(value, "name", inner);
        act.found = branch(value, "then", inner, depth);
        act.none = branch(value, "else", inner, depth);
        act.failed = branch(value, "on_error", inner, depth);
      } else {
        add(inner,
            "unknown action '" + key + "' (send, goto, set, save, close, opt_out, query, http)");
        continue;
      }
      out.push_back(std::move(act));
    }
    return out;
  }

  /// The definition's `queries`: {"<name>": {"sql", "params"?, "timeout_ms"?}}.
  std::map<std::string, query> compile_queries(const json& doc) {
    std::map<std::string, query> out;
    if (!doc.contains("queries")) return out;
    const auto& qs = doc["queries"];
    if (!qs.is_object()) {
      add("/queries", "'queries' must be an object of name → {\"sql\", \"params\"?}");
      return out;
    }
    if (qs.size() > max_queries)
      add("/queries", "at most " + std::to_string(max_queries) + " queries");
    for (const auto& [name, q] : qs.items()) {
      auto at = "/queries/" + pointer_escape(name);
      if (!valid_identifier(name))
        add(at, "'" + name + "' is not a valid query name (letters, digits and _)");
      if (!q.is_object()) {
        add(at, "a query is {\"sql\", \"params\"?, \"timeout_ms\"?}");
        continue;
      }
      only_keys(q, at, {"sql", "params", "timeout_ms"});
      query compiled;
      compiled.sql = string_at(q, "sql", at);
      if (compiled.sql.size() > max_query_sql)
        add(at + "/sql", "the SQL has " + std::to_string(compiled.sql.size()) + " bytes; at most " +
                             std::to_string(max_query_sql));
      const auto& params = member_of(q, "params");
      if (!params.is_null() && !params.is_array())
        add(at + "/params", "'params' must be a list of templates");
      else if (params.size() > max_query_params)
        add(at + "/params", "at most " + std::to_string(max_query_params) + " parameters");
      else
        for (std::size_t i = 0; i < params.size(); ++i) {
          if (!params[i].is_string())
            add(at + "/params/" + std::to_string(i), "a parameter is a template (a string)");
          else
            compiled.params.push_back(params[i].get<std::string>());
        }
      read_timeout_ms(q, at, max_query_timeout, compiled.timeout, problems);
      out.emplace(name, std::move(compiled));
    }
    return out;
  }

  state compile_state(const json& s, const std::string& at) {
    state out;
    if (!s.is_object()) {
      add(at, "a state must be an object");
      return out;
    }
    auto kind = string_at(s, "kind", at);
    if (kind == "await") {
      only_keys(s, at, {"kind", "routes"});
      if (!s.contains("routes") || !s["routes"].is_array()) {
        add(at + "/routes", "an await state needs 'routes' (a list)");
        return out;
      }
      if (s["routes"].size() > max_routes_per_state)
        add(at + "/routes",
            "at most " + std::to_string(max_routes_per_state) + " routes per state");
      int program = 0;
      for (std::size_t i = 0; i < s["routes"].size() && i < max_routes_per_state; ++i) {
        auto here = at + "/routes/" + std::to_string(i);
        const auto& r = s["routes"][i];
        if (!r.is_object()) {
          add(here, "a route is {\"when\", \"then\"}");
          continue;
        }
        only_keys(r, here, {"when", "then"});
        if (!r.contains("when")) add(here + "/when", "'when' is required");
        if (!r.contains("then")) add(here + "/then", "'then' is required");
        out.routes.push_back({compile_matcher(r.value("when", json("always")), here + "/when"),
                              compile_actions(r.value("then", json::array()), here + "/then")});
        if (const auto& re = out.routes.back().when.re) program += re->ProgramSize();
      }
      if (program > max_state_program && mode == compile_mode::submitted)
        add(at + "/routes", "the state's text_matches patterns are too complex together (" +
                                std::to_string(program) + " instructions; at most " +
                                std::to_string(max_state_program) + ")");
    } else if (kind == "send") {
      out.what = state::kind::send;
      only_keys(s, at, {"kind", "then", "next"});
      out.then = compile_actions(s.value("then", json()), at + "/then");
      out.next = string_at(s, "next", at);
    } else if (!kind.empty()) {
      add(at + "/kind", "a state's kind is 'await' or 'send'");
    }
    return out;
  }

  /// Calls `fn(action, pointer)` on each action of `actions` and of their branches.
  template <class F>
  static void each_action(const std::vector<action>& actions, const std::string& at, F&& fn) {
    for (std::size_t i = 0; i < actions.size(); ++i) {
      const auto& a = actions[i];
      auto here = at + "/" + std::to_string(i);
      fn(a, here);
      if (a.what != action::kind::query && a.what != action::kind::http) continue;
      auto key = a.what == action::kind::query ? "/query" : "/http";
      if (a.found) each_action(*a.found, here + key + "/then", fn);
      if (a.none) each_action(*a.none, here + key + "/else", fn);
      if (a.failed) each_action(*a.failed, here + key + "/on_error", fn);
    }
  }

  /// The send states a send state's entry may go to straight away (a goto in its actions).
  static std::set<std::string> send_jumps(const definition& d, const state& st) {
    std::set<std::string> out;
    each_action(st.then, "", [&](const action& a, const std::string&) {
      auto it = d.states.find(a.target);
      if (a.what == action::kind::go_to && it != d.states.end() &&
          it->second.what == state::kind::send)
        out.insert(a.target);
    });
    return out;
  }

  /// The most send states entering `name` may chain (itself included), memoized in `chain`
  /// (0: being measured, so reaching it again is a loop: -1).
  static int longest_chain(const definition& d, const std::string& name,
                           std::map<std::string, int>& chain) {
    auto [it, fresh] = chain.emplace(name, 0);
    if (!fresh) return it->second == 0 ? -1 : it->second;
    int longest = 1;
    for (const auto& next : send_jumps(d, d.states.at(name))) {
      auto n = longest_chain(d, next, chain);
      if (n < 0) return chain[name] = -1;
      longest = std::max(longest, n + 1);
    }
    return chain[name] = longest;
  }

  void check_references(const definition& d) {
    auto known = [&](const std::string& s) { return d.states.count(s) > 0; };
    if (!d.initial_state.empty() && !known(d.initial_state))
      add("/initial_state", "unknown state '" + d.initial_state + "'");
    auto check_actions = [&](const std::vector<action>& actions, const std::string& at) {
      each_action(actions, at, [&](const action& a, const std::string& here) {
        if (a.what == action::kind::go_to && !a.target.empty() && !known(a.target))
          add(here + "/goto", "unknown state '" + a.target + "'");
        if (a.what == action::kind::query && !a.target.empty() && !d.queries.count(a.target))
          add(here + "/query/name", "unknown query '" + a.target + "' (see 'queries')");
        if (a.what == action::kind::http && !a.target.empty() && !d.requests.count(a.target))
          add(here + "/http/name", "unknown request '" + a.target + "' (see 'requests')");
      });
    };
    for (const auto& [name, st] : d.states) {
      auto at = "/states/" + pointer_escape(name);
      if (st.what == state::kind::send) {
        check_actions(st.then, at + "/then");
        if (!st.next.empty() && !known(st.next))
          add(at + "/next", "unknown state '" + st.next + "'");
        else if (!st.next.empty() && d.states.at(st.next).what != state::kind::await)
          add(at + "/next", "'next' must name an await state");
      } else {
        for (std::size_t r = 0; r < st.routes.size(); ++r)
          check_actions(st.routes[r].then, at + "/routes/" + std::to_string(r) + "/then");
      }
    }
    if (!problems.empty()) return;
    // A goto from a send state's entry into another send state chains entries: reject loops
    // and chains longer than max_send_chain.
    // (Memoized: a state is measured once, whatever the number of paths through it.)
    std::map<std::string, int> chain;
    for (const auto& [name, st] : d.states) {
      if (st.what != state::kind::send) continue;
      auto n = longest_chain(d, name, chain);
      if (n < 0)
        add("/states/" + pointer_escape(name),
            "entering it can loop through send states forever (a goto back to one already "
            "entered)");
      else if (n > max_send_chain)
        add("/states/" + pointer_escape(name), "more than 16 send states in a row");
    }
  }
};

/// Whether a string anywhere in `doc` holds {{conversation.id}} (spaces inside the braces
/// ignored, as interpolation does).
bool reads_conversation_id(const nlohmann::json& doc) {
  if (doc.is_string()) {
    auto text = doc.get<std::string>();
    text.erase(
        std::remove_if(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); }),
        text.end());
    return text.find("{{conversation.id}}") != std::string::npos;
  }
  if (doc.is_structured())
    for (const auto& item : doc)
      if (reads_conversation_id(item)) return true;
  return false;
}

}  // namespace

std::string fold_text(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::variant<definition, std::vector<problem>> compile(const nlohmann::json& doc,
                                                       const std::set<std::string>& reserved_tables,
                                                       compile_mode mode,
                                                       const code_target_rules& code_rules) {
  compiler c{reserved_tables, mode, {}, code_rules};
  // A stored version's URLs were checked when it was submitted.
  if (mode == compile_mode::stored) c.code_rules.http_loopback = true;
  definition d;
  if (!doc.is_object()) return std::vector<problem>{{"", "a bot definition is a JSON object"}};
  if (is_code_bot(doc)) {
    auto target = read_code_target(doc, c.code_rules, d.initial_state);
    if (auto* problems = std::get_if<std::vector<problem>>(&target)) return std::move(*problems);
    d.code = std::make_shared<const code_target>(std::move(std::get<code_target>(target)));
    d.source = doc;
    return d;
  }
  if (mode == compile_mode::submitted) {
    auto bytes = doc.dump().size();
    if (bytes > max_definition_bytes)
      return std::vector<problem>{{"", "the definition has " + std::to_string(bytes) +
                                           " bytes as JSON; at most " +
                                           std::to_string(max_definition_bytes) + " are allowed"}};
  }
  d.source = doc;
  c.only_keys(doc, "", {"initial_state", "states", "queries", "requests"});
  d.initial_state = c.string_at(doc, "initial_state", "");
  d.queries = c.compile_queries(doc);
  d.requests = compile_requests(doc, c.code_rules, c.problems);
  if (!doc.contains("states") || !doc["states"].is_object() || doc["states"].empty()) {
    c.add("/states", "'states' must be an object with at least one state");
  } else if (doc["states"].size() > max_states) {
    c.add("/states", "at most " + std::to_string(max_states) + " states");
  } else {
    for (const auto& [name, st] : doc["states"].items()) {
      if (name.empty() || name.size() > 100)
        c.add("/states/" + pointer_escape(name), "state names have 1 to 100 characters");
      d.states[name] = c.compile_state(st, "/states/" + pointer_escape(name));
    }
  }
  if (c.problems.empty()) c.check_references(d);
  if (!c.problems.empty()) return std::move(c.problems);
  d.reads_conversation_id = reads_conversation_id(doc);
  return d;
}

const nlohmann::json& starter_bot() {
  static const json bot = json::parse(R"json({
    "initial_state": "unstructured",
    "states": {
      "unstructured": {
        "kind": "await",
        "routes": [
          {"when": {"text_matches": "(?i)^\\s*book"}, "then": [{"goto": "ask_name"}]},
          {"when": {"button_id": "support"}, "then": [{"goto": "support"}]},
          {"when": "always", "then": [
            {"send": {"type": "interactive", "interactive": {"type": "button",
              "body": {"text": "Hi {{contact.name}}! How can I help?"},
              "action": {"buttons": [
                {"type": "reply", "reply": {"id": "book", "title": "Book"}},
                {"type": "reply", "reply": {"id": "support", "title": "Support"}}]}}}}
          ]}
        ]
      },
      "ask_name": {
        "kind": "send",
        "then": [{"send": {"type": "text", "text": {"body": "What's your name?"}}}],
        "next": "collect_info"
      },
      "collect_info": {
        "kind": "await",
        "routes": [
          {"when": {"type": "text"}, "then": [
            {"set": {"name": "{{message.text}}"}},
            {"send": {"type": "text", "text": {"body": "Thanks, {{vars.name}}!"}}},
            {"goto": "unstructured"}]}
        ]
      },
      "support": {
        "kind": "await",
        "routes": [{"when": "always", "then": [
          {"send": {"type": "text", "text": {"body": "A teammate will answer soon."}}}]}]
      }
    }
  })json");
  return bot;
}

const nlohmann::json& echo_bot() {
  static const json bot = json::parse(R"json({"initial_state": "unstructured",
    "states": {"unstructured": {"kind": "await", "routes": [
      {"when": "always", "then": [
        {"send": {"type": "text", "text": {"body": "echo: {{message.text}}"}}}]}]}}})json");
  return bot;
}

}  // namespace paige::actors::bot
