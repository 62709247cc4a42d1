#include "common/url_text.hpp"

#include <catch2/catch.hpp>

using paige::url_text::percent_encode;

TEST_CASE("percent-encoding keeps the unreserved characters and encodes every other byte",
          "[url_text]") {
  CHECK(percent_encode("AZaz09-_.~") == "AZaz09-_.~");
  CHECK(percent_encode("/tmp/pg dir") == "%2Ftmp%2Fpg%20dir");
  CHECK(percent_encode("p@ss:w/rd?&=#%") == "p%40ss%3Aw%2Frd%3F%26%3D%23%25");
  CHECK(percent_encode("image/jpeg") == "image%2Fjpeg");
  CHECK(percent_encode(std::string{"\0\xff", 2}) == "%00%FF");
  CHECK(percent_encode("\xc3\xa9") == "%C3%A9");  // UTF-8 bytes one by one
  CHECK(percent_encode("").empty());
}
