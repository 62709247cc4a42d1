#include "api/api_errors.hpp"

#include "actors/errors.hpp"
#include "common/log.hpp"

#include <caf/error.hpp>

namespace paige::api {

http_response error_response(const caf::error& err) {
  using actors::errc;
  auto specific = parse_api_code(actors::api_code_of(err));
  auto reason = actors::reason_of(err);
  auto details = nlohmann::json::parse(actors::details_of(err), nullptr, false);
  // The errc decides what kind of answer it is; a specific code of that kind names it.
  auto answer = [&](api_code general) {
    if (!specific) return http_response::error(general, reason);
    if (http_status(*specific) == http_status(general))
      return details.is_object() ? http_response::error(*specific, reason, details)
                                 : http_response::error(*specific, reason);
    log::error("api.code_mismatch", {{"code", to_string(*specific)}, {"kind", to_string(general)}});
    return http_response::error(general, reason);
  };
  switch (actors::code_of(err)) {
    case errc::not_found:
      return answer(api_code::not_found);
    case errc::conflict:
      return answer(api_code::conflict);
    case errc::invalid_argument:
      return answer(api_code::invalid_argument);
    case errc::upstream:
      return answer(api_code::graph_unavailable);
    case errc::busy:
      return answer(api_code::too_many_requests);
    case errc::db_unavailable:
    case errc::timeout:
      log::warn("api.unavailable", {{"reason", reason}});
      return http_response::error(api_code::unavailable,
                                  "the service is temporarily unavailable; retry");
    default:
      log::error("api.internal_error", {{"reason", reason}});
      return http_response::error(api_code::internal, "internal error");
  }
}

http_response problems_response(api_code code, const std::vector<actors::problem>& problems) {
  return http_response::error(code, problems.front().message,
                              {{"problems", problems_json(problems)}});
}

}  // namespace paige::api
