#include "storage/row_cursor.hpp"

#include "common/hex.hpp"
#include "common/text_checks.hpp"
#include "storage/table_errors.hpp"

#include <nlohmann/json.hpp>

namespace paige::storage {

using json = nlohmann::json;

std::string encode_row_cursor(const std::string& order_by, bool desc, const row_position& p) {
  return "r1" +
         hex::encode(json{order_by, desc, p.value ? json(*p.value) : json(nullptr), p.key}.dump());
}

row_position decode_row_cursor(const std::string& cursor, const std::string& order_by, bool desc) {
  auto bad = [] {
    return table_error{api_code::invalid_cursor,
                       "the cursor is not one this API issued for this order"};
  };
  if (cursor.rfind("r1", 0) != 0) throw bad();
  auto text = hex::decode(std::string_view{cursor}.substr(2));
  if (!text) throw bad();
  auto j = json::parse(*text, nullptr, false);
  if (!j.is_array() || j.size() != 4 || j[0] != order_by || j[1] != desc ||
      !(j[2].is_string() || j[2].is_null()) || !j[3].is_string())
    throw bad();
  row_position p{
      j[2].is_null() ? std::nullopt : std::optional<std::string>{j[2].get<std::string>()},
      j[3].get<std::string>()};
  // A NUL would cut the bound value short: the position would silently be another.
  if ((p.value && !text::clean_text(*p.value)) || !text::clean_text(p.key)) throw bad();
  return p;
}

}  // namespace paige::storage
