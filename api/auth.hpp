/// @file
/// @brief Who is calling: the admin key, a project key, or nobody.
///
/// `Authorization: Bearer <key>`. The admin key is compared by SHA-256 in constant time;
/// project keys (`paige_pk_...`) are looked up by their SHA-256 in the control database on
/// every request, so a revoked key stops working at once on every node.
#pragma once

#include "api/http_types.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <functional>
#include <optional>
#include <string>

namespace paige::api {

/// The caller of a request.
struct principal {
  enum class kind { nobody, admin, project, unavailable } who = kind::nobody;
  std::string project_id;  ///< for kind::project
  std::string key_id;      ///< for kind::project

  /// Who acts, for logs and events: "admin" or "key:<key id>".
  std::string label() const;
};

class authenticator {
 public:
  authenticator(const std::string& admin_key, caf::actor_system& sys, caf::actor directory);

  /// Calls `done` once, maybe on another thread, with the request's principal.
  void authenticate(const http_request& req, std::function<void(principal)> done) const;

 private:
  std::string admin_hash_;
  caf::actor_system& sys_;
  caf::actor directory_;
};

/// The answer to a caller without a valid key (401) or whose key cannot be checked now (503);
/// nullopt for the admin or a project key.
std::optional<http_response> refusal_of(const principal& p);

/// The bearer token of a request, or "" when there is none.
std::string bearer_token(const http_request& req);

}  // namespace paige::api
