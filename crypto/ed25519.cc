// Ed25519 through libsodium. sodium_init() runs exactly once, on first use of any function
// here, through a function-local static (thread-safe initialisation in C++11 and later).
#include "crypto/ed25519.h"

#include <sodium.h>

#include <utility>

namespace phalanx::crypto {
namespace {

void ensure_sodium() {
  static const bool ready = [] { return sodium_init() >= 0; }();
  PHALANX_ASSERT_MSG(ready, "sodium_init failed");
}

}  // namespace

SecretKey SecretKey::from_seed(const Seed& seed) {
  ensure_sodium();
  SecretKey key;
  PHALANX_ASSERT(
      crypto_sign_seed_keypair(key.public_key_.data(), key.secret_.data(), seed.data()) == 0);
  return key;
}

SecretKey SecretKey::generate() {
  ensure_sodium();
  Seed seed{};
  randombytes_buf(seed.data(), seed.size());
  SecretKey key = from_seed(seed);
  secure_wipe(seed.data(), seed.size());
  return key;
}

SecretKey::~SecretKey() { secure_wipe(secret_.data(), secret_.size()); }

SecretKey::SecretKey(SecretKey&& other) noexcept
    : secret_(other.secret_), public_key_(other.public_key_) {
  secure_wipe(other.secret_.data(), other.secret_.size());
}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    secret_ = other.secret_;
    public_key_ = other.public_key_;
    secure_wipe(other.secret_.data(), other.secret_.size());
  }
  return *this;
}

Seed SecretKey::seed() const {
  Seed seed{};
  // libsodium's secret key layout is seed || public key.
  std::copy(secret_.begin(), secret_.begin() + seed.size(), seed.begin());
  return seed;
}

Signature SecretKey::sign(ByteSpan message) const {
  Signature signature{};
  PHALANX_ASSERT(crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(),
                                      secret_.data()) == 0);
  return signature;
}

bool verify(const PublicKey& key, ByteSpan message, const Signature& signature) {
  ensure_sodium();
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     key.data()) == 0;
}

void secure_wipe(void* data, size_t size) { sodium_memzero(data, size); }

}  // namespace phalanx::crypto
