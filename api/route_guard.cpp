#include "api/route_guard.hpp"

#include "api/api_errors.hpp"
#include "api/auth.hpp"

#include <memory>

namespace paige::api {

handler guarded(const authenticator& auth, access level, handler inner) {
  return [&auth, level, inner = std::move(inner)](http_request&& req, responder respond) {
    auto shared = std::make_shared<http_request>(std::move(req));
    auth.authenticate(*shared, [shared, respond, level, inner](principal p) {
      if (auto refused = refusal_of(p)) return respond(std::move(*refused));
      if (p.who == principal::kind::project) {
        auto wanted = shared->param("project_id");
        if (wanted.empty())
          return respond(
              http_response::error(api_code::forbidden, "this endpoint needs the admin key"));
        if (wanted != p.project_id)
          return respond(http_response::error(api_code::project_not_found,
                                              "no project " + std::string{wanted}));
        if (level == access::admin)
          return respond(
              http_response::error(api_code::forbidden, "this endpoint needs the admin key"));
      }
      shared->caller = p.label();
      inner(std::move(*shared), respond);
    });
  };
}

std::function<void(const caf::error&)> fail_with(responder respond) {
  return [respond](const caf::error& err) { respond(error_response(err)); };
}

}  // namespace paige::api
