/// @file
/// @brief A WhatsApp Flow as Meta validates it (spec/meta-cloud-api.md §9, docs/flows.md): the
/// API's flow (name, categories, endpoint) and its Flow JSON (version, screens and their ids,
/// the layout's components with their required properties and limits, the actions, every
/// `${data.*}` / `${form.*}` / `${screen.*}` reference, the routing model, a terminal screen),
/// checked before Meta sees it, a JSON pointer per problem. Meta's own validation errors are
/// translated to the same pointers. Pure logic.
#pragma once

#include "actors/core/outbound_rules.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace paige::actors::flows {

/// The Flow JSON versions Meta accepts for new flows and updates, oldest first.
const std::vector<std::string>& publishable_versions();

/// Whether a flow's name can name it in a path: no '/', no control characters.
bool path_safe_name(const std::string& name);

/// Problems of a Flow JSON, with pointers below `at`.
std::vector<problem> check_flow_json(const nlohmann::json& flow, const std::string& at = "");

/// Problems of a flow to create (`edit` false: `{"name", "categories", "flow_json",
/// "endpoint_uri"?}`) or of an edit's members (`edit` true: each optional, one at least): the
/// name (1–200 characters, path_safe_name), the categories (Meta's list, one at least, no repeats),
/// the endpoint (an https URL, or empty for none) and the Flow JSON.
std::vector<problem> check_flow(const nlohmann::json& body, bool edit);

/// Meta's path of a problem ("screens[0].layout.children[1].type") as a JSON pointer below
/// `at` ("/flow_json/screens/0/layout/children/1/type"), and back (for the simulator).
std::string pointer_of_meta_path(const std::string& path, const std::string& at);
std::string meta_path_of_pointer(const std::string& pointer);

/// Meta's `validation_errors` as problems below `at` (the first pointer's path of each, or
/// `at` itself); the message says which of Meta's errors it is.
std::vector<problem> problems_of_meta(const nlohmann::json& validation_errors,
                                      const std::string& at);

}  // namespace paige::actors::flows
