// SHA-256 through OpenSSL 3. The EVP_MD is fetched once per process: OpenSSL 3 re-fetches
// the algorithm on every one-shot SHA256()/EVP_Digest call, which costs ~2.4x on short
// inputs (MEASURED.md). One EVP_MD_CTX per thread is reused by sha256()/sha256_pair().
#include "crypto/hash.h"

#include <openssl/evp.h>

#include <memory>

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

struct ContextDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

EVP_MD_CTX* thread_context() {
  thread_local std::unique_ptr<EVP_MD_CTX, ContextDeleter> ctx(EVP_MD_CTX_new());
  PHALANX_ASSERT_MSG(ctx != nullptr, "EVP_MD_CTX_new failed");
  return ctx.get();
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

Hash sha256(ByteSpan bytes) {
  EVP_MD_CTX* ctx = thread_context();
  init(ctx);
  update(ctx, bytes);
  return finalize(ctx);
}

Hash sha256_pair(const Hash& a, const Hash& b) {
  EVP_MD_CTX* ctx = thread_context();
  init(ctx);
  update(ctx, a);
  update(ctx, b);
  return finalize(ctx);
}

}  // namespace phalanx::crypto
