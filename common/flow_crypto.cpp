#include "common/flow_crypto.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace paige::flow_crypto {
namespace {

constexpr std::size_t aes_key_bytes = 16;
constexpr std::size_t tag_bytes = 16;
constexpr std::size_t iv_bytes = 16;

using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;
using cipher_ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;
using bio_ptr = std::unique_ptr<BIO, decltype(&BIO_free)>;

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  auto n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

pkey_ptr read_key(std::string_view pem, bool is_private) {
  bio_ptr bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free};
  if (!bio) throw std::runtime_error("out of memory");
  EVP_PKEY* key = is_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                             : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (!key) throw decrypt_error(is_private ? "not a private key" : "not a public key");
  return pkey_ptr{key, &EVP_PKEY_free};
}

/// RSA-OAEP with SHA-256 and MGF1-SHA-256, as Meta uses it.
pkey_ctx_ptr oaep_ctx(EVP_PKEY* key, bool decrypt) {
  pkey_ctx_ptr ctx{EVP_PKEY_CTX_new(key, nullptr), &EVP_PKEY_CTX_free};
  if (!ctx ||
      (decrypt ? EVP_PKEY_decrypt_init(ctx.get()) : EVP_PKEY_encrypt_init(ctx.get())) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) <= 0 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) <= 0)
    throw decrypt_error("RSA-OAEP is not available");
  return ctx;
}

/// AES-128-GCM of `in` (encrypt: the tag appended; decrypt: the tag its last 16 bytes).
std::string aes_gcm(bool encrypt, std::string_view key, std::string_view iv, std::string_view in) {
  if (key.size() != aes_key_bytes) throw decrypt_error("the AES key is not 128 bits");
  if (!encrypt && in.size() < tag_bytes) throw decrypt_error("the payload is shorter than its tag");
  cipher_ctx_ptr ctx{EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free};
  auto body = encrypt ? in : in.substr(0, in.size() - tag_bytes);
  std::string out(body.size() + tag_bytes, '\0');
  int n = 0, tail = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  auto init = encrypt ? EVP_EncryptInit_ex : EVP_DecryptInit_ex;
  if (!ctx || init(ctx.get(), EVP_aes_128_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()),
                          nullptr) != 1 ||
      init(ctx.get(), nullptr, nullptr, bytes_of(key), bytes_of(iv)) != 1)
    throw decrypt_error("AES-128-GCM is not available");
  if (encrypt) {
    if (EVP_EncryptUpdate(ctx.get(), o, &n, bytes_of(body), static_cast<int>(body.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), o + n, &tail) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_bytes),
                            o + n + tail) != 1)
      throw decrypt_error("encryption failed");
    out.resize(static_cast<std::size_t>(n + tail) + tag_bytes);
    return out;
  }
  std::string tag{in.substr(in.size() - tag_bytes)};
  if (EVP_DecryptUpdate(ctx.get(), o, &n, bytes_of(body), static_cast<int>(body.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_bytes),
                          tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), o + n, &tail) != 1)
    throw decrypt_error("the payload does not decrypt (tampered, or another key)");
  out.resize(static_cast<std::size_t>(n + tail));
  return out;
}

std::string inverted(std::string iv) {
  for (auto& c : iv) c = static_cast<char>(~static_cast<unsigned char>(c));
  return iv;
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("no randomness");
  return out;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes_of(bytes),
                           static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string base64_decode(std::string_view text) {
  if (text.size() % 4 != 0 || text.size() > (1u << 28))
    throw decrypt_error("not base64 (its length is not a multiple of 4)");
  std::string out(3 * (text.size() / 4), '\0');
  auto n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes_of(text),
                           static_cast<int>(text.size()));
  if (n < 0) throw decrypt_error("not base64");
  // EVP_DecodeBlock keeps the padding's zero bytes: drop one per '='.
  std::size_t pad = 0;
  for (auto it = text.rbegin(); it != text.rend() && *it == '=' && pad < 2; ++it) ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

key_pair make_key_pair() {
  pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nullptr), &EVP_PKEY_CTX_free};
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048) <= 0 ||
      EVP_PKEY_keygen(ctx.get(), &raw) <= 0)
    throw std::runtime_error("RSA key generation failed");
  pkey_ptr key{raw, &EVP_PKEY_free};
  bio_ptr priv{BIO_new(BIO_s_mem()), &BIO_free};
  bio_ptr pub{BIO_new(BIO_s_mem()), &BIO_free};
  if (!priv || !pub ||
      PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_PUBKEY(pub.get(), key.get()) != 1)
    throw std::runtime_error("RSA key export failed");
  return {bio_text(priv.get()), bio_text(pub.get())};
}

namespace {

/// The parsed private key of `pem`. A number's key serves every request of its flows, and
/// parsing it (OpenSSL 3's decoders) and the first private operation's set-up cost more than
/// the RSA decryption itself, so keys stay parsed, by their PEM text; at most 64 (a key
/// replaced is dropped with the others when the cache is full).
std::shared_ptr<EVP_PKEY> private_key_of(std::string_view pem) {
  static std::mutex mutex;
  static std::unordered_map<std::string, std::shared_ptr<EVP_PKEY>> keys;
  constexpr std::size_t max_keys = 64;
  {
    std::lock_guard<std::mutex> lock{mutex};
    if (auto it = keys.find(std::string{pem}); it != keys.end()) return it->second;
  }
  std::shared_ptr<EVP_PKEY> key{read_key(pem, true).release(), &EVP_PKEY_free};
  std::lock_guard<std::mutex> lock{mutex};
  if (keys.size() >= max_keys) keys.clear();
  keys.emplace(std::string{pem}, key);
  return key;
}

}  // namespace

request decrypt_request(std::string_view private_pem, std::string_view encrypted_aes_key_b64,
                        std::string_view encrypted_flow_data_b64,
                        std::string_view initial_vector_b64) {
  auto key = private_key_of(private_pem);
  auto wrapped = base64_decode(encrypted_aes_key_b64);
  auto ctx = oaep_ctx(key.get(), true);
  std::size_t n = 0;
  if (EVP_PKEY_decrypt(ctx.get(), nullptr, &n, bytes_of(wrapped), wrapped.size()) <= 0)
    throw decrypt_error("the AES key does not decrypt with this number's key");
  std::string aes(n, '\0');
  if (EVP_PKEY_decrypt(ctx.get(), reinterpret_cast<unsigned char*>(aes.data()), &n,
                       bytes_of(wrapped), wrapped.size()) <= 0)
    throw decrypt_error("the AES key does not decrypt with this number's key");
  aes.resize(n);
  request out;
  out.aes_key = std::move(aes);
  out.iv = base64_decode(initial_vector_b64);
  if (out.iv.size() != iv_bytes) throw decrypt_error("the initial vector is not 16 bytes");
  out.payload = aes_gcm(false, out.aes_key, out.iv, base64_decode(encrypted_flow_data_b64));
  return out;
}

std::string encrypt_response(const request& req, std::string_view payload) {
  return base64_encode(aes_gcm(true, req.aes_key, inverted(req.iv), payload));
}

sealed_request encrypt_request(std::string_view public_pem, std::string_view payload) {
  auto key = read_key(public_pem, false);
  sealed_request out;
  out.plain.aes_key = random_bytes(aes_key_bytes);
  out.plain.iv = random_bytes(iv_bytes);
  out.plain.payload = std::string{payload};
  auto ctx = oaep_ctx(key.get(), false);
  std::size_t n = 0;
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &n, bytes_of(out.plain.aes_key),
                       out.plain.aes_key.size()) <= 0)
    throw std::runtime_error("RSA-OAEP encryption failed");
  std::string wrapped(n, '\0');
  if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(wrapped.data()), &n,
                       bytes_of(out.plain.aes_key), out.plain.aes_key.size()) <= 0)
    throw std::runtime_error("RSA-OAEP encryption failed");
  wrapped.resize(n);
  out.encrypted_aes_key = base64_encode(wrapped);
  out.initial_vector = base64_encode(out.plain.iv);
  out.encrypted_flow_data = base64_encode(aes_gcm(true, out.plain.aes_key, out.plain.iv, payload));
  return out;
}

std::string decrypt_response(const request& req, std::string_view response_b64) {
  return aes_gcm(false, req.aes_key, inverted(req.iv), base64_decode(response_b64));
}

}  // namespace paige::flow_crypto
