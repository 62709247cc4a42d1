// A profile photo is checked from its own bytes before Meta sees it.
#include "actors/core/profile_photo.hpp"
#include "tests/support/images.hpp"

#include <catch2/catch.hpp>

using namespace paige::actors;
using paige::test::jpeg_of;
using paige::test::png_of;

namespace {

std::string problem(const std::string& bytes) {
  auto r = photo::check(bytes);
  auto* why = std::get_if<std::string>(&r);
  return why ? *why : std::string{};
}

}  // namespace

TEST_CASE("JPEG and PNG photos are read with their size", "[photo]") {
  auto p = photo::check(png_of(640, 480));
  REQUIRE(std::holds_alternative<photo::image>(p));
  CHECK(std::get<photo::image>(p).mime == "image/png");
  CHECK(std::get<photo::image>(p).width == 640);
  CHECK(std::get<photo::image>(p).height == 480);
  auto j = photo::check(jpeg_of(500, 700));
  REQUIRE(std::holds_alternative<photo::image>(j));
  CHECK(std::get<photo::image>(j).mime == "image/jpeg");
  CHECK(std::get<photo::image>(j).width == 500);
  CHECK(std::get<photo::image>(j).height == 700);
}

TEST_CASE("photos Meta would refuse are refused with why", "[photo]") {
  CHECK(problem("") == "the photo is empty");
  CHECK(problem("GIF89a....") == "the photo is not a JPEG or PNG image");
  CHECK(problem(png_of(100, 800)).find("at least 192") != std::string::npos);
  CHECK(problem(jpeg_of(9000, 9000)).find("at most 8192") != std::string::npos);
  CHECK(problem(png_of(640, 640) + std::string(5u << 20, '\0')) == "the photo is larger than 5 MB");
  // Truncated or broken headers never read past the end (29 bytes: up to the frame's width).
  auto jpeg = jpeg_of(640, 640);
  for (std::size_t n = 0; n < 29; ++n) CHECK_FALSE(problem(jpeg.substr(0, n)).empty());
  CHECK(problem(jpeg.substr(0, 29)).empty());
  auto png = png_of(640, 640);
  for (std::size_t n = 0; n < 24; ++n) CHECK_FALSE(problem(png.substr(0, n)).empty());
  CHECK_FALSE(problem(std::string{"\xFF\xD8\xFF\xE0\x00\x00", 6}).empty());  // a zero length
}
