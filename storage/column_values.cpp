#include "storage/column_values.hpp"

#include "common/json_text.hpp"

#include <re2/re2.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

namespace paige::storage {
namespace {

using json = nlohmann::json;

struct type_entry {
  column_type type;
  const char* name;
  const char* sql;
};
constexpr type_entry types[] = {
    {column_type::text, "text", "text"},
    {column_type::varchar, "varchar", "varchar"},
    {column_type::integer, "integer", "integer"},
    {column_type::bigint, "bigint", "bigint"},
    {column_type::numeric, "numeric", "numeric"},
    {column_type::boolean, "boolean", "boolean"},
    {column_type::date, "date", "date"},
    {column_type::timestamptz, "timestamptz", "timestamptz"},
    {column_type::uuid, "uuid", "uuid"},
    {column_type::jsonb, "jsonb", "jsonb"},
    {column_type::serial, "serial", "serial"},
    {column_type::bigserial, "bigserial", "bigserial"},
};

// Postgres type OIDs (pg_type.dat); stable across versions.
constexpr unsigned oid_bool = 16, oid_int8 = 20, oid_int2 = 21, oid_int4 = 23, oid_oid = 26,
                   oid_json = 114, oid_float4 = 700, oid_float8 = 701, oid_timestamptz = 1184,
                   oid_numeric = 1700, oid_jsonb = 3802;

std::optional<std::int64_t> parse_int(const std::string& s) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::string integer_parameter(const json& value, std::int64_t min, std::int64_t max,
                              const char* what) {
  std::optional<std::int64_t> v;
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() && value.get<std::uint64_t>() > static_cast<std::uint64_t>(max))
      v.reset();
    else
      v = value.get<std::int64_t>();
  } else if (value.is_string()) {
    v = parse_int(value.get<std::string>());
  }
  if (!v || *v < min || *v > max)
    throw bad_value{std::string{"expects "} + what + " (" + std::to_string(min) + " to " +
                    std::to_string(max) + ")"};
  return std::to_string(*v);
}

const std::string& string_of(const json& value, const char* what) {
  if (!value.is_string()) throw bad_value{std::string{"expects "} + what};
  const auto& s = value.get_ref<const std::string&>();
  if (s.find('\0') != std::string::npos) throw bad_value{"text cannot contain the NUL character"};
  return s;
}

/// RE2, not std::regex: these run on strangers' strings of up to a request body's size, and
/// std::regex recurses once per character (a long digit string overflowed the stack).
const std::string& matching(const json& value, const RE2& pattern, const char* what) {
  const auto& s = string_of(value, what);
  if (!RE2::FullMatch(s, pattern)) throw bad_value{std::string{"expects "} + what};
  return s;
}

/// "2026-11-21 10:00:00.5+00" (ISO DateStyle, UTC) → "2026-11-21T10:00:00.5Z".
std::string rfc3339(std::string text) {
  if (text.size() >= 22 && text[10] == ' ' && text.compare(text.size() - 3, 3, "+00") == 0) {
    text[10] = 'T';
    text.replace(text.size() - 3, 3, "Z");
  }
  return text;
}

}  // namespace

std::optional<column_type> parse_column_type(const std::string& name) {
  for (const auto& t : types)
    if (name == t.name) return t.type;
  return std::nullopt;
}

std::string type_name(column_type type) {
  for (const auto& t : types)
    if (t.type == type) return t.name;
  return "other";
}

std::string sql_type(column_type type) {
  for (const auto& t : types)
    if (t.type == type) return t.sql;
  return "text";
}

column_type type_of_catalog(const std::string& f, bool has_sequence) {
  if (f == "text") return column_type::text;
  if (f.rfind("character varying", 0) == 0) return column_type::varchar;
  if (f == "integer") return has_sequence ? column_type::serial : column_type::integer;
  if (f == "bigint") return has_sequence ? column_type::bigserial : column_type::bigint;
  if (f.rfind("numeric", 0) == 0) return column_type::numeric;
  if (f == "boolean") return column_type::boolean;
  if (f == "date") return column_type::date;
  if (f == "timestamp with time zone") return column_type::timestamptz;
  if (f == "uuid") return column_type::uuid;
  if (f == "jsonb") return column_type::jsonb;
  return column_type::other;
}

std::optional<std::string> to_parameter(column_type type, const json& value) {
  if (value.is_null()) return std::nullopt;
  static const RE2 numeric_pattern{R"([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|NaN|[+-]?Infinity)"};
  static const RE2 date_pattern{R"(\d{4}-\d{2}-\d{2})"};
  static const RE2 timestamp_pattern{
      R"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?)"};
  static const RE2 uuid_pattern{
      R"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"};
  switch (type) {
    case column_type::text:
    case column_type::varchar:
      return string_of(value, "a string");
    case column_type::integer:
    case column_type::serial:
      return integer_parameter(value, std::numeric_limits<std::int32_t>::min(),
                               std::numeric_limits<std::int32_t>::max(), "an integer");
    case column_type::bigint:
    case column_type::bigserial:
      return integer_parameter(value, std::numeric_limits<std::int64_t>::min(),
                               std::numeric_limits<std::int64_t>::max(), "an integer");
    case column_type::numeric:
      if (value.is_number()) return value.dump();
      return matching(value, numeric_pattern, "a number, or a string holding a decimal number");
    case column_type::boolean:
      if (!value.is_boolean()) throw bad_value{"expects true or false"};
      return value.get<bool>() ? "true" : "false";
    case column_type::date:
      return matching(value, date_pattern, "a date as YYYY-MM-DD");
    case column_type::timestamptz:
      return matching(value, timestamp_pattern,
                      "a timestamp as ISO 8601, e.g. 2026-11-21T10:00:00Z");
    case column_type::uuid:
      return matching(value, uuid_pattern, "a UUID");
    case column_type::jsonb:
      return value.dump();
    case column_type::other:
      if (value.is_string()) return string_of(value, "a string");
      return value.dump();
  }
  return value.dump();
}

std::string text_to_parameter(column_type type, const std::string& text) {
  switch (type) {
    case column_type::integer:
    case column_type::serial:
    case column_type::bigint:
    case column_type::bigserial:
      if (auto v = parse_int(text)) return *to_parameter(type, json(*v));
      throw bad_value{"expects an integer"};
    case column_type::boolean:
      if (text == "true" || text == "false") return text;
      throw bad_value{"expects true or false"};
    case column_type::jsonb: {
      auto parsed = json::parse(text, nullptr, false);
      if (parsed.is_discarded()) throw bad_value{"expects JSON"};
      return parsed.dump();
    }
    default:
      return *to_parameter(type, json(text));
  }
}

/// Deepest JSON value answered as a document (a project's jsonb may nest thousands of levels).
constexpr std::size_t max_answer_depth = 256;

json field_to_json(unsigned oid, const char* text) {
  if (!text) return nullptr;
  switch (oid) {
    case oid_bool:
      return text[0] == 't';
    case oid_int2:
    case oid_int4:
    case oid_int8:
    case oid_oid:
      if (auto v = parse_int(text)) return *v;
      return text;
    case oid_float4:
    case oid_float8: {
      // NaN and the infinities have no JSON number; anything unexpected stays text.
      char* end = nullptr;
      double v = std::strtod(text, &end);
      if (end == text || *end != '\0' || !std::isfinite(v)) return text;
      return v;
    }
    case oid_json:
    case oid_jsonb: {
      // Answered as a document, printed recursively: a deeper one stays text.
      if (json_text::nested_deeper_than(text, max_answer_depth)) return text;
      auto doc = json::parse(text, nullptr, false);
      if (doc.is_discarded()) return text;
      return doc;
    }
    case oid_timestamptz:
      return rfc3339(text);
    case oid_numeric:
    default:
      return text;
  }
}

}  // namespace paige::storage
