#include "actors/core/profile_photo.hpp"

#include <cstdint>
#include <optional>

namespace paige::actors::photo {
namespace {

unsigned byte(std::string_view b, std::size_t at) { return static_cast<unsigned char>(b[at]); }

std::uint32_t big_endian(std::string_view b, std::size_t at, int n) {
  std::uint32_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | byte(b, at + i);
  return v;
}

/// PNG: the signature, then IHDR first with the width and height.
std::optional<image> png(std::string_view b) {
  static constexpr std::string_view signature{"\x89PNG\r\n\x1a\n", 8};
  if (b.size() < 24 || b.substr(0, 8) != signature || b.substr(12, 4) != "IHDR")
    return std::nullopt;
  return image{"image/png", static_cast<int>(big_endian(b, 16, 4)),
               static_cast<int>(big_endian(b, 20, 4))};
}

/// JPEG: SOI, then segments until a start-of-frame (SOF0..SOF15 but DHT, JPG, DAC), which
/// holds the height and width.
std::optional<image> jpeg(std::string_view b) {
  if (b.size() < 4 || byte(b, 0) != 0xFF || byte(b, 1) != 0xD8) return std::nullopt;
  std::size_t at = 2;
  while (at + 4 <= b.size()) {
    if (byte(b, at) != 0xFF) return std::nullopt;
    unsigned marker = byte(b, at + 1);
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      at += 2;  // markers without a length
      continue;
    }
    if (marker == 0xD9 || marker == 0xDA) return std::nullopt;  // image data before a frame
    std::size_t length = big_endian(b, at + 2, 2);
    if (length < 2) return std::nullopt;
    bool frame =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (frame) {
      if (at + 9 > b.size()) return std::nullopt;
      return image{"image/jpeg", static_cast<int>(big_endian(b, at + 7, 2)),
                   static_cast<int>(big_endian(b, at + 5, 2))};
    }
    at += 2 + length;
  }
  return std::nullopt;
}

}  // namespace

std::variant<image, std::string> check(std::string_view bytes) {
  if (bytes.empty()) return std::string{"the photo is empty"};
  if (bytes.size() > max_bytes) return std::string{"the photo is larger than 5 MB"};
  auto found = png(bytes);
  if (!found) found = jpeg(bytes);
  if (!found) return std::string{"the photo is not a JPEG or PNG image"};
  if (found->width < min_side || found->height < min_side)
    return "the photo is " + std::to_string(found->width) + "x" + std::to_string(found->height) +
           " pixels: each side needs at least " + std::to_string(min_side);
  if (found->width > max_side || found->height > max_side)
    return "the photo is " + std::to_string(found->width) + "x" + std::to_string(found->height) +
           " pixels: each side may have at most " + std::to_string(max_side);
  return *found;
}

}  // namespace paige::actors::photo
