/// @file
/// @brief Which names and values a project's secrets may have. A secret becomes an environment
/// variable of the project's bot process, so names follow the shell's rules and stay off the
/// variables Paige sets itself. Pure.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace paige::actors {

/// The secret that signs the events Paige posts to the project's code bot
/// (docs/bot-contract.md): Paige makes it, shows it once, and hands it to a hosted bot under
/// this name. A reserved name: the API cannot put or delete it.
inline constexpr const char* bot_secret_name = "PAIGE_BOT_SECRET";

/// A hosted bot's API key for the project (docs/bot-contract.md), kept sealed under this name
/// and listed among the project's keys as bot_api_key_label: revoking it there gives the bot a
/// new one. A reserved name, like bot_secret_name.
inline constexpr const char* bot_api_key_name = "PAIGE_API_KEY";
inline constexpr const char* bot_api_key_label = "hosted bot";

/// Longest secret value, in bytes.
inline constexpr std::size_t max_secret_bytes = 32 * 1024;

/// Why `name` cannot name a secret (nullopt: it can): `^[A-Z_][A-Z0-9_]{0,63}$`, not
/// `PAIGE_*`, and none of the variables a bot process gets from Paige or its runtime
/// (DATABASE_URL, PORT, PATH, HOME, NODE_OPTIONS, LD_PRELOAD ...).
std::optional<std::string> secret_name_problem(const std::string& name);

/// Why `value` cannot be a secret's value (nullopt: it can): at most max_secret_bytes, no NUL
/// byte (an environment variable cannot hold one).
std::optional<std::string> secret_value_problem(const std::string& value);

}  // namespace paige::actors
