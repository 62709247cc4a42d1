/// @file
/// @brief Sending a message template (spec/meta-cloud-api.md §5 "template"): the parameters a
/// send gives, checked against the template as Meta approved it, so a send Meta would refuse
/// (132000 count, 132005 length, 132012 format, 132018 characters) is refused before it is
/// queued, with a JSON pointer per problem; and the project's templates as sends look them up.
/// Pure logic.
#pragma once

#include "actors/core/outbound_rules.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace paige::actors::templates {

/// Problems of the `template` object of a send (`{"name", "language": {"code"}, "components"?}`)
/// against `stored` (Meta's shape: `{"parameter_format", "category", "components"}`), with
/// pointers below `at`: every parameter the template has is given once with a fitting type
/// (text, currency, date_time; the header's media or location; a URL suffix, a copy code, the
/// OTP code), none it lacks; texts without new lines, tabs or 4 spaces in a row; the body as
/// sent at most 1024 characters. Quick-reply payloads and flow actions are optional.
std::vector<problem> check_send(const nlohmann::json& stored, const nlohmann::json& sent,
                                const std::string& at = "");

/// Whether a template of this status may be sent (Meta refuses the others: 132001, 132015,
/// 132016).
bool sendable(const std::string& status);

/// A project's templates by name and language, as sends need them: built from their stored
/// views (`{"name", "language", "status", "reason"?, "parameter_format", "category",
/// "components"}`), then only read (shared between actors).
class book {
 public:
  /// Adds the template, or replaces the one of its name and language.
  void add(nlohmann::json view);
  void remove(const std::string& name, const std::string& language);
  /// The template, or null.
  const nlohmann::json* find(const std::string& name, const std::string& language) const;
  std::size_t size() const { return by_key_.size(); }

 private:
  std::map<std::pair<std::string, std::string>, nlohmann::json> by_key_;
};

using book_ptr = std::shared_ptr<const book>;

/// Why a send of a template is refused, before its parameters: unknown (`not_found`), not
/// sendable (`not_approved`, with its status and reason), or its parameters (`problems`).
struct send_verdict {
  enum class kind { ok, not_found, not_approved, invalid } what = kind::ok;
  std::string message;
  std::vector<problem> problems;
  std::string status;  ///< not_approved: the template's status
};

/// The verdict on a message (`{"type": "template", "template": {...}}`; other types are ok)
/// against the book, pointers below `at`.
send_verdict judge_send(const book& templates, const nlohmann::json& message,
                        const std::string& at = "");

}  // namespace paige::actors::templates
