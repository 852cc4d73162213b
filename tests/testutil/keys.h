// phalanx::testutil: fixed keys, seeds and hashes for unit tests, so test files that share an
// executable (a unity build, tests/CMakeLists.txt) share one definition instead of each
// keeping its own copy in an anonymous namespace. Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "crypto/ed25519.h"
#include "crypto/hash.h"

namespace phalanx::testutil {

// The key whose seed is 32 copies of `byte`.
inline crypto::SecretKey key_of(uint8_t byte) {
  crypto::Seed seed{};
  seed.fill(byte);
  return crypto::SecretKey::from_seed(seed);
}

// The seed first, first + 1, first + 2, ... (mod 256).
inline crypto::Seed seed_of(uint8_t first) {
  crypto::Seed seed{};
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(first + i);
  return seed;
}

// The hash of 32 copies of `byte` (a placeholder digest, not the hash of anything).
inline crypto::Hash filled(uint8_t byte) {
  crypto::Hash hash;
  hash.fill(byte);
  return hash;
}

}  // namespace phalanx::testutil
