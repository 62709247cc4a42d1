#include "common/secrets.hpp"

#include <catch2/catch.hpp>

using namespace paige::secrets;

namespace {
const master_key key = parse_master_key(std::string(64, 'a'));
const master_key other = parse_master_key(std::string(64, 'b'));
}  // namespace

TEST_CASE("sealed secrets round-trip and never show the plaintext", "[secrets]") {
  auto sealed = seal(key, "role password 'x'");
  CHECK(sealed.rfind("v1:", 0) == 0);
  CHECK(sealed.find("role password") == std::string::npos);
  CHECK(unseal(key, sealed) == "role password 'x'");
  CHECK(seal(key, "same") != seal(key, "same"));  // a fresh nonce each time
  CHECK(unseal(key, seal(key, "")).empty());
}

TEST_CASE("altered sealed secrets and the wrong key are detected", "[secrets]") {
  auto sealed = seal(key, "secret");
  auto flipped = sealed;
  flipped[10] = flipped[10] == '0' ? '1' : '0';
  CHECK_THROWS_WITH(unseal(key, flipped), Catch::Contains("failed authentication"));
  CHECK_THROWS_WITH(unseal(other, sealed), Catch::Contains("failed authentication"));
  CHECK_THROWS(unseal(key, "v1:zz"));
  CHECK_THROWS(unseal(key, "plain"));
}

TEST_CASE("master keys are 64 hex characters, fingerprints tell keys apart", "[secrets]") {
  CHECK_THROWS_WITH(parse_master_key("abc"), Catch::Contains("64 hex"));
  CHECK_THROWS(parse_master_key(std::string(63, 'a') + "g"));
  CHECK(fingerprint(key) != fingerprint(other));
  CHECK(fingerprint(key).size() == 16);
  CHECK(fingerprint(key).find(std::string(8, 'a')) == std::string::npos);
}

TEST_CASE("hashes and comparisons", "[secrets]") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(random_hex(16).size() == 32);
  CHECK(random_hex(16) != random_hex(16));
  CHECK(constant_time_equal("same", "same"));
  CHECK_FALSE(constant_time_equal("same", "sane"));
  CHECK_FALSE(constant_time_equal("same", "samey"));
}
