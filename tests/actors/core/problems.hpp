/// @file
/// @brief Finding a located problem in a list of them (core tests of checked documents).
#pragma once

#include "actors/core/outbound_rules.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace paige::actors::test {

/// Whether `ps` holds a problem at `pointer` whose message contains `fragment`; when not, the
/// problems found are shown with the failing check.
inline bool has_problem(const std::vector<problem>& ps, const std::string& pointer,
                        const std::string& fragment) {
  for (const auto& p : ps)
    if (p.pointer == pointer && p.message.find(fragment) != std::string::npos) return true;
  for (const auto& p : ps) UNSCOPED_INFO(p.pointer << ": " << p.message);
  return false;
}

}  // namespace paige::actors::test
