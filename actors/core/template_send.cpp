#include "actors/core/template_send.hpp"

#include "actors/core/template_rules.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace paige::actors::templates {
namespace {

using json = nlohmann::json;

constexpr std::size_t max_body_sent = 1024;
constexpr std::size_t max_header_sent = 60;
constexpr std::size_t max_code = 15;
constexpr std::size_t max_payload = 128;
constexpr std::size_t max_url_suffix = 2000;

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string text_of(const json& obj, const char* key) {
  return obj.is_object() && obj.contains(key) && obj[key].is_string() ? obj[key].get<std::string>()
                                                                      : std::string{};
}

/// A stored component by its type (HEADER, BODY, FOOTER, BUTTONS), or null.
const json* component_of(const json& stored, const std::string& type) {
  auto it = stored.is_object() ? stored.find("components") : stored.end();
  if (it == stored.end() || !it->is_array()) return nullptr;
  for (const auto& c : *it)
    if (upper(text_of(c, "type")) == type) return &c;
  return nullptr;
}

/// What a stored button takes when sent: its sub_type, and whether its parameter is required.
struct button_need {
  std::string sub_type;  ///< empty: the button takes no parameter
  bool required = false;
};

button_need need_of(const json& button) {
  auto type = upper(text_of(button, "type"));
  if (type == "URL") {
    bool malformed = false;
    auto params = parameters_of(text_of(button, "url"), false, malformed);
    return params.empty() ? button_need{} : button_need{"url", true};
  }
  if (type == "QUICK_REPLY") return {"quick_reply", false};
  if (type == "COPY_CODE") return {"copy_code", true};
  if (type == "FLOW") return {"flow", false};
  if (type == "OTP") return {"url", true};  // the code travels as the button's URL parameter
  return {};
}

struct checker {
  std::vector<problem> out;
  void add(std::string pointer, std::string message) {
    out.push_back({std::move(pointer), std::move(message)});
  }

  /// A text parameter's value as Meta takes it: no new lines, tabs or 4 spaces in a row.
  void plain(const std::string& value, const std::string& at) {
    if (value.empty()) add(at, "the text is empty");
    if (value.find_first_of("\n\t") != std::string::npos)
      add(at, "a parameter has no new lines or tabs");
    if (value.find("    ") != std::string::npos)
      add(at, "a parameter has no more than 3 spaces in a row");
  }

  /// One body or header parameter; returns the text it puts in the message.
  std::string value(const json& p, const std::string& at, bool header_text) {
    auto type = text_of(p, "type");
    if (type == "text") {
      if (!p.contains("text") || !p["text"].is_string()) {
        add(at + "/text", "a text parameter needs 'text'");
        return {};
      }
      auto s = p["text"].get<std::string>();
      plain(s, at + "/text");
      return s;
    }
    if (!header_text && (type == "currency" || type == "date_time")) {
      const auto& obj = p.value(type, json());
      auto fallback = text_of(obj, "fallback_value");
      if (fallback.empty()) add(at + "/" + type + "/fallback_value", "fallback_value is required");
      if (type == "currency") {
        auto code = text_of(obj, "code");
        if (code.size() != 3) add(at + "/currency/code", "code is an ISO 4217 code such as USD");
        if (!obj.is_object() || !obj.value("amount_1000", json()).is_number_integer())
          add(at + "/currency/amount_1000", "amount_1000 is the amount times 1000, an integer");
      }
      return fallback;
    }
    add(at + "/type", header_text ? "a text header's parameter is text"
                                  : "a body parameter is text, currency or date_time");
    return {};
  }

  /// Parameters of a text with `names` (positional "1", "2"... or named): the text sent.
  std::string texts(const std::string& text, const std::vector<std::string>& names, bool named,
                    const json& given, const std::string& at, bool header_text) {
    if (given.size() != names.size()) {
      add(at, "the template takes " + std::to_string(names.size()) + " parameter" +
                  (names.size() == 1 ? "" : "s") + " here, " + std::to_string(given.size()) +
                  " given");
      return text;
    }
    std::map<std::string, std::string> values;
    for (std::size_t i = 0; i < given.size(); ++i) {
      auto pat = at + "/" + std::to_string(i);
      if (!given[i].is_object()) {
        add(pat, "a parameter is an object");
        continue;
      }
      auto name = std::to_string(i + 1);
      if (named) {
        name = text_of(given[i], "parameter_name");
        if (std::find(names.begin(), names.end(), name) == names.end()) {
          add(pat + "/parameter_name", name.empty()
                                           ? "a named template's parameter needs parameter_name"
                                           : "the template has no parameter {{" + name + "}}");
          continue;
        }
        if (values.count(name)) add(pat + "/parameter_name", "{{" + name + "}} is given twice");
      }
      values[name] = value(given[i], pat, header_text);
    }
    if (named)
      for (const auto& n : names)
        if (!values.count(n)) add(at, "{{" + n + "}} is not given");
    auto out = text;
    for (const auto& [name, v] : values) {
      auto tag = "{{" + name + "}}";
      for (auto pos = out.find(tag); pos != std::string::npos; pos = out.find(tag, pos + v.size()))
        out.replace(pos, tag.size(), v);
    }
    return out;
  }

  void header(const json* stored, const json* sent, bool named, const std::string& at) {
    auto given = sent ? sent->value("parameters", json::array()) : json::array();
    if (!given.is_array()) {
      add(at + "/parameters", "parameters is a list");
      return;
    }
    auto format = stored ? upper(text_of(*stored, "format")) : std::string{};
    if (!stored || (format == "TEXT" && [&] {
          bool malformed = false;
          return parameters_of(text_of(*stored, "text"), named, malformed).empty();
        }())) {
      if (!given.empty()) add(at, "the template's header takes no parameters");
      return;
    }
    if (!sent) {
      add(at, "the template's header takes a parameter: a header component is required");
      return;
    }
    if (format == "TEXT") {
      bool malformed = false;
      auto text = text_of(*stored, "text");
      auto names = parameters_of(text, named, malformed);
      auto sent_text = texts(text, names, named, given, at + "/parameters", true);
      if (char_count(sent_text) > max_header_sent)
        add(at + "/parameters", "the header as sent has more than 60 characters");
      return;
    }
    auto type = lower(format == "GIF" ? std::string{"video"} : format);
    if (given.size() != 1 || !given[0].is_object()) {
      add(at + "/parameters", "the template's header takes one " + type + " parameter");
      return;
    }
    const auto& p = given[0];
    auto pat = at + "/parameters/0";
    if (text_of(p, "type") != type) {
      add(pat + "/type", "the header's parameter is of type " + type);
      return;
    }
    const auto& obj = p.value(type, json());
    if (type == "location") {
      if (!obj.is_object() || !obj.value("latitude", json()).is_number() ||
          !obj.value("longitude", json()).is_number())
        add(pat + "/location", "a location needs numeric latitude and longitude");
      return;
    }
    if (text_of(obj, "id").empty() && text_of(obj, "link").empty())
      add(pat + "/" + type, "the header's " + type + " needs an 'id' or a 'link'");
  }

  /// The body as sent (its text with the parameters in place).
  void body(const json* stored, const json* sent, bool named, bool authentication,
            const std::string& at) {
    auto given = sent ? sent->value("parameters", json::array()) : json::array();
    if (!given.is_array()) {
      add(at + "/parameters", "parameters is a list");
      return;
    }
    if (authentication) {
      if (!sent) {
        add(at, "an authentication template's body takes the code: a body component is required");
        return;
      }
      // Meta writes the body: "{{1}} is your verification code." The code is its parameter.
      if (given.size() != 1 || text_of(given[0], "type") != "text") {
        add(at + "/parameters", "an authentication template takes the code as its one parameter");
        return;
      }
      auto code = text_of(given[0], "text");
      plain(code, at + "/parameters/0/text");
      if (char_count(code) > max_code)
        add(at + "/parameters/0/text", "a code has at most 15 characters");
      return;
    }
    bool malformed = false;
    auto text = stored ? text_of(*stored, "text") : std::string{};
    auto names = parameters_of(text, named, malformed);
    if (!sent && !names.empty()) {
      add(at, "the template's body takes " + std::to_string(names.size()) +
                  " parameters: a body component is required");
      return;
    }
    auto sent_text = texts(text, names, named, given, at + "/parameters", false);
    if (char_count(sent_text) > max_body_sent)
      add(at + "/parameters", "the body as sent has more than 1024 characters");
  }

  void button(const json& stored_buttons, const json& sent, const std::string& at,
              std::set<std::size_t>& seen) {
    auto sub_type = lower(text_of(sent, "sub_type"));
    std::size_t index = stored_buttons.size();
    if (sent.value("index", json()).is_number_integer() && sent["index"].get<long>() >= 0)
      index = sent["index"].get<std::size_t>();
    else if (auto s = text_of(sent, "index");
             !s.empty() && s.size() <= 2 &&
             std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); }))
      index = std::stoul(s);
    if (index >= stored_buttons.size()) {
      add(at + "/index", "the template has no button at this index");
      return;
    }
    auto need = need_of(stored_buttons[index]);
    if (need.sub_type.empty()) {
      add(at, "the template's button " + std::to_string(index) + " takes no parameter");
      return;
    }
    if (sub_type != need.sub_type) {
      add(at + "/sub_type", "button " + std::to_string(index) + " is of sub_type " + need.sub_type);
      return;
    }
    if (!seen.insert(index).second)
      add(at + "/index", "button " + std::to_string(index) + " twice");
    auto params = sent.value("parameters", json());
    if (!params.is_array() || params.size() != 1 || !params[0].is_object()) {
      add(at + "/parameters", "a button takes one parameter");
      return;
    }
    const auto& p = params[0];
    auto pat = at + "/parameters/0";
    auto type = text_of(p, "type");
    if (sub_type == "url") {
      auto suffix = text_of(p, "text");
      if (type != "text" || suffix.empty())
        add(pat, "a URL button's parameter is text: the end of its URL");
      else if (char_count(suffix) > max_url_suffix)
        add(pat + "/text", "the URL's end is too long");
      else if (upper(text_of(stored_buttons[index], "type")) == "OTP" &&
               char_count(suffix) > max_code)
        add(pat + "/text", "a code has at most 15 characters");
    } else if (sub_type == "quick_reply") {
      auto payload = text_of(p, "payload");
      if (type != "payload" || payload.empty())
        add(pat, "a quick reply's parameter is a payload");
      else if (char_count(payload) > max_payload)
        add(pat + "/payload", "a payload has at most 128 characters");
    } else if (sub_type == "copy_code") {
      auto code = text_of(p, "coupon_code");
      if (type != "coupon_code" || code.empty() || char_count(code) > max_code)
        add(pat, "a copy-code button's parameter is a coupon_code of at most 15 characters");
    } else if (sub_type == "flow") {
      if (type != "action" || !p.value("action", json()).is_object())
        add(pat, "a flow button's parameter is an action object");
      else if (const auto& token = member_of(p["action"], "flow_token");
               token.is_string() && token.get_ref<const std::string&>().size() > 256)
        add(pat + "/action/flow_token", "a flow_token has at most 256 bytes");
    }
  }
};

}  // namespace

std::vector<problem> check_send(const json& stored, const json& sent, const std::string& at) {
  checker c;
  auto comps = sent.is_object() ? sent.value("components", json::array()) : json();
  if (!comps.is_array()) {
    c.add(at + "/components", "components is a list");
    return c.out;
  }
  bool named = lower(text_of(stored, "parameter_format")) == "named";
  bool authentication = upper(text_of(stored, "category")) == "AUTHENTICATION";
  const json* header = nullptr;
  const json* body = nullptr;
  std::set<std::size_t> buttons_seen;
  const auto* stored_buttons = component_of(stored, "BUTTONS");
  auto button_list = stored_buttons ? stored_buttons->value("buttons", json::array()) : json();
  if (!button_list.is_array()) button_list = json::array();
  std::string header_at = at + "/components", body_at = at + "/components";
  for (std::size_t i = 0; i < comps.size(); ++i) {
    auto cat = at + "/components/" + std::to_string(i);
    auto type = lower(text_of(comps[i], "type"));
    if (type == "header" || type == "body") {
      auto& slot = type == "header" ? header : body;
      if (slot) c.add(cat + "/type", "one " + type + " at most");
      slot = &comps[i];
      (type == "header" ? header_at : body_at) = cat;
    } else if (type == "button") {
      c.button(button_list, comps[i], cat, buttons_seen);
    } else {
      c.add(cat + "/type", "type is header, body or button");
    }
  }
  c.header(component_of(stored, "HEADER"), header, named, header_at);
  c.body(component_of(stored, "BODY"), body, named, authentication, body_at);
  for (std::size_t i = 0; i < button_list.size(); ++i) {
    auto need = need_of(button_list[i]);
    if (need.required && !buttons_seen.count(i))
      c.add(at + "/components", "the template's button " + std::to_string(i) +
                                    " needs its parameter (sub_type " + need.sub_type + ", index " +
                                    std::to_string(i) + ")");
  }
  return c.out;
}

bool sendable(const std::string& status) { return status == "APPROVED"; }

void book::add(json view) {
  auto key = std::make_pair(text_of(view, "name"), text_of(view, "language"));
  by_key_[std::move(key)] = std::move(view);
}

void book::remove(const std::string& name, const std::string& language) {
  by_key_.erase({name, language});
}

const json* book::find(const std::string& name, const std::string& language) const {
  auto it = by_key_.find({name, language});
  return it == by_key_.end() ? nullptr : &it->second;
}

send_verdict judge_send(const book& templates, const json& message, const std::string& at) {
  send_verdict v;
  if (!message.is_object() || message.value("type", json()) != "template") return v;
  const auto& sent = message.value("template", json::object());
  auto name = text_of(sent, "name");
  auto language = text_of(sent.value("language", json::object()), "code");
  const auto* stored = templates.find(name, language);
  if (!stored) {
    v.what = send_verdict::kind::not_found;
    v.message = "the project has no template '" + name + "' in language '" + language +
                "' (POST .../templates/sync reads those made outside Paige)";
    return v;
  }
  auto status = text_of(*stored, "status");
  if (!sendable(status)) {
    v.what = send_verdict::kind::not_approved;
    v.status = status;
    v.message = "template '" + name + "' (" + language + ") is " + status + ", not APPROVED";
    if (auto reason = text_of(*stored, "reason"); !reason.empty() && reason != "NONE")
      v.message += ": " + reason;
    return v;
  }
  v.problems = check_send(*stored, sent, at + "/template");
  if (!v.problems.empty()) {
    v.what = send_verdict::kind::invalid;
    v.message = v.problems.front().message;
  }
  return v;
}

}  // namespace paige::actors::templates
