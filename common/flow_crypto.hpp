/// @file
/// @brief The encryption of WhatsApp Flows' data-exchange endpoint (spec/meta-cloud-api.md §9.4):
/// a 2048-bit RSA key pair per number; each request's AES-128 key RSA-OAEP (SHA-256, MGF1
/// SHA-256) encrypted to the number's public key, its payload AES-128-GCM encrypted under that
/// key (the tag its last 16 bytes); the answer encrypted under the same key with every bit of
/// the request's IV inverted. Both directions are here: Paige decrypts and answers, the
/// simulator encrypts as Meta does. OpenSSL.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace paige::flow_crypto {

/// A key pair as PEM texts (PKCS#8 private key, SubjectPublicKeyInfo public key).
struct key_pair {
  std::string private_pem;
  std::string public_pem;
};

/// A fresh 2048-bit RSA key pair.
key_pair make_key_pair();

/// A request that cannot be decrypted: the wrong key, a tampered payload (Meta's 421).
struct decrypt_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A decrypted request: its JSON text, and what its answer is encrypted with.
struct request {
  std::string payload;  ///< the decrypted JSON text
  std::string aes_key;  ///< 16 raw bytes
  std::string iv;       ///< the request's IV, raw
};

/// Decrypts Meta's body fields (base64): `encrypted_aes_key` with the private key, then
/// `encrypted_flow_data` (ciphertext then 16-byte tag) with it and `initial_vector`. Throws
/// decrypt_error.
request decrypt_request(std::string_view private_pem, std::string_view encrypted_aes_key_b64,
                        std::string_view encrypted_flow_data_b64,
                        std::string_view initial_vector_b64);

/// The answer to `req`: `payload` AES-128-GCM encrypted under its key with its IV inverted,
/// the tag appended, as base64 (the plain-text body Meta expects).
std::string encrypt_response(const request& req, std::string_view payload);

/// What Meta sends: `payload` encrypted to `public_pem` with a fresh AES key and IV (base64
/// fields: encrypted_aes_key, encrypted_flow_data, initial_vector), and the request it makes.
struct sealed_request {
  std::string encrypted_aes_key;
  std::string encrypted_flow_data;
  std::string initial_vector;
  request plain;  ///< for reading the answer (decrypt_response)
};
sealed_request encrypt_request(std::string_view public_pem, std::string_view payload);

/// Reads an answer (base64) to `req` as Meta does. Throws decrypt_error.
std::string decrypt_response(const request& req, std::string_view response_b64);

/// Base64 (standard alphabet, padded) and back; decoding throws decrypt_error on bad input.
std::string base64_encode(std::string_view bytes);
std::string base64_decode(std::string_view text);

}  // namespace paige::flow_crypto
