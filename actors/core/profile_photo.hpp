/// @file
/// @brief A business profile photo as Meta takes it: JPEG or PNG, at most 5 MB, sides from 192
/// to 8192 pixels; read from the file's own bytes (its header), never from what the client says.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

namespace paige::actors::photo {

inline constexpr std::size_t max_bytes = 5u << 20;
inline constexpr int min_side = 192;
inline constexpr int max_side = 8192;

struct image {
  std::string mime;  ///< image/jpeg or image/png
  int width = 0;
  int height = 0;
};

/// The image `bytes` hold, or why Meta would not take it as a profile photo.
std::variant<image, std::string> check(std::string_view bytes);

}  // namespace paige::actors::photo
