/// @file
/// @brief Random tokens and hashes for keys and secrets (OpenSSL).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace paige::secrets {

/// `bytes` bytes from the OS CSPRNG, as lowercase hex.
std::string random_hex(std::size_t bytes);

/// SHA-256 of `data` as lowercase hex: how keys are stored and compared.
std::string sha256_hex(std::string_view data);

/// HMAC-SHA256 of `data` under `key`, as lowercase hex (webhook signatures).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

/// Compares two strings in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

/// A 32-byte key for sealing secrets at rest (the master key).
struct master_key {
  std::string bytes;  ///< exactly 32 raw bytes
};

/// Parses a master key given as 64 hex characters; throws std::invalid_argument otherwise.
master_key parse_master_key(std::string_view hex);

/// A short, non-reversible fingerprint of a key, to detect a start with the wrong key.
std::string fingerprint(const master_key& key);

/// Encrypts and authenticates `plaintext` (AES-256-GCM, random nonce):
/// "v1:" + hex(nonce | ciphertext | tag).
std::string seal(const master_key& key, std::string_view plaintext);

/// Reverses seal(); throws std::runtime_error when the text was altered or the key is wrong.
std::string unseal(const master_key& key, std::string_view sealed);

}  // namespace paige::secrets
