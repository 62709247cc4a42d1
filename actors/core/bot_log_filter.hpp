/// @file
/// @brief Reading a project's bot log (docs/bot-contract.md, "Logs"): which of its kept entries
/// a `GET .../bot/logs` asks for. Pure.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <set>
#include <string>

namespace paige::actors::bot {

/// Most entries one read answers.
inline constexpr std::size_t max_log_read = 1000;

struct log_filter {
  std::set<std::string> types;  ///< "bot.event", "bot.output", "bot.process"; empty: all
  std::string contains;         ///< text the entry's data must hold (empty: any)
  std::string after;            ///< an entry id: only later entries (empty: from the oldest)
  std::size_t limit = 200;      ///< the newest `limit` of the entries that pass
};

/// Reads a comma list of kinds (`event`, `output`, `process`) into `types`; why it cannot, or
/// nullopt.
std::optional<std::string> read_log_types(const std::string& list, std::set<std::string>& types);

/// The entries of `window` (the log's entries, oldest first: {"id", "type", "data"}) that pass
/// `filter`, oldest first. An `after` id from another epoch (the log before a restart) passes
/// every entry.
nlohmann::json filter_log(const nlohmann::json& window, const log_filter& filter);

}  // namespace paige::actors::bot
