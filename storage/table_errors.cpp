#include "storage/table_errors.hpp"

#include <pqxx/except>

namespace paige::storage {
namespace {

/// "ERROR:  x\nDETAIL:  y\n" → "x (y)".
std::string human_message(std::string text) {
  auto strip = [](std::string line) {
    for (const char* prefix : {"ERROR:  ", "DETAIL:  ", "HINT:  "})
      if (line.rfind(prefix, 0) == 0) return line.substr(std::char_traits<char>::length(prefix));
    return line;
  };
  std::string out;
  std::size_t start = 0;
  bool first = true;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    auto line = strip(text.substr(start, end - start));
    start = end + 1;
    if (line.empty() || line.rfind("LINE ", 0) == 0 ||
        line.find_first_not_of(" ^") == std::string::npos)
      continue;
    out += first ? line : " (" + line + ")";
    first = false;
  }
  return out;
}

struct mapping {
  const char* sqlstate;  ///< a full SQLSTATE, or a two-character class
  api_code code;
};

constexpr mapping mappings[] = {
    {"23505", api_code::unique_violation},
    {"23503", api_code::foreign_key_violation},
    {"23502", api_code::not_null_violation},
    {"23514", api_code::check_violation},
    {"42P01", api_code::table_not_found},
    {"42703", api_code::unknown_column},
    {"42P07", api_code::table_exists},
    {"42701", api_code::column_exists},
    {"2BP01", api_code::table_in_use},
    {"42501", api_code::permission_denied},
    {"57014", api_code::statement_timeout},
    {"53400", api_code::temp_file_limit_exceeded},
    {"55P03", api_code::table_busy},
    {"22", api_code::invalid_value},
    {"23", api_code::constraint_violation},
    {"42", api_code::sql_error},
    {"0A", api_code::sql_error},
    {"21", api_code::sql_error},
    {"25", api_code::sql_error},
    {"2B", api_code::table_in_use},
    {"34", api_code::sql_error},
    {"24", api_code::sql_error},
    {"26", api_code::sql_error},
    {"54", api_code::sql_error},
    {"P0", api_code::sql_error},
};

/// The SQLSTATE of `e`; libpqxx 6.4 throws several of its subclasses without one, so those
/// are recognised by type.
std::string state_of(const pqxx::sql_error& e) {
  if (!e.sqlstate().empty()) return e.sqlstate();
  auto is = [&e](auto* type) { return dynamic_cast<decltype(type)>(&e) != nullptr; };
  if (is(static_cast<const pqxx::insufficient_privilege*>(nullptr))) return "42501";
  if (is(static_cast<const pqxx::undefined_table*>(nullptr))) return "42P01";
  if (is(static_cast<const pqxx::undefined_column*>(nullptr))) return "42703";
  if (is(static_cast<const pqxx::undefined_function*>(nullptr))) return "42883";
  if (is(static_cast<const pqxx::syntax_error*>(nullptr))) return "42601";
  if (is(static_cast<const pqxx::unique_violation*>(nullptr))) return "23505";
  if (is(static_cast<const pqxx::not_null_violation*>(nullptr))) return "23502";
  if (is(static_cast<const pqxx::foreign_key_violation*>(nullptr))) return "23503";
  if (is(static_cast<const pqxx::check_violation*>(nullptr))) return "23514";
  if (is(static_cast<const pqxx::integrity_constraint_violation*>(nullptr))) return "23000";
  if (is(static_cast<const pqxx::data_exception*>(nullptr))) return "22000";
  if (is(static_cast<const pqxx::feature_not_supported*>(nullptr))) return "0A000";
  if (is(static_cast<const pqxx::invalid_cursor_state*>(nullptr))) return "24000";
  if (is(static_cast<const pqxx::invalid_cursor_name*>(nullptr))) return "34000";
  if (is(static_cast<const pqxx::invalid_sql_statement_name*>(nullptr))) return "26000";
  if (is(static_cast<const pqxx::plpgsql_error*>(nullptr))) return "P0001";
  return "";
}

}  // namespace

std::optional<table_error> classify(const pqxx::sql_error& e) {
  return classify(state_of(e), e.what());
}

std::optional<table_error> classify(const std::string& state, const std::string& message) {
  for (const auto& m : mappings) {
    std::string key{m.sqlstate};
    if (state == key || (key.size() == 2 && state.compare(0, 2, key) == 0))
      return table_error{m.code, human_message(message), {{"sqlstate", state}}};
  }
  return std::nullopt;
}

}  // namespace paige::storage
