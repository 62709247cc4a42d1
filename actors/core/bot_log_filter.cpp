#include "actors/core/bot_log_filter.hpp"

#include <cstdint>

namespace paige::actors::bot {
namespace {

using json = nlohmann::json;

/// `<epoch>-<seq>` split; nullopt when it is not one.
std::optional<std::pair<std::string, std::uint64_t>> split_id(const std::string& id) {
  auto dash = id.find('-');
  if (dash == std::string::npos || dash + 1 >= id.size() || id.size() > 64) return std::nullopt;
  for (auto i = dash + 1; i < id.size(); ++i)
    if (id[i] < '0' || id[i] > '9') return std::nullopt;
  return std::make_pair(id.substr(0, dash), std::stoull(id.substr(dash + 1)));
}

}  // namespace

std::optional<std::string> read_log_types(const std::string& list, std::set<std::string>& types) {
  std::size_t start = 0;
  while (start <= list.size()) {
    auto comma = list.find(',', start);
    auto kind = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (kind != "event" && kind != "output" && kind != "process")
      return "type is a comma list of event, output and process";
    types.insert("bot." + kind);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return std::nullopt;
}

json filter_log(const json& window, const log_filter& filter) {
  auto after = split_id(filter.after);
  json passed = json::array();
  for (const auto& entry : window) {
    const auto& type = entry["type"].get_ref<const std::string&>();
    if (!filter.types.empty() && !filter.types.count(type)) continue;
    if (after) {
      auto id = split_id(entry["id"].get<std::string>());
      if (id && id->first == after->first && id->second <= after->second) continue;
    }
    if (!filter.contains.empty()) {
      // An output's text as written; any other entry as its JSON.
      const auto& data = entry["data"];
      auto text = data.contains("text") && data["text"].is_string()
                      ? data["text"].get<std::string>()
                      : data.dump(-1, ' ', false, json::error_handler_t::replace);
      if (text.find(filter.contains) == std::string::npos) continue;
    }
    passed.push_back(entry);
  }
  if (passed.size() <= filter.limit) return passed;
  json newest = json::array();
  for (auto i = passed.size() - filter.limit; i < passed.size(); ++i) newest.push_back(passed[i]);
  return newest;
}

}  // namespace paige::actors::bot
