/// @file
/// @brief Writing JSON text straight into a string, for the hot paths that would otherwise
/// build a document only to dump it (batch inputs, live events); and measuring its depth.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace paige::json_text {

/// Appends `value` as a JSON string literal: quotes, `"` `\` and control characters escaped,
/// UTF-8 kept as is, each byte of an invalid UTF-8 sequence written as U+FFFD (so the text
/// is always valid JSON that Postgres accepts).
void append_string(std::string& out, std::string_view value);

/// Appends an integer.
void append_int(std::string& out, std::int64_t value);

/// Appends a number in its shortest round-trip form; `null` when it is not finite (as
/// nlohmann::json writes NaN and infinities).
void append_number(std::string& out, double value);

/// Appends `true` or `false`.
inline void append_bool(std::string& out, bool value) { out += value ? "true" : "false"; }

/// Whether `text` (JSON or not) nests objects and arrays deeper than `limit`: linear, without
/// recursion, brackets inside strings not counted. JSON from outside is checked with it before
/// a document is built: copying or printing a document recurses once per level.
bool nested_deeper_than(std::string_view text, std::size_t limit);

}  // namespace paige::json_text
