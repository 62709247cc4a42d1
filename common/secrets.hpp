/// @file
/// @brief Random tokens and hashes for keys and secrets (OpenSSL).
#pragma once

#include <string>
#include <string_view>

namespace paige::secrets {

/// `bytes` bytes from the OS CSPRNG, as lowercase hex.
std::string random_hex(std::size_t bytes);

/// SHA-256 of `data` as lowercase hex: how keys are stored and compared.
std::string sha256_hex(std::string_view data);

/// Compares two strings in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace paige::secrets
