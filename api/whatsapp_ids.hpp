/// @file
/// @brief What the WhatsApp routes read from bodies: Meta's numeric ids, and the two-step
/// verification PIN Paige makes when none is given.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace paige::api {

/// body[key] when it is one of Meta's numeric ids (1 to 32 digits).
std::optional<std::string> meta_id(const nlohmann::json& body, const char* key);

/// A random 6-digit PIN (Meta's register call wants one; Paige keeps it sealed).
std::string new_pin();

}  // namespace paige::api
