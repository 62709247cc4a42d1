#include "api/json_body.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace paige::api {
namespace {

struct too_deep {};

}  // namespace

std::variant<nlohmann::json, http_response> parse_json(const std::string& body,
                                                       std::size_t max_depth) {
  try {
    // The callback sees every value with its depth; refuse before building deep structures.
    return nlohmann::json::parse(
        body, [max_depth](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
          if (static_cast<std::size_t>(depth) > max_depth) throw too_deep{};
          return true;
        });
  } catch (const too_deep&) {
    return http_response::error(api_code::invalid_json,
                                "JSON nested deeper than " + std::to_string(max_depth) + " levels");
  } catch (const nlohmann::json::exception& e) {
    return http_response::error(api_code::invalid_json, std::string{"malformed JSON: "} + e.what());
  }
}

std::variant<nlohmann::json, http_response> parse_json_object(
    const std::string& body, std::size_t max_depth, std::initializer_list<const char*> allowed) {
  auto parsed = parse_json(body, max_depth);
  if (std::holds_alternative<http_response>(parsed)) return parsed;
  auto& doc = std::get<nlohmann::json>(parsed);
  if (!doc.is_object())
    return http_response::error(api_code::invalid_body, "the body must be a JSON object");
  for (const auto& item : doc.items()) {
    const auto& key = item.key();
    bool known =
        std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; });
    if (!known)
      return http_response::error(api_code::unknown_field, "unknown field '" + key + "'",
                                  {{"field", key}});
  }
  return doc;
}

std::variant<int, http_response> parse_limit(const http_request& req, int fallback, int max) {
  auto text = req.query_param("limit");
  if (!text) return fallback;
  int value = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || ptr != text->data() + text->size() || value < 1 || value > max)
    return http_response::error(api_code::invalid_limit,
                                "limit must be a whole number from 1 to " + std::to_string(max));
  return value;
}

std::optional<std::int64_t> parse_id(std::string_view text) {
  std::int64_t id = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || ptr != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

http_response page_response(const std::string& items_json, int limit, const char* position_key) {
  auto items = nlohmann::json::parse(items_json);
  nlohmann::json next = nullptr;
  if (static_cast<int>(items.size()) == limit && limit > 0)
    next = encode_cursor(items.back()[position_key].get<std::int64_t>());
  return http_response::json(200, {{"items", items}, {"next_cursor", next}});
}

std::string encode_cursor(std::int64_t position) {
  // Opaque to clients: a version tag and the position in hex.
  char buf[32];
  auto [end, ec] =
      std::to_chars(buf, buf + sizeof buf, static_cast<unsigned long long>(position), 16);
  (void)ec;
  return "c1" + std::string{buf, end};
}

std::variant<std::int64_t, http_response> cursor_of(const http_request& req) {
  auto cursor = req.query_param("cursor");
  if (!cursor) return std::int64_t{0};
  auto pos = decode_cursor(*cursor);
  if (!pos)
    return http_response::error(api_code::invalid_cursor, "the cursor is not one this API issued");
  return *pos;
}

std::optional<std::int64_t> decode_cursor(std::string_view cursor) {
  if (cursor.size() < 3 || cursor.size() > 18 || cursor.substr(0, 2) != "c1") return std::nullopt;
  unsigned long long value = 0;
  auto digits = cursor.substr(2);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
  if (ec != std::errc{} || ptr != digits.data() + digits.size() || value > INT64_MAX)
    return std::nullopt;
  return static_cast<std::int64_t>(value);
}

}  // namespace paige::api
