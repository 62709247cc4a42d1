#include "actors/core/bot_interpreter.hpp"

#include "common/url_text.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>

namespace paige::actors::bot {
namespace {

using json = nlohmann::json;

/// Cuts `s` to at most `limit` bytes without splitting a UTF-8 character.
void cut_utf8(std::string& s, std::size_t limit) {
  if (s.size() <= limit) return;
  auto end = limit;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  s.resize(end);
}

/// Thrown to stop a step at a query not run yet (run_step returns it in `fetch`).
struct waits_for_query {};

/// `{{query.<name>.<row>.<column>}}` (or a whole row) or `{{query.<name>.count}}` in `results`,
/// as text (nothing when absent).
std::string query_value(const json& results, const std::string& path) {
  auto dot = path.find('.');
  if (dot == std::string::npos) return {};
  auto it = results.find(path.substr(0, dot));
  if (it == results.end() || !it->is_array()) return {};
  auto rest = path.substr(dot + 1);
  if (rest == "count") return std::to_string(it->size());
  auto column_dot = rest.find('.');
  auto row_text = rest.substr(0, column_dot);
  if (row_text.empty() || row_text.size() > 3 ||
      !std::all_of(row_text.begin(), row_text.end(),
                   [](unsigned char c) { return std::isdigit(c); }))
    return {};
  auto row = std::stoul(row_text);
  if (row >= it->size()) return {};
  const auto& r = (*it)[row];
  if (column_dot == std::string::npos) return text_of(r);
  auto column = r.find(rest.substr(column_dot + 1));
  return column == r.end() ? std::string{} : text_of(*column);
}

/// Executes actions and send-state entries while tracking the state.
struct runner {
  const definition& bot;
  const conversation_view& conv;
  const inbound_view& msg;
  step_result& out;
  const std::vector<fetch_result>& fetched;
  int entered = 0;
  bool set_vars = false;
  std::size_t filled = 0;         ///< bytes interpolated so far in this step
  std::size_t queries = 0;        ///< queries reached so far in this step
  json results = json::object();  ///< rows of the queries run so far, by name
  json answers = json::object();  ///< answers of the requests made so far, by name

  std::string fill(const std::string& tmpl, bool url = false) {
    auto text = interpolate(tmpl, conv, msg, out.state, out.vars, &results, &answers, url);
    // Each value is bounded; so is their sum: a definition holds thousands of templates.
    filled += text.size();
    if (filled > max_step_output_bytes)
      throw step_refused("output_too_large",
                         "the step's messages, variables and rows would hold more than " +
                             std::to_string(max_step_output_bytes) + " bytes");
    return text;
  }

  json fill_message(const json& j) {
    if (j.is_string()) return fill(j.get<std::string>());
    if (j.is_array()) {
      json arr = json::array();
      for (const auto& e : j) arr.push_back(fill_message(e));
      return arr;
    }
    if (j.is_object()) {
      json obj = json::object();
      for (const auto& [k, v] : j.items()) obj[k] = fill_message(v);
      return obj;
    }
    return j;
  }

  /// Runs `actions`; returns whether one of them was a goto.
  bool run(const std::vector<action>& actions) {
    bool moved = false;
    for (const auto& a : actions) {
      switch (a.what) {
        case action::kind::send:
          out.sends.push_back(fill_message(a.message));
          break;
        case action::kind::set:
          for (const auto& [name, tmpl] : a.values) out.vars[name] = fill(tmpl);
          set_vars = true;
          break;
        case action::kind::save: {
          save_op op{a.target, {}};
          for (const auto& [column, tmpl] : a.values) op.values.emplace_back(column, fill(tmpl));
          out.saves.push_back(std::move(op));
          break;
        }
        case action::kind::close:
          out.close = true;
          break;
        case action::kind::opt_out: {
          save_op op;
          op.what = save_op::kind::opt_out;
          op.opted_out = a.flag;
          op.wa_id = conv.wa_id;
          out.saves.push_back(std::move(op));
          break;
        }
        case action::kind::go_to:
          moved = true;
          enter(a.target);
          break;
        case action::kind::query:
          if (const auto* branch = query(a.target, a)) moved = run(*branch) || moved;
          break;
        case action::kind::http:
          if (const auto* branch = request(a.target, a)) moved = run(*branch) || moved;
          break;
      }
    }
    return moved;
  }

  /// Reaches query `name` of action `a`: the branch to run with its rows (null: none), or, the
  /// first time, the request for it (thrown: the step stops there).
  /// The index of the step's next query or request.
  std::size_t next_fetch() {
    auto index = queries++;
    if (index >= max_queries_per_step)
      throw step_refused("too_many_queries", "the step would run more than " +
                                                 std::to_string(max_queries_per_step) +
                                                 " queries and requests");
    return index;
  }

  const std::vector<action>* query(const std::string& name, const action& a) {
    auto index = next_fetch();
    const auto& q = bot.queries.at(name);
    if (index == fetched.size()) {
      fetch_request request;
      request.name = name;
      request.sql = q.sql;
      request.timeout = q.timeout;
      for (const auto& p : q.params) request.params.push_back(fill(p));
      out.fetch = std::move(request);
      throw waits_for_query{};
    }
    for (const auto& p : q.params) fill(p);  // counted as in the round that asked
    const auto& got = fetched[index];
    if (!got.ok) {
      if (!a.failed)
        throw step_refused("query_failed", "the query '" + name + "' failed: " + got.error);
      return a.failed.get();
    }
    results[name] = got.rows.is_array() ? got.rows : json::array();
    const auto& branch = got.rows.empty() ? a.none : a.found;
    return branch.get();
  }

  /// Reaches request `name` of action `a`, as query() does: its answer picks the branch (2xx:
  /// `then`; another status: `else`; none: `on_error`).
  const std::vector<action>* request(const std::string& name, const action& a) {
    auto index = next_fetch();
    const auto& call = bot.requests.at(name);
    fetch_request r;
    r.what = fetch_request::kind::http;
    r.name = name;
    r.method = call.method;
    r.url = fill(call.url, true);
    for (const auto& h : call.headers) {
      // A header cannot be split: its values' line breaks become spaces.
      auto value = h.secret.empty() ? fill(h.value) : h.value;
      std::replace_if(
          value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; },
          ' ');
      r.headers.push_back({h.name, std::move(value), h.secret});
    }
    if (!call.body.is_null())
      r.body = fill_message(call.body).dump(-1, ' ', false, json::error_handler_t::replace);
    r.timeout = call.timeout;
    if (index == fetched.size()) {
      out.fetch = std::move(r);
      throw waits_for_query{};
    }
    const auto& got = fetched[index];
    if (!got.ok) {
      if (!a.failed)
        throw step_refused("http_failed", "the request '" + name + "' failed: " + got.error);
      return a.failed.get();
    }
    answers[name] = got.rows;
    auto status = got.rows.value("status", 0u);
    return (status >= 200 && status < 300 ? a.found : a.none).get();
  }

  /// Moves to `name`; a send state runs its entry and moves on to its `next`.
  void enter(const std::string& name) {
    out.state = name;
    auto it = bot.states.find(name);
    if (it == bot.states.end() || it->second.what != state::kind::send) return;
    if (++entered > max_send_chain) return;  // validation rejects such bots; stay safe anyway
    if (!run(it->second.then)) out.state = it->second.next;
  }
};

}  // namespace

std::string flow_name_of_token(const std::string& token) {
  auto colon = token.rfind(':');
  return colon == std::string::npos ? token : token.substr(0, colon);
}

bool matches(const matcher& m, const inbound_view& msg) {
  switch (m.what) {
    case matcher::kind::always:
      return true;
    case matcher::kind::text_equals:
      return !msg.text.empty() && fold_text(msg.text) == m.value;
    case matcher::kind::text_matches:
      return m.re && RE2::PartialMatch(msg.text, *m.re);
    case matcher::kind::button_id:
      return !msg.button_id.empty() && msg.button_id == m.value;
    case matcher::kind::list_id:
      return !msg.list_id.empty() && msg.list_id == m.value;
    case matcher::kind::type:
      return msg.type == m.value;
    case matcher::kind::flow:
      return !msg.flow_token.empty() && flow_name_of_token(msg.flow_token) == m.value;
  }
  return false;
}

std::string interpolate(const std::string& tmpl, const conversation_view& conv,
                        const inbound_view& msg, const std::string& current_state,
                        const nlohmann::json& vars, const nlohmann::json* results,
                        const nlohmann::json* answers, bool url_values) {
  std::string out;
  out.reserve(tmpl.size());
  std::size_t i = 0;
  while (i < tmpl.size() && out.size() < max_interpolated_bytes) {
    auto open = tmpl.find("{{", i);
    if (open == std::string::npos) break;
    auto close = tmpl.find("}}", open + 2);
    if (close == std::string::npos) break;
    out.append(tmpl, i, open - i);
    auto name = tmpl.substr(open + 2, close - open - 2);
    name.erase(
        std::remove_if(name.begin(), name.end(), [](unsigned char c) { return std::isspace(c); }),
        name.end());
    std::string value;
    if (name == "message.text")
      value = msg.text;
    else if (name == "message.type")
      value = msg.type;
    else if (name == "message.button_id")
      value = msg.button_id;
    else if (name == "message.list_id")
      value = msg.list_id;
    else if (name == "message.id")
      value = msg.id;
    else if (name == "contact.wa_id")
      value = conv.wa_id;
    else if (name == "contact.name")
      value = conv.contact_name;
    else if (name == "conversation.id")
      value = conv.conversation_id;
    else if (name == "conversation.state")
      value = current_state;
    else if (name.rfind("vars.", 0) == 0) {
      auto key = name.substr(5);
      if (vars.is_object() && vars.contains(key)) value = text_of(vars[key]);
    } else if (name.rfind("flow.", 0) == 0) {
      auto key = name.substr(5);
      if (msg.flow.is_object() && msg.flow.contains(key)) value = text_of(msg.flow[key]);
    } else if (name.rfind("query.", 0) == 0 && results) {
      value = query_value(*results, name.substr(6));
    } else if (name.rfind("http.", 0) == 0 && answers) {
      value = answer_value(*answers, name.substr(5));
    }
    out += url_values ? url_text::percent_encode(value) : value;
    i = close + 2;
  }
  if (i < tmpl.size()) out.append(tmpl, i, std::string::npos);
  cut_utf8(out, max_interpolated_bytes);
  return out;
}

step_result run_step(const definition& bot, const conversation_view& conv, const inbound_view& msg,
                     const std::vector<fetch_result>& fetched) {
  step_result out;
  out.vars = conv.vars.is_object() ? conv.vars : json::object();
  out.state = bot.states.count(conv.state) ? conv.state : bot.initial_state;
  runner r{bot, conv, msg, out, fetched};
  const auto& current = bot.states.at(out.state);
  try {
    if (current.what == state::kind::send) {
      out.matched = true;
      r.enter(out.state);
    } else {
      for (const auto& route : current.routes) {
        if (!matches(route.when, msg)) continue;
        out.matched = true;
        r.run(route.then);
        break;
      }
    }
  } catch (const waits_for_query&) {
    step_result waiting;
    waiting.fetch = std::move(out.fetch);
    return waiting;
  }
  if (r.set_vars) {
    auto bytes = out.vars.dump(-1, ' ', false, json::error_handler_t::replace).size();
    if (bytes > max_vars_bytes)
      throw step_refused("vars_too_large", "the step would leave " + std::to_string(bytes) +
                                               " bytes of variables; at most " +
                                               std::to_string(max_vars_bytes));
  }
  return out;
}

}  // namespace paige::actors::bot
