#include "storage/project_status.hpp"

#include <array>

namespace paige::storage {
namespace {

const std::array<std::string, 6>& names() {
  static const std::array<std::string, 6> all{"provisioning", "active",   "paused",
                                              "failed",       "deleting", "deleted"};
  return all;
}

}  // namespace

const std::string& to_string(project_status s) { return names()[static_cast<std::size_t>(s)]; }

std::optional<project_status> parse_project_status(std::string_view name) {
  for (std::size_t i = 0; i < names().size(); ++i)
    if (names()[i] == name) return static_cast<project_status>(i);
  return std::nullopt;
}

bool is_ready(project_status s) {
  return s == project_status::active || s == project_status::paused;
}

}  // namespace paige::storage
