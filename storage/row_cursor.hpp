/// @file
/// @brief The table editor's page cursors: "r1" + hex of the JSON [order_by, desc, value, key],
/// bound back as parameters. A cursor is a client's string, so decoding checks all of it.
#pragma once

#include <optional>
#include <string>

namespace paige::storage {

/// Where a page ended: the order column's value (nullopt: NULL) and the row's key, as text.
struct row_position {
  std::optional<std::string> value;
  std::string key;
};

/// The cursor of the page after `p` for this order.
std::string encode_row_cursor(const std::string& order_by, bool desc, const row_position& p);

/// The position in `cursor`; throws table_error invalid_cursor unless it is a cursor of this
/// order (`order_by`, `desc`) whose texts can be bound (UTF-8, no NUL).
row_position decode_row_cursor(const std::string& cursor, const std::string& order_by, bool desc);

}  // namespace paige::storage
