/// @file
/// @brief Line diffs of bot versions' files (GET .../bot/diff): `diff -u`'s hunks, computed
/// with Myers' algorithm. Pure.
#pragma once

#include <string>

namespace paige::actors::bot {

/// Line edits past which a diff gives up finding the shortest script and replaces the whole
/// text in one hunk (the work grows with their square).
inline constexpr int max_diff_edits = 1000;
/// And past which a long text's diff gives up sooner: its edits times its lines (the work
/// grows with both), so a diff of a version's 2 MiB of files stays a fraction of a second.
inline constexpr int max_diff_work = 1 << 20;

/// The hunks that turn `before` into `after`, as `diff -u` prints them without the file
/// header ("@@ -1,3 +1,4 @@", then " ", "-" and "+" lines, "\ No newline at end of file" after
/// a last line without one), with `context` unchanged lines around each change; "" when the
/// texts are equal.
std::string unified_diff(const std::string& before, const std::string& after, int context = 3);

}  // namespace paige::actors::bot
