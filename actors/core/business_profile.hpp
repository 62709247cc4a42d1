/// @file
/// @brief A WhatsApp Business profile: the fields Meta keeps for a number, and the limits Meta
/// sets on each, checked before Meta is called (spec/meta-cloud-api.md §10).
#pragma once

#include "actors/core/outbound_rules.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace paige::actors::profile {

/// The fields Paige reads and writes, as Meta names them.
inline const std::vector<std::string> text_fields{"about", "address", "description", "email",
                                                  "vertical"};

/// Meta's business categories (`vertical`); "" clears it.
const std::vector<std::string>& verticals();

/// Problems of a change to the profile (`{"about"?, "address"?, "description"?, "email"?,
/// "websites"?, "vertical"?}`), each with its JSON pointer: unknown fields, types, lengths in
/// characters (about 1–139, address ≤ 256, description ≤ 512, email ≤ 128 and an address),
/// at most two websites of at most 256 characters with an http(s) scheme, a known vertical.
/// Empty: it may be sent to Meta.
std::vector<problem> check_patch(const nlohmann::json& patch);

/// The body of Meta's update call for a checked `patch`.
nlohmann::json update_body(const nlohmann::json& patch);

/// The profile as the API shows it, from Meta's answer to the profile read
/// (`{"data": [{...}]}`): every field present, "" or [] when Meta has none.
nlohmann::json from_graph(const nlohmann::json& answer);

}  // namespace paige::actors::profile
