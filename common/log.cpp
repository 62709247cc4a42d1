#include "common/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <regex>

namespace paige::log {
namespace {

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (unsigned char c : v)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return true;
  return false;
}

void emit(spdlog::level::level_enum level, std::string_view event, fields f) {
  auto* logger = spdlog::default_logger_raw();
  if (!logger->should_log(level)) return;
  logger->log(level, "{}", format_event(event, f));
}

}  // namespace

void init(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("paige");
  // UTC timestamps with microseconds; the level in key=value form like every field.
  logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%fZ level=%l %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

void trace(std::string_view e, fields f) { emit(spdlog::level::trace, e, f); }
void debug(std::string_view e, fields f) { emit(spdlog::level::debug, e, f); }
void info(std::string_view e, fields f) { emit(spdlog::level::info, e, f); }
void warn(std::string_view e, fields f) { emit(spdlog::level::warn, e, f); }
void error(std::string_view e, fields f) { emit(spdlog::level::err, e, f); }

std::string quote_value(std::string_view v) {
  if (!needs_quotes(v)) return std::string{v};
  std::string out;
  out.reserve(v.size() + 2);
  out += '"';
  for (unsigned char c : v) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[5];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string format_event(std::string_view event, fields f) {
  std::string out = "event=";
  out += quote_value(event);
  for (const auto& kv : f) {
    out += ' ';
    out += kv.key;
    out += '=';
    out += quote_value(kv.value);
  }
  return out;
}

std::string redact_url(std::string_view url) {
  // URI form: scheme://user:password@host...
  static const std::regex uri_password{R"(^([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@?#]*):[^@/?#]*@)"};
  // Keyword form: password=value or password='quoted value'
  static const std::regex kw_password{R"((^|\s)password\s*=\s*('([^'\\]|\\.)*'|\S+))"};
  // URI query parameter: ?password=...&
  static const std::regex query_password{R"(([?&]password=)[^&]*)"};
  std::string s{url};
  s = std::regex_replace(s, uri_password, "$1:***@");
  s = std::regex_replace(s, kw_password, "$1password=***");
  s = std::regex_replace(s, query_password, "$1***");
  return s;
}

}  // namespace paige::log
