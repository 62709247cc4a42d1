/// @file
/// @brief Checks on text that strangers send before it reaches a C string or Postgres:
/// well-formed UTF-8, and no NUL (libpq and Postgres end a string there, so "a\0b" would
/// silently become "a").
#pragma once

#include <string_view>

namespace paige::text {

/// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past
/// U+10FFFF).
bool valid_utf8(std::string_view s);

/// Whether `s` is well-formed UTF-8 without a NUL character: what a name, a parameter or a
/// value bound to a statement must be.
bool clean_text(std::string_view s);

/// The longest prefix of `s` of at most `max_bytes` that does not split a UTF-8 character:
/// what a log line may quote of a long text.
std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes);

}  // namespace paige::text
