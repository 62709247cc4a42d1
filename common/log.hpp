/// @file
/// @brief Structured logging: one event per line, `key=value` fields, built on spdlog.
///
/// Every line reads `ts=<UTC> level=<level> event=<name> key=value ...`. Values that contain
/// spaces, quotes, `=` or control characters are quoted and escaped, so an event is always
/// one line. Secrets are never passed here; URLs go through redact_url() first.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

namespace paige::log {

/// One `key=value` pair of an event.
struct field {
  std::string_view key;
  std::string value;

  field(std::string_view k, std::string_view v) : key(k), value(v) {}
  field(std::string_view k, const std::string& v) : key(k), value(v) {}
  field(std::string_view k, const char* v) : key(k), value(v ? v : "") {}
  field(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  template <class T, class = std::enable_if_t<std::is_arithmetic_v<T>>>
  field(std::string_view k, T v) : key(k), value(std::to_string(v)) {}
};

using fields = std::initializer_list<field>;

/// Sets up the process logger on stderr at `level` (trace, debug, info, warn, error, off).
void init(const std::string& level);

void trace(std::string_view event, fields f = {});
void debug(std::string_view event, fields f = {});
void info(std::string_view event, fields f = {});
void warn(std::string_view event, fields f = {});
void error(std::string_view event, fields f = {});

/// The text after the level: `event=<name> k=v ...` (exposed for tests).
std::string format_event(std::string_view event, fields f);

/// Quotes and escapes a value when it would break `key=value` parsing or the line.
std::string quote_value(std::string_view value);

/// A database URL or libpq connection string with any password replaced by `***`.
std::string redact_url(std::string_view url);

}  // namespace paige::log
