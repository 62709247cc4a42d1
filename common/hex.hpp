/// @file
/// @brief Lowercase hex encoding of bytes, and its decoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace paige::hex {

/// `bytes` as lowercase hex, two digits per byte.
std::string encode(std::string_view bytes);

/// The bytes of `text` (digits of either case), or nullopt if it is not hex.
std::optional<std::string> decode(std::string_view text);

}  // namespace paige::hex
