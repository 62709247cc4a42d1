/// @file
/// @brief A broadcast as the API takes it (`{"name"?, "template": {"name", "language"},
/// "audience", "components"?, "schedule_at"?}`): its shape checked with a JSON pointer per
/// problem, and each recipient's message made from it. Pure logic.
///
/// The audience is one of `{"all_contacts": true}`, `{"states": [state...]}` (contacts whose
/// open conversation is in one of them), `{"wa_ids": [wa_id...]}` and `{"table": t,
/// "phone_column": c}` (the rows of a project table). The components are a template send's
/// (spec/meta-cloud-api.md §5) where any text value may be `{"column": c}`: the recipient's
/// value of column c (for contacts: `name`, `wa_id`).
#pragma once

#include "actors/core/outbound_rules.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace paige::actors::broadcasts {

/// At most this many wa_ids in a list audience.
inline constexpr std::size_t max_wa_ids = 100000;

/// Problems of a broadcast to create; `schedule_at` gets its time (Unix seconds) when it has
/// one in the future of `now` (a past one is a problem).
std::vector<problem> check_broadcast(const nlohmann::json& b, std::int64_t now,
                                     std::int64_t& schedule_at);

/// Problems of a table audience against the table as it is now (a broadcast that passed
/// check_broadcast): `columns` are the table's column names, nullopt when there is no table.
std::vector<problem> check_table(const nlohmann::json& b,
                                 const std::optional<std::vector<std::string>>& columns);

/// The columns the components use, each once.
std::vector<std::string> columns_of(const nlohmann::json& components);

/// The components with each `{"column": c}` replaced by `fields[c]` (as text; "" if absent).
nlohmann::json resolve(const nlohmann::json& components, const nlohmann::json& fields);

/// The message a recipient gets: `{"type": "template", "template": {"name", "language":
/// {"code"}, "components"}}`.
nlohmann::json message_of(const nlohmann::json& template_ref, const nlohmann::json& components);

/// The unique users a day Meta's messaging-limit tier allows ("TIER_250" → 250, "TIER_1K" →
/// 1000, "TIER_100K" → 100000); 0 when unlimited or unknown.
std::int64_t daily_limit_of(const std::string& tier);

}  // namespace paige::actors::broadcasts
