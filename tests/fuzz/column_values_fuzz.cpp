// Column values as the table editor checks them: input is a type byte, then a JSON value (or
// the text of a value). Nothing throws but bad_value, nothing accepted holds a NUL, and what
// Postgres returns as text becomes JSON without a throw.
#include "storage/column_values.hpp"
#include "tests/fuzz/fuzz_target.hpp"

#include <string>

using namespace paige::storage;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const column_type types[] = {
      column_type::text,    column_type::varchar, column_type::integer, column_type::bigint,
      column_type::numeric, column_type::boolean, column_type::date,    column_type::timestamptz,
      column_type::uuid,    column_type::jsonb,   column_type::serial,  column_type::bigserial};
  auto type = types[data[0] % (sizeof types / sizeof types[0])];
  std::string rest{reinterpret_cast<const char*>(data + 1), size - 1};
  auto value = nlohmann::json::parse(rest, nullptr, false);
  if (!value.is_discarded()) {
    try {
      auto p = to_parameter(type, value);
      if (p && type != column_type::jsonb)
        paige::fuzz::require(p->find('\0') == std::string::npos, "a NUL passed");
    } catch (const bad_value&) {
    }
  }
  try {
    text_to_parameter(type, rest);
  } catch (const bad_value&) {
  }
  static const unsigned oids[] = {16,  20,   21,   23,   25,   114,  700,
                                  701, 1043, 1082, 1184, 1700, 2950, 3802};
  auto text = rest.substr(0, rest.find('\0'));
  field_to_json(oids[data[0] % (sizeof oids / sizeof oids[0])], text.c_str());
  field_to_json(oids[data[0] % (sizeof oids / sizeof oids[0])], nullptr);
  return 0;
}
