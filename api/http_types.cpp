#include "api/http_types.hpp"

#include <nlohmann/json.hpp>

namespace paige::api {
namespace {

std::optional<std::string_view> find(const string_pairs& pairs, std::string_view name) {
  for (const auto& [k, v] : pairs)
    if (k == name) return std::string_view{v};
  return std::nullopt;
}

}  // namespace

std::optional<std::string_view> http_request::header(std::string_view name) const {
  return find(headers, name);
}

std::optional<std::string_view> http_request::query_param(std::string_view name) const {
  return find(query, name);
}

std::string_view http_request::param(std::string_view name) const {
  return find(params, name).value_or(std::string_view{});
}

http_response http_response::json(unsigned status, const nlohmann::json& body) {
  http_response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

http_response http_response::foreign_error(unsigned status, std::string_view code,
                                           std::string_view message) {
  return json(status, {{"error", {{"code", code}, {"message", message}}}});
}

http_response http_response::error(api_code code, std::string_view message) {
  return json(http_status(code), {{"error", {{"code", to_string(code)}, {"message", message}}}});
}

http_response http_response::error(api_code code, std::string_view message,
                                   const nlohmann::json& details) {
  return json(http_status(code),
              {{"error", {{"code", to_string(code)}, {"message", message}, {"details", details}}}});
}

}  // namespace paige::api
