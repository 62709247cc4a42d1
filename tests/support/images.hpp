/// @file
/// @brief Image files of a given size for tests: only their headers are real (Paige and the
/// simulator read no pixels).
#pragma once

#include <string>

namespace paige::test {

inline std::string big_endian(unsigned v, int n) {
  std::string out;
  for (int i = n - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
  return out;
}

/// A PNG of width x height (signature, IHDR, an empty IDAT, IEND; CRCs not computed).
inline std::string png_of(unsigned width, unsigned height) {
  std::string out{"\x89PNG\r\n\x1a\n", 8};
  out += big_endian(13, 4) + "IHDR" + big_endian(width, 4) + big_endian(height, 4) +
         std::string{"\x08\x02\x00\x00\x00", 5} + big_endian(0, 4);
  out += big_endian(0, 4) + "IDAT" + big_endian(0, 4);
  out += big_endian(0, 4) + "IEND" + big_endian(0, 4);
  return out;
}

/// A JPEG of width x height: SOI, an APP0 segment, SOF0, EOI.
inline std::string jpeg_of(unsigned width, unsigned height) {
  std::string out{"\xFF\xD8", 2};
  out += std::string{"\xFF\xE0", 2} + big_endian(16, 2) +
         std::string{"JFIF\0\x01\x01\0\0\x01\0\x01\0\0", 14};
  out += std::string{"\xFF\xC0", 2} + big_endian(11, 2) + std::string(1, '\x08') +
         big_endian(height, 2) + big_endian(width, 2) + std::string{"\x01\x01\x11\x00", 4};
  out += std::string{"\xFF\xD9", 2};
  return out;
}

}  // namespace paige::test
