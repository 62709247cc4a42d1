#include "storage/templates.hpp"

#include <pqxx/pqxx>

#include <stdexcept>

namespace paige::storage {
namespace {

const char* const columns =
    "name, language, meta_id, waba_id, category, parameter_format, components::text, status, "
    "reason, quality, status_time, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

template_row to_template(const pqxx::row& r) {
  return {r[0].as<std::string>(), r[1].as<std::string>(),   r[2].as<std::string>(),
          r[3].as<std::string>(), r[4].as<std::string>(),   r[5].as<std::string>(),
          r[6].as<std::string>(), r[7].as<std::string>(),   r[8].as<std::string>(),
          r[9].as<std::string>(), r[10].as<std::int64_t>(), r[11].as<std::string>(),
          r[12].as<std::string>()};
}

}  // namespace

void save_template(pqxx::transaction_base& tx, const std::string& project_id,
                   const template_row& t) {
  // Meta's id is the template's identity: one stored under another name or language (Meta
  // never renames, but a list read while one was deleted and made again may) gives way.
  tx.exec_params(
      "DELETE FROM message_templates WHERE project_id = $1 AND meta_id = $2 "
      "AND (name <> $3 OR language <> $4)",
      project_id, t.meta_id, t.name, t.language);
  tx.exec_params(
      "INSERT INTO message_templates (project_id, name, language, meta_id, waba_id, category, "
      "parameter_format, components, status, reason, quality, status_time) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12) "
      "ON CONFLICT (project_id, name, language) DO UPDATE SET meta_id = EXCLUDED.meta_id, "
      "waba_id = EXCLUDED.waba_id, category = EXCLUDED.category, "
      "parameter_format = EXCLUDED.parameter_format, components = EXCLUDED.components, "
      "status = EXCLUDED.status, reason = EXCLUDED.reason, quality = EXCLUDED.quality, "
      "status_time = EXCLUDED.status_time, updated_at = now()",
      project_id, t.name, t.language, t.meta_id, t.waba_id, t.category, t.parameter_format,
      t.components_json, t.status, t.reason, t.quality, t.status_time);
}

std::optional<template_row> lock_template(pqxx::transaction_base& tx, const std::string& project_id,
                                          const std::string& meta_id, const std::string& name,
                                          const std::string& language) {
  auto r = meta_id.empty()
               ? tx.exec_params(std::string{"SELECT "} + columns +
                                    " FROM message_templates WHERE project_id = $1 AND name = $2 "
                                    "AND language = $3 FOR UPDATE",
                                project_id, name, language)
               : tx.exec_params(std::string{"SELECT "} + columns +
                                    " FROM message_templates WHERE project_id = $1 AND "
                                    "meta_id = $2 FOR UPDATE",
                                project_id, meta_id);
  if (r.empty()) return std::nullopt;
  return to_template(r[0]);
}

std::size_t remove_templates(pqxx::transaction_base& tx, const std::string& project_id,
                             const std::string& name, const std::string& language) {
  auto r = tx.exec_params(
      "DELETE FROM message_templates WHERE project_id = $1 AND name = $2 "
      "AND ($3 = '' OR language = $3)",
      project_id, name, language);
  return static_cast<std::size_t>(r.affected_rows());
}

std::size_t replace_templates(pqxx::transaction_base& tx, const std::string& project_id,
                              const std::string& waba_id, const std::vector<template_row>& rows,
                              std::int64_t started) {
  std::size_t changed = 0;
  std::string keep = "{";
  for (const auto& t : rows) {
    if (t.meta_id.empty() || t.meta_id.find_first_not_of("0123456789") != std::string::npos)
      throw std::invalid_argument("a template id is digits: " + t.meta_id);
    if (keep.size() > 1) keep += ',';
    keep += '"' + t.meta_id + '"';
    tx.exec_params(
        "DELETE FROM message_templates WHERE project_id = $1 AND meta_id = $2 "
        "AND (name <> $3 OR language <> $4)",
        project_id, t.meta_id, t.name, t.language);
    // What Meta's list says, unless a webhook decided later than the list was asked for, or
    // in the same second (Meta's times are seconds: the webhook may be the later one).
    auto r = tx.exec_params(
        "INSERT INTO message_templates AS m (project_id, name, language, meta_id, waba_id, "
        "category, parameter_format, components, status, reason, quality, status_time) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12) "
        "ON CONFLICT (project_id, name, language) DO UPDATE SET meta_id = EXCLUDED.meta_id, "
        "waba_id = EXCLUDED.waba_id, category = EXCLUDED.category, "
        "parameter_format = EXCLUDED.parameter_format, components = EXCLUDED.components, "
        "status = EXCLUDED.status, reason = EXCLUDED.reason, quality = EXCLUDED.quality, "
        "status_time = EXCLUDED.status_time, updated_at = now() "
        "WHERE m.status_time < EXCLUDED.status_time AND "
        "(m.meta_id, m.category, m.parameter_format, m.components, m.status, m.reason, m.quality) "
        "IS DISTINCT FROM (EXCLUDED.meta_id, EXCLUDED.category, EXCLUDED.parameter_format, "
        "EXCLUDED.components, EXCLUDED.status, EXCLUDED.reason, EXCLUDED.quality)",
        project_id, t.name, t.language, t.meta_id, waba_id, t.category, t.parameter_format,
        t.components_json, t.status, t.reason, t.quality, started);
    changed += static_cast<std::size_t>(r.affected_rows());
  }
  keep += '}';
  auto gone = tx.exec_params(
      "DELETE FROM message_templates WHERE project_id = $1 AND NOT (meta_id = ANY($2::text[])) "
      "AND updated_at < to_timestamp($3)",
      project_id, keep, started);
  tx.exec_params(
      "INSERT INTO template_syncs (project_id, waba_id, synced_at) VALUES ($1, $2, now()) "
      "ON CONFLICT (project_id) DO UPDATE SET waba_id = EXCLUDED.waba_id, synced_at = now()",
      project_id, waba_id);
  return changed + static_cast<std::size_t>(gone.affected_rows());
}

bool templates_synced(pqxx::transaction_base& tx, const std::string& project_id,
                      const std::string& waba_id) {
  return !tx.exec_params("SELECT 1 FROM template_syncs WHERE project_id = $1 AND waba_id = $2",
                         project_id, waba_id)
              .empty();
}

bool edit_template(pqxx::transaction_base& tx, const std::string& project_id,
                   const std::string& meta_id, const std::string& components_json,
                   const std::string& category, std::int64_t status_time) {
  auto r = tx.exec_params(
      "UPDATE message_templates SET components = $3::jsonb, "
      "category = CASE WHEN $4 = '' THEN category ELSE $4 END, status = 'PENDING', reason = '', "
      "status_time = GREATEST(status_time, $5), updated_at = now() "
      "WHERE project_id = $1 AND meta_id = $2",
      project_id, meta_id, components_json, category, status_time);
  return r.affected_rows() > 0;
}

std::vector<template_row> templates_of(pqxx::transaction_base& tx, const std::string& project_id,
                                       const std::string& status, const std::string& name,
                                       const std::string& after_name,
                                       const std::string& after_language, int limit) {
  auto r = tx.exec_params(std::string{"SELECT "} + columns +
                              " FROM message_templates WHERE project_id = $1 "
                              "AND ($2 = '' OR status = $2) AND ($3 = '' OR name = $3) "
                              "AND ($4 = '' OR (name, language) > ($4, $5)) "
                              "ORDER BY name, language LIMIT $6",
                          project_id, status, name, after_name, after_language,
                          limit > 0 ? limit : 1000000);
  std::vector<template_row> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(to_template(row));
  return out;
}

}  // namespace paige::storage
