#include "api/api_errors.hpp"

#include "actors/errors.hpp"
#include "common/log.hpp"

#include <caf/error.hpp>

namespace paige::api {

http_response error_response(const caf::error& err) {
  using actors::errc;
  auto code = actors::api_code_of(err);
  auto reason = actors::reason_of(err);
  switch (actors::code_of(err)) {
    case errc::not_found:
      return http_response::error(404, code.empty() ? "not_found" : code, reason);
    case errc::conflict:
      return http_response::error(409, code.empty() ? "conflict" : code, reason);
    case errc::invalid_argument:
      return http_response::error(422, code.empty() ? "invalid_argument" : code, reason);
    case errc::upstream:
      return http_response::error(502, code.empty() ? "graph_unavailable" : code, reason);
    case errc::busy:
      return http_response::error(429, code.empty() ? "too_many_requests" : code, reason);
    case errc::db_unavailable:
    case errc::timeout:
      log::warn("api.unavailable", {{"reason", reason}});
      return http_response::error(503, "unavailable",
                                  "the service is temporarily unavailable; retry");
    default:
      log::error("api.internal_error", {{"reason", reason}});
      return http_response::error(500, "internal", "internal error");
  }
}

}  // namespace paige::api
