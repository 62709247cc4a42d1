/// @file
/// @brief The message templates of a project's WABA in the control database, as Meta reviewed
/// them (actors/core/template_rules.hpp for their shape).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/connection>

namespace pqxx {
class transaction_base;
}

namespace paige::storage {

/// One template in one language.
struct template_row {
  std::string name;
  std::string language;
  std::string meta_id;  ///< Meta's id of this name and language
  std::string waba_id;
  std::string category;          ///< UTILITY, MARKETING, AUTHENTICATION
  std::string parameter_format;  ///< positional, named
  std::string components_json;   ///< Meta's shape
  std::string status;            ///< PENDING, APPROVED, REJECTED, PAUSED, DISABLED...
  std::string reason;            ///< why it was rejected or paused; empty: none
  std::string quality;           ///< GREEN, YELLOW, RED, UNKNOWN; empty: not rated yet
  std::int64_t status_time = 0;  ///< when Meta decided the status (Unix seconds)
  std::string created_at;        ///< ISO 8601
  std::string updated_at;
};

/// Stores the template (a new one, or what Meta says of it now), keeping when it was created.
void save_template(pqxx::transaction_base& tx, const std::string& project_id,
                   const template_row& t);

/// The template of Meta's id `meta_id` (or, without one, of `name` and `language`), locked
/// until `tx` ends.
std::optional<template_row> lock_template(pqxx::transaction_base& tx, const std::string& project_id,
                                          const std::string& meta_id, const std::string& name,
                                          const std::string& language);

/// Removes the template's `language` (empty: all its languages). The number removed.
std::size_t remove_templates(pqxx::transaction_base& tx, const std::string& project_id,
                             const std::string& name, const std::string& language);

/// Makes the project's templates those of `rows` (Meta's list, asked for at `started`, Unix
/// seconds): each stored unless what is stored was decided later (a webhook since), the others
/// removed unless changed since `started` (made while the list was read); the WABA marked
/// synced. The number of templates added, changed or removed.
std::size_t replace_templates(pqxx::transaction_base& tx, const std::string& project_id,
                              const std::string& waba_id, const std::vector<template_row>& rows,
                              std::int64_t started);

/// Whether the project's templates of `waba_id` were read whole from Meta at least once.
bool templates_synced(pqxx::transaction_base& tx, const std::string& project_id,
                      const std::string& waba_id);

/// An edit Meta took: the template's components (and category, when not empty) replaced, in
/// review again since `status_time`. False when the template is gone (deleted meanwhile).
bool edit_template(pqxx::transaction_base& tx, const std::string& project_id,
                   const std::string& meta_id, const std::string& components_json,
                   const std::string& category, std::int64_t status_time);

/// The project's templates ordered by name and language, after (`after_name`, `after_language`)
/// when given, of `status` when not empty, `name` when not empty; at most `limit` (0: all).
std::vector<template_row> templates_of(pqxx::transaction_base& tx, const std::string& project_id,
                                       const std::string& status, const std::string& name,
                                       const std::string& after_name,
                                       const std::string& after_language, int limit);

}  // namespace paige::storage
