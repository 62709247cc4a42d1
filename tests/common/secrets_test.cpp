#include "common/secrets.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <thread>

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

TEST_CASE("HMAC-SHA256 matches RFC 4231 whatever key the thread used before", "[secrets]") {
  using paige::secrets::hmac_sha256_hex;
  const std::string jefe = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  const std::string empty_key =
      "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad";  // HMAC("", "")
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") == jefe);
  CHECK(hmac_sha256_hex("", "") == empty_key);
  CHECK(hmac_sha256_hex(std::string_view{}, "") == empty_key);  // not the previous call's key
  CHECK(hmac_sha256_hex(std::string(131, '\xaa'),
                        "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") == jefe);
  std::string other;
  std::thread{[&] { other = hmac_sha256_hex("Jefe", "what do ya want for nothing?"); }}.join();
  CHECK(other == jefe);
}
