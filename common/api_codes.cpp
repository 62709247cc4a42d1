#include "common/api_codes.hpp"

namespace paige {

const std::vector<api_code_info>& all_api_codes() {
  static const std::vector<api_code_info> table{
#define PAIGE_API_CODE_ROW(code, status, meaning) {api_code::code, #code, status, meaning},
      PAIGE_API_CODES(PAIGE_API_CODE_ROW)
#undef PAIGE_API_CODE_ROW
  };
  return table;
}

const api_code_info& info_of(api_code code) {
  return all_api_codes()[static_cast<std::size_t>(code)];
}

std::optional<api_code> parse_api_code(std::string_view name) {
  for (const auto& row : all_api_codes())
    if (name == row.name) return row.code;
  return std::nullopt;
}

}  // namespace paige
