/// @file
/// @brief Small SQL fragments shared by the storage code.
#pragma once

#include <string>

namespace paige::storage {

/// `column` (a timestamptz) rendered as ISO 8601 in UTC with microseconds, e.g.
/// 2026-11-21T17:55:10.331852Z: how every API timestamp reads.
inline std::string iso_utc(const std::string& column) {
  return "to_char((" + column + ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
}

}  // namespace paige::storage
