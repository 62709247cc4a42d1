/// @file
/// @brief What Meta's template webhooks (`message_template_status_update`,
/// `message_template_quality_update`, `template_category_update`; spec/meta-cloud-api.md §8)
/// change of a stored template. Pure logic.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace paige::actors::templates {

/// A change to one template: found by Meta's id (or by name and language), the fields it sets.
struct template_change {
  std::string meta_id;
  std::string name;
  std::string language;
  std::optional<std::string> status;  ///< with `reason` (empty: none)
  std::string reason;
  std::optional<std::string> quality;
  std::optional<std::string> category;
  bool deleted = false;  ///< Meta deleted it: the stored template goes
  bool resync = false;   ///< an event whose outcome only Meta knows: read the template again
};

/// The change a webhook's value makes, or nullopt for another field or a value without a
/// template.
std::optional<template_change> change_of(const std::string& field, const nlohmann::json& value);

/// Whether `field` is one of the template webhooks.
bool is_template_field(const std::string& field);

}  // namespace paige::actors::templates
