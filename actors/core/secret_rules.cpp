#include "actors/core/secret_rules.hpp"

#include <array>
#include <string_view>

namespace paige::actors {
namespace {

/// Set by Paige for the bot process, or read by its runtime in ways a project must not steer.
constexpr std::array<std::string_view, 12> reserved_names{"DATABASE_URL",
                                                          "PORT",
                                                          "PATH",
                                                          "HOME",
                                                          "USER",
                                                          "SHELL",
                                                          "TMPDIR",
                                                          "NODE_OPTIONS",
                                                          "NODE_PATH",
                                                          "LD_PRELOAD",
                                                          "LD_LIBRARY_PATH",
                                                          "NODE_EXTRA_CA_CERTS"};

bool upper_or_underscore(char c) { return (c >= 'A' && c <= 'Z') || c == '_'; }

}  // namespace

std::optional<std::string> secret_name_problem(const std::string& name) {
  bool shaped = !name.empty() && name.size() <= 64 && upper_or_underscore(name[0]);
  for (char c : name) shaped = shaped && (upper_or_underscore(c) || (c >= '0' && c <= '9'));
  if (!shaped)
    return "a secret's name has 1 to 64 characters: capital letters, digits and _, not starting "
           "with a digit (it becomes an environment variable)";
  if (name.rfind("PAIGE_", 0) == 0) return "names starting with PAIGE_ are Paige's own";
  for (auto reserved : reserved_names)
    if (name == reserved) return name + " is set by Paige or the bot's runtime";
  return std::nullopt;
}

std::optional<std::string> secret_value_problem(const std::string& value) {
  if (value.size() > max_secret_bytes)
    return "a secret's value has at most " + std::to_string(max_secret_bytes) + " bytes";
  if (value.find('\0') != std::string::npos) return "a secret's value cannot hold a NUL character";
  return std::nullopt;
}

}  // namespace paige::actors
