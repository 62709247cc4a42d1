#include "api/auth.hpp"

#include "actors/errors.hpp"
#include "actors/project_types.hpp"
#include "api/actor_call.hpp"
#include "common/secrets.hpp"

namespace paige::api {
namespace {

constexpr std::chrono::seconds lookup_timeout{5};

}  // namespace

std::string principal::label() const { return who == kind::admin ? "admin" : "key:" + key_id; }

std::optional<http_response> refusal_of(const principal& p) {
  if (p.who == principal::kind::nobody)
    return http_response::error(api_code::unauthorized, "a valid bearer key is required");
  if (p.who == principal::kind::unavailable)
    return http_response::error(api_code::unavailable, "cannot check the key right now; retry");
  return std::nullopt;
}

std::string bearer_token(const http_request& req) {
  auto h = req.header("authorization");
  if (!h) return {};
  constexpr std::string_view scheme = "Bearer ";
  if (h->size() <= scheme.size() || h->substr(0, scheme.size()) != scheme) return {};
  return std::string{h->substr(scheme.size())};
}

authenticator::authenticator(const std::string& admin_key, caf::actor_system& sys,
                             caf::actor directory)
    : admin_hash_(secrets::sha256_hex(admin_key)), sys_(sys), directory_(std::move(directory)) {}

void authenticator::authenticate(const http_request& req,
                                 std::function<void(principal)> done) const {
  auto token = bearer_token(req);
  if (token.empty()) return done({});
  auto hash = secrets::sha256_hex(token);
  if (secrets::constant_time_equal(hash, admin_hash_))
    return done({principal::kind::admin, {}, {}});
  if (token.rfind("paige_pk_", 0) != 0) return done({});
  ask(
      sys_, directory_, lookup_timeout,
      [done](std::string& project_id, std::string& key_id) {
        done({principal::kind::project, std::move(project_id), std::move(key_id)});
      },
      [done](const caf::error& err) {
        done({actors::code_of(err) == actors::errc::not_found ? principal::kind::nobody
                                                              : principal::kind::unavailable,
              {},
              {}});
      },
      actors::auth_atom::value, hash);
}

}  // namespace paige::api
