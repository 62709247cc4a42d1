/// @file
/// @brief The sources of a code bot that Paige hosts (docs/bot-contract.md, "Hosted"): the
/// `files` of a `{"kind": "code"}` definition, checked before they are stored or deployed.
/// Pure.
#pragma once

#include "actors/core/outbound_rules.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace paige::actors::bot {

/// Bounds of a hosted bot's sources.
inline constexpr std::size_t max_code_files = 200;
inline constexpr std::size_t max_code_path = 200;
inline constexpr std::size_t max_code_file_bytes = 1 << 20;
inline constexpr std::size_t max_code_bytes = 2 << 20;  ///< all files together

/// A hosted bot's checked sources.
struct code_files {
  std::map<std::string, std::string> files;  ///< relative path → content
  std::string main;       ///< the file Node runs: package.json's "main" (default index.js)
  bool installs = false;  ///< package.json names dependencies: `npm ci` runs at deploy
};

/// Checks `files` (at JSON pointer `at`): relative paths of safe segments, no node_modules,
/// a package.json whose "main" is one of the files, and a package-lock.json when it names
/// dependencies. Problems are appended; the sources are returned (complete only without
/// problems).
code_files read_code_files(const nlohmann::json& files, const std::string& at,
                           std::vector<problem>& problems);

/// The texts a bot version is made of, for diffs: a hosted bot's files by path, and
/// "definition.json" (the definition without its files, indented).
std::map<std::string, std::string> version_texts(const nlohmann::json& definition);

/// What changed from one version's definition to another's: the texts that differ, by path,
/// `[{"path", "change": "added" | "removed" | "changed", "diff": unified diff}]`.
nlohmann::json diff_versions(const nlohmann::json& from, const nlohmann::json& to);

}  // namespace paige::actors::bot
