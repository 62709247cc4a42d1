#include "actors/core/text_diff.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

namespace paige::actors::bot {
namespace {

/// Lines with their "\n" (the last one may have none): "a" and "a\n" differ.
std::vector<std::string_view> lines_of(const std::string& text) {
  std::vector<std::string_view> lines;
  std::string_view rest{text};
  while (!rest.empty()) {
    auto end = rest.find('\n');
    auto length = end == std::string_view::npos ? rest.size() : end + 1;
    lines.push_back(rest.substr(0, length));
    rest.remove_prefix(length);
  }
  return lines;
}

/// One line of the edit script: kept (' '), removed ('-') or added ('+'), with its place in
/// the text before and after.
struct edit {
  char op;
  int a;  ///< index in before (' ', '-')
  int b;  ///< index in after (' ', '+')
};

/// The shortest edit script of a[0..n) → b[0..m) (Myers 1986, "An O(ND) Difference Algorithm"),
/// or nothing when it needs more edits than max_diff_edits (fewer for long texts:
/// max_diff_work).
bool shortest_script(const std::vector<std::string_view>& a, int a0, int n,
                     const std::vector<std::string_view>& b, int b0, int m,
                     std::vector<edit>& out) {
  const int max =
      std::min({n + m, max_diff_edits, std::max(16, max_diff_work / std::max(1, n + m))});
  const int offset = max + 1;
  std::vector<int> v(2 * max + 3, 0);
  // trace[d]: v for k in [-d-1, d+1] as round d found it (what backtracking reads).
  std::vector<std::vector<int>> trace;
  int found = -1;
  for (int d = 0; d <= max && found < 0; ++d) {
    for (int k = -d; k <= d; k += 2) {
      int x = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]))
                  ? v[offset + k + 1]
                  : v[offset + k - 1] + 1;
      int y = x - k;
      while (x < n && y < m && a[a0 + x] == b[b0 + y]) ++x, ++y;
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    trace.emplace_back(v.begin() + offset - d - 1, v.begin() + offset + d + 2);
  }
  if (found < 0) return false;
  std::vector<edit> script;
  int x = n, y = m;
  for (int d = found; d >= 0; --d) {
    auto at = [&](int round, int k) { return trace[round][k + round + 1]; };
    int k = x - y;
    int prev_k = 0, prev_x = 0, prev_y = 0;
    if (d > 0) {
      prev_k = (k == -d || (k != d && at(d - 1, k - 1) < at(d - 1, k + 1))) ? k + 1 : k - 1;
      prev_x = at(d - 1, prev_k);
      prev_y = prev_x - prev_k;
    }
    while (x > prev_x && y > prev_y) {
      --x, --y;
      script.push_back({' ', a0 + x, b0 + y});
    }
    if (d == 0) break;
    if (x == prev_x)
      script.push_back({'+', a0 + x, b0 + y - 1});
    else
      script.push_back({'-', a0 + x - 1, b0 + y});
    x = prev_x;
    y = prev_y;
  }
  out.insert(out.end(), script.rbegin(), script.rend());
  return true;
}

std::string range(int start, int length) {
  // diff -u names an empty range by the line before it, and a range of one line by it alone.
  if (length == 1) return std::to_string(start + 1);
  return std::to_string(length == 0 ? start : start + 1) + "," + std::to_string(length);
}

void print_line(std::string& out, char op, std::string_view line) {
  out += op;
  out.append(line.data(), line.size());
  if (line.empty() || line.back() != '\n') out += "\n\\ No newline at end of file\n";
}

}  // namespace

std::string unified_diff(const std::string& before, const std::string& after, int context) {
  if (before == after) return {};
  auto a = lines_of(before), b = lines_of(after);
  int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  int prefix = 0;
  while (prefix < n && prefix < m && a[prefix] == b[prefix]) ++prefix;
  int suffix = 0;
  while (suffix < n - prefix && suffix < m - prefix && a[n - 1 - suffix] == b[m - 1 - suffix])
    ++suffix;
  std::vector<edit> script;
  for (int i = 0; i < prefix; ++i) script.push_back({' ', i, i});
  if (!shortest_script(a, prefix, n - prefix - suffix, b, prefix, m - prefix - suffix, script)) {
    for (int i = prefix; i < n - suffix; ++i) script.push_back({'-', i, prefix});
    for (int j = prefix; j < m - suffix; ++j) script.push_back({'+', n - suffix, j});
  }
  for (int i = 0; i < suffix; ++i) script.push_back({' ', n - suffix + i, m - suffix + i});

  std::string out;
  const int total = static_cast<int>(script.size());
  int i = 0;
  while (i < total) {
    while (i < total && script[i].op == ' ') ++i;
    if (i == total) break;
    // A hunk: from `context` lines before this change to `context` after the last change
    // that follows within 2 * context kept lines.
    int begin = std::max(0, i - context);
    int end = i;
    while (true) {
      while (end < total && script[end].op != ' ') ++end;
      int kept = end;
      while (kept < total && script[kept].op == ' ') ++kept;
      if (kept < total && kept - end <= 2 * context) {
        end = kept;
        continue;
      }
      end = std::min(total, end + context);
      break;
    }
    int a_start = script[begin].a, b_start = script[begin].b;
    int a_len = 0, b_len = 0;
    for (int j = begin; j < end; ++j) {
      if (script[j].op != '+') ++a_len;
      if (script[j].op != '-') ++b_len;
    }
    out += "@@ -" + range(a_start, a_len) + " +" + range(b_start, b_len) + " @@\n";
    for (int j = begin; j < end; ++j) {
      const auto& e = script[j];
      print_line(out, e.op, e.op == '+' ? b[e.b] : a[e.a]);
    }
    i = end;
  }
  return out;
}

}  // namespace paige::actors::bot
