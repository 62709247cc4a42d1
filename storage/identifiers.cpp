#include "storage/identifiers.hpp"

#include "storage/project_schema.hpp"

#include <algorithm>
#include <iterator>
#include <string_view>

namespace paige::storage {
namespace {

// Postgres' fully reserved key words (Appendix C): legal when quoted, but a trap in every
// hand-written query, so refused.
constexpr std::string_view reserved_words[] = {"all",
                                               "analyse",
                                               "analyze",
                                               "and",
                                               "any",
                                               "array",
                                               "as",
                                               "asc",
                                               "asymmetric",
                                               "authorization",
                                               "binary",
                                               "both",
                                               "case",
                                               "cast",
                                               "check",
                                               "collate",
                                               "collation",
                                               "column",
                                               "concurrently",
                                               "constraint",
                                               "create",
                                               "cross",
                                               "current_catalog",
                                               "current_date",
                                               "current_role",
                                               "current_schema",
                                               "current_time",
                                               "current_timestamp",
                                               "current_user",
                                               "default",
                                               "deferrable",
                                               "desc",
                                               "distinct",
                                               "do",
                                               "else",
                                               "end",
                                               "except",
                                               "false",
                                               "fetch",
                                               "for",
                                               "foreign",
                                               "freeze",
                                               "from",
                                               "full",
                                               "grant",
                                               "group",
                                               "having",
                                               "ilike",
                                               "in",
                                               "initially",
                                               "inner",
                                               "intersect",
                                               "into",
                                               "is",
                                               "isnull",
                                               "join",
                                               "lateral",
                                               "leading",
                                               "left",
                                               "like",
                                               "limit",
                                               "localtime",
                                               "localtimestamp",
                                               "natural",
                                               "not",
                                               "notnull",
                                               "null",
                                               "offset",
                                               "on",
                                               "only",
                                               "or",
                                               "order",
                                               "outer",
                                               "overlaps",
                                               "placing",
                                               "primary",
                                               "references",
                                               "returning",
                                               "right",
                                               "select",
                                               "session_user",
                                               "similar",
                                               "some",
                                               "symmetric",
                                               "system_user",
                                               "table",
                                               "tablesample",
                                               "then",
                                               "to",
                                               "trailing",
                                               "true",
                                               "union",
                                               "unique",
                                               "user",
                                               "using",
                                               "variadic",
                                               "verbose",
                                               "when",
                                               "where",
                                               "window",
                                               "with"};

constexpr std::string_view system_columns[] = {"ctid", "xmin", "xmax", "cmin", "cmax", "tableoid"};

template <std::size_t N>
bool in(const std::string_view (&list)[N], const std::string& name) {
  return std::find(std::begin(list), std::end(list), name) != std::end(list);
}

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::optional<std::string> common_problem(const std::string& name) {
  if (!valid_identifier(name))
    return "'" + name +
           "' is not a valid name: use 1 to 63 characters a-z, 0-9 and _, not starting with a "
           "digit";
  if (starts_with(name, "pg_") || starts_with(name, "paige_"))
    return "'" + name +
           "' is reserved: names starting with pg_ or paige_ belong to Postgres and Paige";
  if (in(reserved_words, name)) return "'" + name + "' is an SQL reserved word";
  return std::nullopt;
}

}  // namespace

bool valid_identifier(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  auto first = name[0];
  if (!((first >= 'a' && first <= 'z') || first == '_')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool is_system_table(const std::string& name) {
  const auto& names = system_table_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::optional<std::string> table_name_problem(const std::string& name) {
  if (auto problem = common_problem(name)) return problem;
  if (is_system_table(name)) return "'" + name + "' is a system table";
  return std::nullopt;
}

std::optional<std::string> column_name_problem(const std::string& name) {
  if (auto problem = common_problem(name)) return problem;
  if (in(system_columns, name)) return "'" + name + "' is a Postgres system column";
  return std::nullopt;
}

}  // namespace paige::storage
