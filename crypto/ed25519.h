// Ed25519 keys, signing and verification through libsodium (2.1x faster verification than
// OpenSSL's EVP on this machine class, MEASURED.md). Secret material lives in SecretKey,
// which wipes itself with sodium_memzero on destruction and cannot be copied implicitly.
// Thread-safety: SecretKey is immutable after construction; verify() is reentrant.
#pragma once

#include <array>
#include <cstdint>

#include "crypto/bytes.h"

namespace phalanx::crypto {

using PublicKey = std::array<uint8_t, 32>;
using Signature = std::array<uint8_t, 64>;
using Seed = std::array<uint8_t, 32>;

class SecretKey {
 public:
  // Deterministic: the same seed always gives the same key pair.
  static SecretKey from_seed(const Seed& seed);
  // A fresh key from the OS random source (libsodium randombytes). Not for consensus/.
  static SecretKey generate();

  ~SecretKey();
  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;

  const PublicKey& public_key() const { return public_key_; }
  // The 32-byte seed (for the keystore). Callers wipe their copy.
  Seed seed() const;
  Signature sign(ByteSpan message) const;

 private:
  SecretKey() = default;
  std::array<uint8_t, 64> secret_{};  // libsodium layout: seed || public key
  PublicKey public_key_{};
};

// True only for a valid signature by `key` over exactly `message`. libsodium rejects
// non-canonical signatures and small-order keys, so a valid signature is not malleable.
bool verify(const PublicKey& key, ByteSpan message, const Signature& signature);

// Wipes memory that held a secret (sodium_memzero).
void secure_wipe(void* data, size_t size);

}  // namespace phalanx::crypto
