#include "api/router.hpp"

#include <catch2/catch.hpp>

using namespace paige::api;

namespace {

std::vector<std::string> segs(std::string_view path) {
  std::vector<std::string> out;
  for (auto s : split_path(path)) out.emplace_back(s);
  return out;
}

}  // namespace

TEST_CASE("routes match literals and bind parameters", "[router]") {
  router r;
  int hit = 0;
  r.add("GET", "/v1/projects", [&](http_request&&, responder) { hit = 1; });
  r.add("GET", "/v1/projects/{project_id}", [&](http_request&&, responder) { hit = 2; });
  r.add("DELETE", "/v1/projects/{project_id}/keys/{key_id}",
        [&](http_request&&, responder) { hit = 3; });

  auto m = r.match("GET", segs("/v1/projects/p_1"));
  REQUIRE(m.target);
  (*m.target)(http_request{}, responder{});
  CHECK(hit == 2);
  CHECK(m.route == "/v1/projects/{project_id}");
  REQUIRE(m.params.size() == 1);
  CHECK(m.params[0] == std::pair<std::string, std::string>{"project_id", "p_1"});

  m = r.match("DELETE", segs("/v1/projects/a/keys/b"));
  REQUIRE(m.target);
  CHECK(m.params == string_pairs{{"project_id", "a"}, {"key_id", "b"}});
}

TEST_CASE("a decoded parameter may hold a slash without changing the route", "[router]") {
  router r;
  r.add("GET", "/v1/projects/{project_id}", [](http_request&&, responder) {});
  auto m = r.match("GET", {"v1", "projects", "a/b"});
  REQUIRE(m.target);
  CHECK(m.params[0].second == "a/b");
}

TEST_CASE("unknown paths are 404 and known paths with another method 405", "[router]") {
  router r;
  r.add("GET", "/healthz", [](http_request&&, responder) {});
  r.add("PUT", "/healthz", [](http_request&&, responder) {});
  auto m = r.match("GET", segs("/nope"));
  CHECK_FALSE(m.target);
  CHECK(m.status == 404);
  m = r.match("POST", segs("/healthz"));
  CHECK_FALSE(m.target);
  CHECK(m.status == 405);
  CHECK(m.allow == "GET, PUT");
  CHECK(r.match("GET", segs("/healthz/extra")).status == 404);
}

TEST_CASE("patterns must be absolute", "[router]") {
  router r;
  CHECK_THROWS(r.add("GET", "healthz", [](http_request&&, responder) {}));
}
