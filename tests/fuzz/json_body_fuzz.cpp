// Request bodies as the API reads them: never a throw, never deeper than the limit, and only
// known fields in an accepted object.
#include "api/json_body.hpp"
#include "tests/fuzz/fuzz_target.hpp"

#include <string>

namespace {

std::size_t depth_of(const nlohmann::json& j) {
  // Iterative: the input may be as deep as the parser allows.
  std::size_t deepest = 0;
  std::vector<std::pair<const nlohmann::json*, std::size_t>> todo{{&j, 1}};
  while (!todo.empty()) {
    auto [node, depth] = todo.back();
    todo.pop_back();
    deepest = std::max(deepest, depth);
    if (node->is_structured())
      for (const auto& child : *node) todo.emplace_back(&child, depth + 1);
  }
  return deepest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string body{reinterpret_cast<const char*>(data), size};
  constexpr std::size_t max_depth = 32;
  auto any = paige::api::parse_json(body, max_depth);
  if (auto* doc = std::get_if<nlohmann::json>(&any)) {
    paige::fuzz::require(depth_of(*doc) <= max_depth + 1,
                         "a body deeper than the limit was accepted");
  } else {
    paige::fuzz::require(std::get<paige::api::http_response>(any).status == 400,
                         "a refused body is not 400");
  }
  auto object = paige::api::parse_json_object(body, max_depth, {"name", "settings"});
  if (auto* doc = std::get_if<nlohmann::json>(&object)) {
    paige::fuzz::require(doc->is_object(), "a non-object was accepted as an object");
    for (const auto& [key, value] : doc->items())
      paige::fuzz::require(key == "name" || key == "settings", "an unknown field was accepted");
  }
  if (auto id = paige::api::parse_id(body))
    paige::fuzz::require(*id > 0, "a non-positive id was accepted");
  return 0;
}
