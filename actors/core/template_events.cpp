#include "actors/core/template_events.hpp"

#include <set>

namespace paige::actors::templates {
namespace {

using json = nlohmann::json;

/// Meta's ids come as numbers in these webhooks, as text elsewhere.
std::string id_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  return {};
}

std::string text_of(const json& obj, const char* key) {
  return obj.is_object() && obj.contains(key) && obj[key].is_string() ? obj[key].get<std::string>()
                                                                      : std::string{};
}

}  // namespace

bool is_template_field(const std::string& field) {
  return field == "message_template_status_update" || field == "message_template_quality_update" ||
         field == "template_category_update";
}

std::optional<template_change> change_of(const std::string& field, const json& value) {
  if (!is_template_field(field) || !value.is_object()) return std::nullopt;
  template_change c;
  c.meta_id = id_of(value.value("message_template_id", json()));
  c.name = text_of(value, "message_template_name");
  c.language = text_of(value, "message_template_language");
  if (c.meta_id.empty() && (c.name.empty() || c.language.empty())) return std::nullopt;
  if (field == "message_template_quality_update") {
    auto q = text_of(value, "new_quality_score");
    if (q.empty()) return std::nullopt;
    c.quality = q;
    return c;
  }
  if (field == "template_category_update") {
    // Meta has sent the new category under both names.
    auto cat = text_of(value, "new_category");
    if (cat.empty()) cat = text_of(value, "correct_category");
    if (cat.empty()) return std::nullopt;
    c.category = cat;
    return c;
  }
  static const std::set<std::string> statuses{
      "APPROVED",  "REJECTED",         "PENDING",  "PAUSED", "DISABLED",
      "IN_APPEAL", "PENDING_DELETION", "ARCHIVED", "LOCKED", "LIMIT_EXCEEDED"};
  auto event = text_of(value, "event");
  auto reason = text_of(value, "reason");
  if (reason.empty()) reason = text_of(value.value("rejection_info", json()), "reason");
  if (reason == "NONE") reason.clear();
  if (event == "DELETED") {
    c.deleted = true;
  } else if (event == "REINSTATED") {
    c.status = "APPROVED";
  } else if (event == "FLAGGED") {
    // Still sendable; Meta pauses it if its quality does not improve.
    c.quality = "FLAGGED";
  } else if (statuses.count(event)) {
    c.status = event;
    if (event != "APPROVED") c.reason = reason;
  } else {
    c.resync = true;  // UNARCHIVED, UNLOCKED, and events Meta adds later
  }
  return c;
}

}  // namespace paige::actors::templates
