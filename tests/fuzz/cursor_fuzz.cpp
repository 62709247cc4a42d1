// Page cursors are clients' strings: decoding any of them either refuses it or yields a
// position that encodes back to a cursor decoding to the same position, with texts that can
// be bound (no NUL).
#include "api/json_body.hpp"
#include "storage/row_cursor.hpp"
#include "storage/table_errors.hpp"
#include "tests/fuzz/fuzz_target.hpp"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string cursor{reinterpret_cast<const char*>(data), size};
  if (auto position = paige::api::decode_cursor(cursor))
    paige::fuzz::require(
        paige::api::decode_cursor(paige::api::encode_cursor(*position)) == position,
        "a list cursor does not survive a round trip");
  for (bool desc : {false, true})
    for (const char* order : {"", "name"}) {
      try {
        auto p = paige::storage::decode_row_cursor(cursor, order, desc);
        paige::fuzz::require(p.key.find('\0') == std::string::npos &&
                                 (!p.value || p.value->find('\0') == std::string::npos),
                             "a cursor bound a NUL");
        auto again = paige::storage::decode_row_cursor(
            paige::storage::encode_row_cursor(order, desc, p), order, desc);
        paige::fuzz::require(again.key == p.key && again.value == p.value,
                             "a row cursor does not survive a round trip");
      } catch (const paige::storage::table_error& e) {
        paige::fuzz::require(e.code == "invalid_cursor", "a cursor was refused with another code");
      }
    }
  return 0;
}
