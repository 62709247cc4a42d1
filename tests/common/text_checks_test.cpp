#include "common/text_checks.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace paige;

TEST_CASE("valid UTF-8 is told from broken and hostile byte sequences", "[text]") {
  CHECK(text::valid_utf8(""));
  CHECK(text::valid_utf8("plain ascii"));
  CHECK(text::valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // é € 😀
  CHECK(text::valid_utf8("\xF4\x8F\xBF\xBF"));                           // U+10FFFF
  CHECK_FALSE(text::valid_utf8("\xFF"));
  CHECK_FALSE(text::valid_utf8("%ff decoded: \xFF"));
  CHECK_FALSE(text::valid_utf8("\xC3"));              // truncated
  CHECK_FALSE(text::valid_utf8("\xE2\x82"));          // truncated
  CHECK_FALSE(text::valid_utf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(text::valid_utf8("\xE0\x80\xAF"));      // overlong
  CHECK_FALSE(text::valid_utf8("\xF0\x80\x80\xAF"));  // overlong
  CHECK_FALSE(text::valid_utf8("\xED\xA0\x80"));      // surrogate U+D800
  CHECK_FALSE(text::valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(text::valid_utf8("\x80"));              // lone continuation
}

TEST_CASE("clean text has no NUL", "[text]") {
  CHECK(text::clean_text("secrets"));
  CHECK_FALSE(text::clean_text(std::string("secrets\0x", 9)));
  CHECK_FALSE(text::clean_text(std::string("\0", 1)));
  CHECK_FALSE(text::clean_text("\xFF"));
}

TEST_CASE("a UTF-8 prefix never splits a character", "[text]") {
  CHECK(text::utf8_prefix("short", 10) == "short");
  CHECK(text::utf8_prefix("abcdef", 3) == "abc");
  CHECK(text::utf8_prefix("ab\xE2\x82\xAC", 4) == "ab");  // € is 3 bytes: all or nothing
  CHECK(text::utf8_prefix("ab\xE2\x82\xAC", 5) == "ab\xE2\x82\xAC");
  CHECK(text::utf8_prefix("\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 7) == "\xF0\x9F\x98\x80");
  CHECK(text::utf8_prefix("\xC3\xA9", 1).empty());
  CHECK(text::valid_utf8(text::utf8_prefix(std::string(100, 'a') + "\xC3\xA9\xC3\xA9", 101)));
}
