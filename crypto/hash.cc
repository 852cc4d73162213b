// SHA-256 through OpenSSL 3. The EVP_MD is fetched once per process: OpenSSL 3 re-fetches
// the algorithm on every one-shot SHA256()/EVP_Digest call, which costs ~2.4x on short
// inputs (MEASURED.md). Hasher (incremental, any length) reuses an EVP_MD_CTX.
//
// sha256()/sha256_pair() hash whole short inputs (tree and Merkle nodes, tx ids) through
// OpenSSL's SHA256_Init/Update/Final: the same SHA-NI block function without EVP's
// per-call work (provider dispatch, context set-up), 102 vs 160 ns for a 65-byte input on this
// machine class (a state-tree commit hashes thousands of those). They are deprecated in
// OpenSSL 3 but kept through 3.x; the suppression below is for this file only.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "crypto/hash.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sodium.h>

#include <cstring>

namespace phalanx::crypto {
namespace {

const EVP_MD* sha256_md() {
  // Function-local static: initialised once, thread-safely; intentionally never freed.
  static const EVP_MD* md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    PHALANX_ASSERT_MSG(fetched != nullptr, "OpenSSL cannot fetch SHA256");
    return fetched;
  }();
  return md;
}

void init(EVP_MD_CTX* ctx) { PHALANX_ASSERT(EVP_DigestInit_ex2(ctx, sha256_md(), nullptr) == 1); }

void update(EVP_MD_CTX* ctx, ByteSpan bytes) {
  PHALANX_ASSERT(EVP_DigestUpdate(ctx, bytes.data(), bytes.size()) == 1);
}

Hash finalize(EVP_MD_CTX* ctx) {
  Hash out{};
  unsigned int len = 0;
  PHALANX_ASSERT(EVP_DigestFinal_ex(ctx, out.data(), &len) == 1);
  PHALANX_ASSERT(len == out.size());
  return out;
}

}  // namespace

Hasher::Hasher() : ctx_(EVP_MD_CTX_new()) {
  PHALANX_ASSERT_MSG(ctx_ != nullptr, "EVP_MD_CTX_new failed");
  init(static_cast<EVP_MD_CTX*>(ctx_));
}

Hasher::~Hasher() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

Hasher& Hasher::update(ByteSpan bytes) {
  crypto::update(static_cast<EVP_MD_CTX*>(ctx_), bytes);
  return *this;
}

Hash Hasher::finish() {
  auto* ctx = static_cast<EVP_MD_CTX*>(ctx_);
  Hash out = finalize(ctx);
  init(ctx);  // ready for reuse, never left in a finalised state
  return out;
}

size_t HashHasher::operator()(const Hash& hash) const noexcept {
  // libsodium's randombytes, as for keys and salts (crypto/ed25519.cc): it cannot fail.
  static const uint64_t seed = [] {
    PHALANX_ASSERT_MSG(sodium_init() >= 0, "sodium_init failed");
    uint64_t drawn = 0;
    randombytes_buf(&drawn, sizeof drawn);
    return drawn;
  }();
  uint64_t first = 0, second = 0;
  std::memcpy(&first, hash.data(), sizeof first);
  std::memcpy(&second, hash.data() + 8, sizeof second);
  uint64_t mixed = (first ^ seed) * 0x9e3779b97f4a7c15ull;
  mixed = (mixed ^ second ^ (mixed >> 29)) * 0xbf58476d1ce4e5b9ull;
  return static_cast<size_t>(mixed ^ (mixed >> 32));
}

Hash sha256(ByteSpan bytes) {
  SHA256_CTX ctx;
  PHALANX_ASSERT(SHA256_Init(&ctx) == 1);
  PHALANX_ASSERT(SHA256_Update(&ctx, bytes.data(), bytes.size()) == 1);
  Hash out{};
  PHALANX_ASSERT(SHA256_Final(out.data(), &ctx) == 1);
  return out;
}

Hash sha256_pair(const Hash& a, const Hash& b) {
  SHA256_CTX ctx;
  PHALANX_ASSERT(SHA256_Init(&ctx) == 1);
  PHALANX_ASSERT(SHA256_Update(&ctx, a.data(), a.size()) == 1);
  PHALANX_ASSERT(SHA256_Update(&ctx, b.data(), b.size()) == 1);
  Hash out{};
  PHALANX_ASSERT(SHA256_Final(out.data(), &ctx) == 1);
  return out;
}

}  // namespace phalanx::crypto
