/// @file
/// @brief A message template as Meta reviews it (spec/meta-cloud-api.md §8): its name,
/// language, category, parameter format and components, checked against Meta's limits before
/// Meta sees it, so a template Meta would refuse outright is refused here with a JSON pointer
/// per problem. Pure logic.
#pragma once

#include "actors/core/outbound_rules.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace paige::actors::templates {

/// The parameters a text names, in order of first appearance: "1", "2" (positional: `{{1}}`)
/// or names (named: `{{first_name}}`); `malformed` gets a brace pair that is neither.
std::vector<std::string> parameters_of(const std::string& text, bool named, bool& malformed);

/// Problems of a template to create (`{"name", "language", "category", "parameter_format"?,
/// "components"}`), each with its JSON pointer: the name (lower case a–z, 0–9, _; ≤ 512), the
/// language (`en` or `en_US`), the category (UTILITY, MARKETING, AUTHENTICATION), the
/// components (one BODY; at most one HEADER, FOOTER and BUTTONS), their texts' lengths, their
/// parameters (positional `{{1}}`… in order from 1, or named: lower case, unique; not at the
/// start or end of the body) and the examples Meta requires for them, the buttons (at most 10:
/// quick replies ≤ 10, URL ≤ 2 with at most one parameter at the end, phone number ≤ 1, copy
/// code ≤ 1, flow buttons with one flow reference; texts ≤ 25), and an authentication
/// template's shape (one OTP button, no header). Empty: it may be sent to Meta.
std::vector<problem> check_template(const nlohmann::json& t);

}  // namespace paige::actors::templates
