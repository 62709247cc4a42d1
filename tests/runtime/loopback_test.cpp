#include "runtime/loopback.hpp"

#include <catch2/catch.hpp>

using paige::runtime::local_url;

TEST_CASE("a local process reaches a wildcard listener on loopback", "[loopback]") {
  CHECK(local_url("0.0.0.0", 8080) == "http://127.0.0.1:8080");
  CHECK(local_url("", 80) == "http://127.0.0.1:80");
  CHECK(local_url("::", 9000) == "http://[::1]:9000");
  CHECK(local_url("[::]", 9000) == "http://[::1]:9000");
}

TEST_CASE("a local process reaches a named listener at its own address", "[loopback]") {
  CHECK(local_url("127.0.0.1", 8080) == "http://127.0.0.1:8080");
  CHECK(local_url("10.1.2.3", 1) == "http://10.1.2.3:1");
  CHECK(local_url("localhost", 8080) == "http://localhost:8080");
  CHECK(local_url("fe80::1", 8080) == "http://[fe80::1]:8080");
  CHECK(local_url("[::1]", 8080) == "http://[::1]:8080");
}
