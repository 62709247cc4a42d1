// The data-exchange endpoint's encryption: what Meta encrypts, Paige decrypts and answers, and
// Meta reads the answer; a wrong key or a changed byte is refused.
#include "common/flow_crypto.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace paige::flow_crypto;

TEST_CASE("flow crypto: a request Meta encrypts is decrypted and answered", "[flow_crypto]") {
  static const auto keys = make_key_pair();
  CHECK(keys.private_pem.find("BEGIN PRIVATE KEY") != std::string::npos);
  CHECK(keys.public_pem.find("BEGIN PUBLIC KEY") != std::string::npos);
  auto sealed = encrypt_request(keys.public_pem, R"({"action":"ping","version":"3.0"})");
  auto req = decrypt_request(keys.private_pem, sealed.encrypted_aes_key, sealed.encrypted_flow_data,
                             sealed.initial_vector);
  CHECK(req.payload == R"({"action":"ping","version":"3.0"})");
  CHECK(req.aes_key == sealed.plain.aes_key);
  auto answer = encrypt_response(req, R"({"data":{"status":"active"}})");
  CHECK(decrypt_response(sealed.plain, answer) == R"({"data":{"status":"active"}})");
  // The answer is under the inverted IV: read with the request's own IV, it does not decrypt.
  auto same_iv = sealed.plain;
  for (auto& c : same_iv.iv) c = static_cast<char>(~static_cast<unsigned char>(c));
  CHECK_THROWS_AS(decrypt_response(same_iv, answer), decrypt_error);

  SECTION("another number's key cannot read it") {
    auto other = make_key_pair();
    CHECK_THROWS_AS(decrypt_request(other.private_pem, sealed.encrypted_aes_key,
                                    sealed.encrypted_flow_data, sealed.initial_vector),
                    decrypt_error);
  }
  SECTION("a changed byte of the payload is refused") {
    auto data = base64_decode(sealed.encrypted_flow_data);
    data[0] = static_cast<char>(data[0] ^ 1);
    CHECK_THROWS_AS(decrypt_request(keys.private_pem, sealed.encrypted_aes_key, base64_encode(data),
                                    sealed.initial_vector),
                    decrypt_error);
  }
  SECTION("garbage is refused, not a crash") {
    CHECK_THROWS_AS(decrypt_request(keys.private_pem, "!!!!", "", ""), decrypt_error);
    CHECK_THROWS_AS(decrypt_request("not a key", sealed.encrypted_aes_key,
                                    sealed.encrypted_flow_data, sealed.initial_vector),
                    decrypt_error);
    CHECK_THROWS_AS(
        decrypt_request(keys.private_pem, sealed.encrypted_aes_key, "AAAA", sealed.initial_vector),
        decrypt_error);
  }
}

TEST_CASE("flow crypto: base64 both ways", "[flow_crypto]") {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba",
                                                       "foobar", std::string("\0\xff\x10", 3)})
    CHECK(base64_decode(base64_encode(s)) == s);
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_decode("Zm8=") == "fo");
  CHECK_THROWS_AS(base64_decode("abc"), decrypt_error);
}
