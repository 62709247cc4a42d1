#include "common/json_text.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <limits>
#include <random>
#include <string>

using paige::json_text::append_int;
using paige::json_text::append_string;

namespace {
std::string as_json(std::string_view s) {
  std::string out;
  append_string(out, s);
  return out;
}
}  // namespace

TEST_CASE("JSON strings are written as nlohmann::json writes valid UTF-8", "[json_text]") {
  using namespace std::string_literals;
  for (const auto& s :
       {""s, "plain"s, "wamid.HBgL123=="s, "quote \" and \\ backslash"s, "\b\f\n\r\t"s,
        "nul \0 byte"s, "\x01\x1f\x7f"s, "é ü 中文 🎉"s, "</script>"s})
    CHECK(as_json(s) == nlohmann::json(s).dump());
  // Every single byte, and random ASCII text with control characters.
  for (int c = 0; c < 0x80; ++c) {
    std::string one(1, static_cast<char>(c));
    CHECK(as_json(one) == nlohmann::json(one).dump());
  }
  std::mt19937 rng{7};
  for (int k = 0; k < 200; ++k) {
    std::string s(rng() % 40, ' ');
    for (auto& ch : s) ch = static_cast<char>(rng() % 0x80);
    CHECK(as_json(s) == nlohmann::json(s).dump());
  }
}

TEST_CASE("invalid UTF-8 becomes U+FFFD and the text stays valid JSON", "[json_text]") {
  CHECK(as_json("a\xff"
                "b") == "\"a\\ufffdb\"");
  CHECK(as_json("\xc3") == "\"\\ufffd\"");                                   // truncated sequence
  CHECK(as_json("\xc0\xaf") == "\"\\ufffd\\ufffd\"");                        // overlong
  CHECK(as_json("\xed\xa0\x80") == "\"\\ufffd\\ufffd\\ufffd\"");             // surrogate
  CHECK(as_json("\xf4\x90\x80\x80") == "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // above U+10FFFF
  CHECK(as_json("ok \xe2\x82\xac") == nlohmann::json("ok \xe2\x82\xac").dump());
  std::mt19937 rng{11};
  for (int k = 0; k < 500; ++k) {
    std::string s(rng() % 24, ' ');
    for (auto& ch : s) ch = static_cast<char>(rng() % 256);
    auto text = as_json(s);
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    REQUIRE(parsed.is_string());
  }
}

TEST_CASE("integers", "[json_text]") {
  std::string out = R"({"id":)";
  append_int(out, -9223372036854775807LL - 1);
  out += R"(,"n":)";
  append_int(out, 42);
  out += '}';
  CHECK(out == R"({"id":-9223372036854775808,"n":42})");
}

TEST_CASE("numbers round-trip and non-finite ones are null", "[json_text]") {
  for (double v :
       {0.0, 0.5, -2.25, 1733345678.0, 1733345678.123456, 1e-300, 1.7976931348623157e308}) {
    std::string out;
    paige::json_text::append_number(out, v);
    CHECK(nlohmann::json::parse(out).get<double>() == v);
  }
  std::string out;
  paige::json_text::append_number(out, 1733345678.0);
  CHECK(out == "1733345678");
  for (double v :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity()}) {
    std::string text;
    paige::json_text::append_number(text, v);
    CHECK(text == "null");
  }
  std::string flags;
  paige::json_text::append_bool(flags, true);
  paige::json_text::append_bool(flags, false);
  CHECK(flags == "truefalse");
}
