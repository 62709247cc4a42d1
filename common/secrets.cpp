#include "common/secrets.hpp"

#include "common/hex.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>
#include <vector>

namespace paige::secrets {
namespace {

std::string to_hex(const unsigned char* data, std::size_t n) {
  return hex::encode({reinterpret_cast<const char*>(data), n});
}

}  // namespace

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1)
    throw std::runtime_error("the system random generator failed");
  return to_hex(buf.data(), buf.size());
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  return to_hex(md, len);
}

namespace {

struct mac_ctx_free {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

/// This thread's HMAC-SHA256 context, re-keyed at each use. OpenSSL 3's one-shot HMAC()
/// fetches the algorithm from its provider (a locked lookup) and builds a context at every
/// call; every webhook is signed or checked once.
EVP_MAC_CTX* thread_hmac_sha256() {
  thread_local std::unique_ptr<EVP_MAC_CTX, mac_ctx_free> ctx = [] {
    std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac{EVP_MAC_fetch(nullptr, "HMAC", nullptr),
                                                          &EVP_MAC_free};
    if (!mac) throw std::runtime_error("OpenSSL has no HMAC");
    std::unique_ptr<EVP_MAC_CTX, mac_ctx_free> made{
        EVP_MAC_CTX_new(mac.get())};  // holds its own reference
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    if (!made || EVP_MAC_CTX_set_params(made.get(), params) != 1)
      throw std::runtime_error("cannot set up HMAC-SHA256");
    return made;
  }();
  return ctx.get();
}

}  // namespace

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  auto* ctx = thread_hmac_sha256();
  // A null key would keep the previous call's key: an empty one must still be a key.
  static const unsigned char empty_key = 0;
  const auto* key_bytes =
      key.empty() ? &empty_key : reinterpret_cast<const unsigned char*>(key.data());
  unsigned char md[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  if (EVP_MAC_init(ctx, key_bytes, key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(ctx, md, &len, sizeof md) != 1)
    throw std::runtime_error("HMAC-SHA256 failed");
  return to_hex(md, len);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {

constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;
constexpr std::string_view sealed_prefix = "v1:";

std::string from_hex(std::string_view text) {
  auto bytes = hex::decode(text);
  if (!bytes) throw std::invalid_argument("not hex");
  return std::move(*bytes);
}

using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

master_key parse_master_key(std::string_view hex) {
  if (hex.size() != 64) throw std::invalid_argument("a master key is 64 hex characters (32 bytes)");
  try {
    return master_key{from_hex(hex)};
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument("a master key is 64 hex characters (32 bytes)");
  }
}

std::string fingerprint(const master_key& key) {
  return sha256_hex("paige-master-key-fingerprint:" + key.bytes).substr(0, 16);
}

std::string seal(const master_key& key, std::string_view plaintext) {
  std::string nonce(nonce_size, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), nonce_size) != 1)
    throw std::runtime_error("the system random generator failed");
  cipher_ctx ctx{EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free};
  std::string out = nonce;
  out.resize(nonce_size + plaintext.size() + tag_size);
  auto* cipher = reinterpret_cast<unsigned char*>(out.data()) + nonce_size;
  int len = 0, total = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes_of(key.bytes),
                         bytes_of(nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), cipher, &len, bytes_of(plaintext),
                        static_cast<int>(plaintext.size())) != 1)
    throw std::runtime_error("encryption failed");
  total = len;
  if (EVP_EncryptFinal_ex(ctx.get(), cipher + total, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, tag_size, cipher + plaintext.size()) !=
          1)
    throw std::runtime_error("encryption failed");
  return std::string{sealed_prefix} +
         to_hex(reinterpret_cast<const unsigned char*>(out.data()), out.size());
}

std::string unseal(const master_key& key, std::string_view sealed) {
  if (sealed.substr(0, sealed_prefix.size()) != sealed_prefix)
    throw std::runtime_error("unknown sealed-secret format");
  std::string raw;
  try {
    raw = from_hex(sealed.substr(sealed_prefix.size()));
  } catch (const std::invalid_argument&) {
    throw std::runtime_error("damaged sealed secret");
  }
  if (raw.size() < nonce_size + tag_size) throw std::runtime_error("damaged sealed secret");
  std::string_view nonce{raw.data(), nonce_size};
  std::string_view cipher{raw.data() + nonce_size, raw.size() - nonce_size - tag_size};
  std::string tag = raw.substr(raw.size() - tag_size);
  std::string plain(cipher.size(), '\0');
  cipher_ctx ctx{EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free};
  int len = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes_of(key.bytes),
                         bytes_of(nonce)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len,
                        bytes_of(cipher), static_cast<int>(cipher.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, tag_size, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) !=
          1)
    throw std::runtime_error(
        "sealed secret failed authentication (altered, or another master key)");
  return plain;
}

}  // namespace paige::secrets
