#include "actors/core/text_diff.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <sstream>
#include <vector>

using paige::actors::bot::max_diff_edits;
using paige::actors::bot::unified_diff;

namespace {

std::string numbered(int from, int to) {
  std::string s;
  for (int i = from; i <= to; ++i) s += std::to_string(i) + "\n";
  return s;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t at = 0;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    end = end == std::string::npos ? text.size() : end + 1;
    lines.push_back(text.substr(at, end - at));
    at = end;
  }
  return lines;
}

/// Applies `diff`'s hunks to `before`, checking that every kept and removed line is there.
std::string patch(const std::string& before, const std::string& diff) {
  auto a = lines_of(before);
  auto d = lines_of(diff);
  std::string out;
  std::size_t next = 0;  // the next line of `a` not copied yet
  for (std::size_t i = 0; i < d.size(); ++i) {
    const auto& line = d[i];
    if (line.rfind("@@ -", 0) == 0) {
      auto start = std::stoul(line.substr(4));
      auto comma = line.find(',');
      auto space = line.find(' ', 4);
      bool empty = comma != std::string::npos && comma < space && line.substr(comma, 3) == ",0 ";
      std::size_t first = empty ? start : start - 1;
      REQUIRE(first >= next);
      for (; next < first; ++next) out += a[next];
      continue;
    }
    bool no_newline = i + 1 < d.size() && d[i + 1] == "\\ No newline at end of file\n";
    auto text = line.substr(1);
    if (no_newline) text.pop_back();
    if (line[0] == ' ' || line[0] == '-') {
      REQUIRE(next < a.size());
      REQUIRE(a[next] == text);
      ++next;
    }
    if (line[0] == ' ' || line[0] == '+') out += text;
    if (no_newline) ++i;
  }
  for (; next < a.size(); ++next) out += a[next];
  return out;
}

}  // namespace

TEST_CASE("unified_diff prints diff -u's hunks", "[diff]") {
  CHECK(unified_diff("a\nb\n", "a\nb\n").empty());
  CHECK(unified_diff("a\nb\nc\n", "a\nB\nc\n") == "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
  CHECK(unified_diff("", "x\n") == "@@ -0,0 +1 @@\n+x\n");
  CHECK(unified_diff("x\n", "") == "@@ -1 +0,0 @@\n-x\n");
  CHECK(unified_diff("a\nb", "a\nb\n") ==
        "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
  // Changes 7 kept lines apart are two hunks; 3 apart, one (as GNU diff, context 3).
  auto before = numbered(1, 20);
  auto after = numbered(1, 20);
  after.replace(after.find("\n2\n") + 1, 2, "two\n");
  after.erase(after.find("\n10\n") + 1, 3);
  after.replace(after.find("\n18\n") + 1, 3, "eighteen\n");
  CHECK(unified_diff(before, after) ==
        "@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n"
        "@@ -7,7 +7,6 @@\n 7\n 8\n 9\n-10\n 11\n 12\n 13\n"
        "@@ -15,6 +14,6 @@\n 15\n 16\n 17\n-18\n+eighteen\n 19\n 20\n");
  auto ten = numbered(1, 10);
  auto changed = ten;
  changed.replace(changed.find("\n5\n") + 1, 2, "five\n");
  changed.replace(changed.find("\n9\n") + 1, 2, "nine\n");
  CHECK(unified_diff(ten, changed) ==
        "@@ -2,9 +2,9 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n-9\n+nine\n 10\n");
}

TEST_CASE("unified_diff's hunks turn the text before into the text after", "[diff]") {
  std::mt19937 rng{20261207};
  auto random_text = [&](int lines) {
    std::string s;
    for (int i = 0; i < lines; ++i) s += std::string(1, static_cast<char>('a' + rng() % 4)) + "\n";
    if (rng() % 4 == 0 && !s.empty()) s.pop_back();  // sometimes no final newline
    return s;
  };
  for (int round = 0; round < 300; ++round) {
    auto before = random_text(static_cast<int>(rng() % 30));
    auto after = random_text(static_cast<int>(rng() % 30));
    INFO("before:\n" << before << "\nafter:\n" << after);
    auto diff = unified_diff(before, after, static_cast<int>(rng() % 4));
    CHECK(diff.empty() == (before == after));
    CHECK(patch(before, diff) == after);
  }
}

TEST_CASE("unified_diff past its edit limit replaces the whole text in one hunk", "[diff]") {
  std::string before, after;
  for (int i = 0; i < max_diff_edits; ++i) {
    before += "a" + std::to_string(i) + "\n";
    after += "b" + std::to_string(i) + "\n";
  }
  auto diff = unified_diff("same\n" + before + "end\n", "same\n" + after + "end\n");
  CHECK(diff.rfind("@@ -1," + std::to_string(max_diff_edits + 2) + " +1," +
                       std::to_string(max_diff_edits + 2) + " @@\n same\n-a0\n",
                   0) == 0);
  CHECK(patch("same\n" + before + "end\n", diff) == "same\n" + after + "end\n");
}

TEST_CASE("a long text's diff gives up sooner, bounding its work", "[diff]") {
  // 100 000 lines with 20 changes far apart: past max_diff_work / lines (10) edits.
  std::string before, after;
  for (int i = 0; i < 100000; ++i) {
    before += "line " + std::to_string(i) + "\n";
    after += (i % 5000 == 2500 ? "changed " : "line ") + std::to_string(i) + "\n";
  }
  auto diff = unified_diff(before, after);
  CHECK(patch(before, diff) == after);
  // One hunk from the first change to the last: the whole middle replaced.
  CHECK(std::count(diff.begin(), diff.end(), '@') == 4);
}
