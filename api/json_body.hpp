/// @file
/// @brief Parsing request bodies: JSON objects with bounded nesting and known fields only.
#pragma once

#include "api/http_types.hpp"

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <variant>

namespace paige::api {

/// The body as JSON of any kind, or a 400 response (malformed, or nested deeper than
/// `max_depth`).
std::variant<nlohmann::json, http_response> parse_json(const std::string& body,
                                                       std::size_t max_depth);

/// The body as a JSON object, or the error response to send (400 for malformed JSON or
/// nesting deeper than `max_depth`, 422 for valid JSON that is not an object or that has a
/// field outside `allowed`).
std::variant<nlohmann::json, http_response> parse_json_object(
    const std::string& body, std::size_t max_depth, std::initializer_list<const char*> allowed);

/// A positive page size from `?limit=` (default when absent), or a 422 response.
std::variant<int, http_response> parse_limit(const http_request& req, int fallback, int max);

/// A positive decimal id (a path or query parameter), or nullopt.
std::optional<std::int64_t> parse_id(std::string_view text);

/// Opaque list cursors over a position (a sequence number).
std::string encode_cursor(std::int64_t position);
/// The position of a cursor from encode_cursor, or nullopt if it is not one.
std::optional<std::int64_t> decode_cursor(std::string_view cursor);
/// The position of the request's `?cursor=` (0 without one), or the 422 invalid_cursor answer.
std::variant<std::int64_t, http_response> cursor_of(const http_request& req);

/// A page answer {"items", "next_cursor"} of `items_json` (a JSON array of up to `limit`
/// objects): a full page's cursor is its last item's `position_key`, else null.
http_response page_response(const std::string& items_json, int limit, const char* position_key);

/// A reply of `status` whose body is compact JSON text an actor made (sent as it is).
inline auto json_text_reply(responder respond, unsigned status = 200) {
  return [respond, status](std::string& json_text) {
    http_response r;
    r.status = status;
    r.body = std::move(json_text);
    respond(std::move(r));
  };
}

}  // namespace paige::api
