#include "actors/core/template_rules.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace paige::actors::templates {
namespace {

using json = nlohmann::json;

constexpr std::size_t max_name = 512;
constexpr std::size_t max_header_text = 60;
constexpr std::size_t max_body_text = 1024;
constexpr std::size_t max_footer_text = 60;
constexpr std::size_t max_button_text = 25;
constexpr std::size_t max_buttons = 10;

bool lower_word(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool language_code(const std::string& s) {
  auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  if (s.size() < 2 || s.size() > 6) return false;
  std::size_t at = 0;
  while (at < s.size() && lower(s[at])) ++at;
  if (at < 2 || at > 3) return false;
  if (at == s.size()) return true;
  return s[at] == '_' && s.size() - at == 3 && upper(s[at + 1]) && upper(s[at + 2]);
}

/// Collects problems with their pointers.
struct checker {
  std::vector<problem> out;
  void add(std::string pointer, std::string message) {
    out.push_back({std::move(pointer), std::move(message)});
  }

  /// obj[key] as text, or a problem (required, a string, max characters).
  std::string text(const json& obj, const std::string& at, const char* key, std::size_t max,
                   bool required = true) {
    auto pointer = at + "/" + key;
    if (!obj.contains(key)) {
      if (required) add(pointer, std::string{key} + " is required");
      return {};
    }
    if (!obj[key].is_string()) {
      add(pointer, std::string{key} + " is text");
      return {};
    }
    auto s = obj[key].get<std::string>();
    if (required && s.empty()) add(pointer, std::string{key} + " is required");
    if (char_count(s) > max)
      add(pointer, std::string{key} + " has at most " + std::to_string(max) + " characters");
    return s;
  }

  /// The parameters of `text` at `pointer`, checked for the format; empty on problems.
  std::vector<std::string> params(const std::string& text, const std::string& pointer, bool named) {
    bool malformed = false;
    auto list = parameters_of(text, named, malformed);
    if (malformed) {
      add(pointer, named ? "parameters are {{name}} in lower case letters, digits and _"
                         : "parameters are {{1}}, {{2}}, ...");
      return {};
    }
    if (!named)
      for (std::size_t i = 0; i < list.size(); ++i)
        if (list[i] != std::to_string(i + 1)) {
          add(pointer, "positional parameters are numbered from {{1}} in order");
          return {};
        }
    return list;
  }

  /// The example a text with `params` needs: `positional_key` (a list, or a list of one list
  /// for the body) or `named_key` (a list of {param_name, example}).
  void example(const json& component, const std::string& at, const std::vector<std::string>& params,
               bool named, const char* positional_key, const char* named_key, bool nested) {
    if (params.empty()) return;
    auto ex = component.value("example", json());
    auto pointer = at + "/example";
    if (named) {
      auto list = ex.is_object() ? ex.value(named_key, json()) : json();
      std::set<std::string> given;
      if (list.is_array())
        for (const auto& p : list)
          if (p.is_object() && p.value("param_name", json()).is_string() &&
              p.value("example", json()).is_string() && !p["example"].get<std::string>().empty())
            given.insert(p["param_name"].get<std::string>());
      for (const auto& name : params)
        if (!given.count(name))
          add(pointer + "/" + named_key, "an example for {{" + name + "}} is required");
      return;
    }
    auto list = ex.is_object() ? ex.value(positional_key, json()) : json();
    if (nested) list = list.is_array() && !list.empty() ? list[0] : json();
    bool ok = list.is_array() && list.size() == params.size() &&
              std::all_of(list.begin(), list.end(), [](const json& v) {
                return v.is_string() && !v.get<std::string>().empty();
              });
    if (!ok)
      add(pointer + "/" + positional_key,
          "one example per parameter is required (" + std::to_string(params.size()) + ")");
  }

  void header(const json& c, const std::string& at, bool named, const std::string& category) {
    static const std::set<std::string> formats{"TEXT",     "IMAGE", "VIDEO",
                                               "DOCUMENT", "GIF",   "LOCATION"};
    auto format = c.value("format", json()).is_string() ? c["format"].get<std::string>() : "";
    if (!formats.count(format)) {
      add(at + "/format", "format is TEXT, IMAGE, VIDEO, DOCUMENT, GIF or LOCATION");
      return;
    }
    if (category == "AUTHENTICATION") add(at, "an authentication template has no header");
    if (format == "TEXT") {
      auto text = this->text(c, at, "text", max_header_text);
      auto list = params(text, at + "/text", named);
      if (list.size() > 1) add(at + "/text", "a text header has at most one parameter");
      example(c, at, list, named, "header_text", "header_text_named_params", false);
      return;
    }
    if (format == "LOCATION") return;
    auto ex = c.value("example", json());
    auto handles = ex.is_object() ? ex.value("header_handle", json()) : json();
    if (!handles.is_array() || handles.empty() || !handles[0].is_string())
      add(at + "/example/header_handle",
          "a media header needs an example: the handle of an uploaded file");
  }

  void body(const json& c, const std::string& at, bool named, const std::string& category) {
    if (category == "AUTHENTICATION") {
      if (c.contains("add_security_recommendation") &&
          !c["add_security_recommendation"].is_boolean())
        add(at + "/add_security_recommendation", "add_security_recommendation is true or false");
      return;  // Meta writes an authentication template's body itself
    }
    auto text = this->text(c, at, "text", max_body_text);
    auto list = params(text, at + "/text", named);
    if (!list.empty()) {
      auto trimmed = text;
      trimmed.erase(0, trimmed.find_first_not_of(" \n\t"));
      trimmed.erase(trimmed.find_last_not_of(" \n\t") + 1);
      if (trimmed.rfind("{{", 0) == 0 ||
          (trimmed.size() >= 2 && trimmed.compare(trimmed.size() - 2, 2, "}}") == 0))
        add(at + "/text", "the body may not start or end with a parameter");
    }
    example(c, at, list, named, "body_text", "body_text_named_params", true);
  }

  void footer(const json& c, const std::string& at, const std::string& category) {
    if (category == "AUTHENTICATION") {
      if (c.contains("code_expiration_minutes")) {
        const auto& m = c["code_expiration_minutes"];
        if (!m.is_number_integer() || m.get<long>() < 1 || m.get<long>() > 90)
          add(at + "/code_expiration_minutes", "code_expiration_minutes is 1 to 90");
      }
      return;
    }
    auto text = this->text(c, at, "text", max_footer_text);
    if (text.find("{{") != std::string::npos) add(at + "/text", "a footer has no parameters");
  }

  void buttons(const json& c, const std::string& at, const std::string& category) {
    auto pointer = at + "/buttons";
    if (!c.contains("buttons") || !c["buttons"].is_array() || c["buttons"].empty()) {
      add(pointer, "buttons is a list of 1 to 10 buttons");
      return;
    }
    const auto& list = c["buttons"];
    if (list.size() > max_buttons) add(pointer, "at most 10 buttons");
    std::map<std::string, std::size_t> count;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& b = list[i];
      auto bat = pointer + "/" + std::to_string(i);
      auto type = b.is_object() && b.value("type", json()).is_string()
                      ? b["type"].get<std::string>()
                      : std::string{};
      ++count[type];
      if (category == "AUTHENTICATION") {
        if (type != "OTP") add(bat + "/type", "an authentication template's button is OTP");
        auto otp = b.is_object() ? b.value("otp_type", json()) : json();
        if (!otp.is_string() || (otp != "COPY_CODE" && otp != "ONE_TAP" && otp != "ZERO_TAP"))
          add(bat + "/otp_type", "otp_type is COPY_CODE, ONE_TAP or ZERO_TAP");
        continue;
      }
      if (type == "QUICK_REPLY") {
        text(b, bat, "text", max_button_text);
      } else if (type == "URL") {
        text(b, bat, "text", max_button_text);
        auto url = text(b, bat, "url", 2000);
        if (!url.empty() && url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
          add(bat + "/url", "url starts with https:// or http://");
        bool malformed = false;
        auto ps = parameters_of(url, false, malformed);
        if (malformed || ps.size() > 1 ||
            (ps.size() == 1 &&
             (ps[0] != "1" || url.size() < 5 || url.compare(url.size() - 5, 5, "{{1}}") != 0)))
          add(bat + "/url", "a URL has at most one parameter, {{1}}, at its end");
        else if (ps.size() == 1) {
          auto ex = b.value("example", json());
          if (!ex.is_array() || ex.empty() || !ex[0].is_string())
            add(bat + "/example", "a URL with a parameter needs an example URL");
        }
      } else if (type == "PHONE_NUMBER") {
        text(b, bat, "text", max_button_text);
        auto number = text(b, bat, "phone_number", 20);
        if (!number.empty() &&
            (number[0] != '+' || number.size() < 5 ||
             !std::all_of(number.begin() + 1, number.end(),
                          [](unsigned char ch) { return std::isdigit(ch) != 0; })))
          add(bat + "/phone_number", "phone_number is + and digits, e.g. +15550051310");
      } else if (type == "COPY_CODE") {
        auto ex = b.is_object() ? b.value("example", json()) : json();
        if (!ex.is_string() || ex.get<std::string>().empty() ||
            char_count(ex.get<std::string>()) > 15)
          add(bat + "/example", "a copy-code button needs an example of at most 15 characters");
      } else if (type == "FLOW") {
        text(b, bat, "text", max_button_text);
        int refs = 0;
        for (const char* key : {"flow_id", "flow_name", "flow_json"})
          if (b.contains(key)) ++refs;
        if (refs != 1)
          add(bat, "a flow button names its flow once: flow_id, flow_name or flow_json");
        auto action = b.value("flow_action", json("navigate"));
        if (action != "navigate" && action != "data_exchange")
          add(bat + "/flow_action", "flow_action is navigate or data_exchange");
      } else {
        add(bat + "/type", "type is QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE or FLOW");
      }
    }
    if (category == "AUTHENTICATION" && list.size() != 1)
      add(pointer, "an authentication template has one OTP button");
    if (count["URL"] > 2) add(pointer, "at most 2 URL buttons");
    if (count["PHONE_NUMBER"] > 1) add(pointer, "at most 1 phone number button");
    if (count["COPY_CODE"] > 1) add(pointer, "at most 1 copy-code button");
  }
};

}  // namespace

std::vector<std::string> parameters_of(const std::string& text, bool named, bool& malformed) {
  std::vector<std::string> out;
  malformed = false;
  for (auto open = text.find("{{"); open != std::string::npos; open = text.find("{{", open + 2)) {
    auto close = text.find("}}", open + 2);
    if (close == std::string::npos) {
      malformed = true;
      break;
    }
    auto inside = text.substr(open + 2, close - open - 2);
    bool ok = named ? (!inside.empty() &&
                       (std::islower(static_cast<unsigned char>(inside[0])) || inside[0] == '_') &&
                       lower_word(inside))
                    : (!inside.empty() && inside.size() <= 3 &&
                       std::all_of(inside.begin(), inside.end(),
                                   [](unsigned char c) { return std::isdigit(c) != 0; }) &&
                       inside[0] != '0');
    if (!ok) {
      malformed = true;
      break;
    }
    if (std::find(out.begin(), out.end(), inside) == out.end()) out.push_back(inside);
    open = close;
  }
  return out;
}

std::vector<problem> check_template(const json& t) {
  checker c;
  if (!t.is_object()) {
    c.add("", "a template is a JSON object");
    return c.out;
  }
  auto name = c.text(t, "", "name", max_name);
  if (!name.empty() && !lower_word(name))
    c.add("/name", "name has lower case letters, digits and _ only");
  auto language = c.text(t, "", "language", 16);
  if (!language.empty() && !language_code(language))
    c.add("/language", "language is a code such as en or en_US");
  auto category = c.text(t, "", "category", 20);
  if (!category.empty() && category != "UTILITY" && category != "MARKETING" &&
      category != "AUTHENTICATION")
    c.add("/category", "category is UTILITY, MARKETING or AUTHENTICATION");
  auto format = t.value("parameter_format", json("positional"));
  if (format != "positional" && format != "named")
    c.add("/parameter_format", "parameter_format is positional or named");
  bool named = format == "named";
  if (!t.contains("components") || !t["components"].is_array() || t["components"].empty()) {
    c.add("/components", "components is a list with a BODY");
    return c.out;
  }
  std::map<std::string, int> seen;
  const auto& components = t["components"];
  for (std::size_t i = 0; i < components.size(); ++i) {
    const auto& comp = components[i];
    auto at = "/components/" + std::to_string(i);
    auto type = comp.is_object() && comp.value("type", json()).is_string()
                    ? comp["type"].get<std::string>()
                    : std::string{};
    if (++seen[type] > 1) c.add(at + "/type", "one " + type + " at most");
    if (type == "HEADER")
      c.header(comp, at, named, category);
    else if (type == "BODY")
      c.body(comp, at, named, category);
    else if (type == "FOOTER")
      c.footer(comp, at, category);
    else if (type == "BUTTONS")
      c.buttons(comp, at, category);
    else
      c.add(at + "/type", "type is HEADER, BODY, FOOTER or BUTTONS");
  }
  if (!seen["BODY"]) c.add("/components", "a BODY is required");
  if (category == "AUTHENTICATION" && !seen["BUTTONS"])
    c.add("/components", "an authentication template has one OTP button");
  return c.out;
}

}  // namespace paige::actors::templates
