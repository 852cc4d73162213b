// The project hash: SHA-256 through OpenSSL (SHA-NI makes it faster than libsodium's SHA-256
// and BLAKE2b, MEASURED.md), without one-shot SHA256(), which re-fetches the algorithm on
// every call: Hasher reuses a context, sha256()/sha256_pair() take the low-level calls
// (crypto/hash.cc).
// Thread-safety: every function may be called from any thread; a Hasher belongs to one.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "crypto/bytes.h"

namespace phalanx::crypto {

using Hash = std::array<uint8_t, 32>;

// Incremental hashing; one Hasher per computation.
class Hasher {
 public:
  Hasher();
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  Hasher& update(ByteSpan bytes);
  template <size_t N>
  Hasher& update(const std::array<uint8_t, N>& a) {
    return update(ByteSpan(a.data(), a.size()));
  }
  Hash finish();

 private:
  void* ctx_;  // EVP_MD_CTX*, owned
};

Hash sha256(ByteSpan bytes);
// H(a || b), the common two-input case (Merkle nodes).
Hash sha256_pair(const Hash& a, const Hash& b);

inline std::string to_hex(const Hash& h) { return hex_encode(h); }

// For unordered containers keyed by a Hash (transaction hashes, for one). Peers choose those
// keys and can grind them, so the bucket comes from the hash's first 16 bytes mixed with a
// seed drawn once per process: without the seed they cannot aim many keys at one bucket.
struct HashHasher {
  size_t operator()(const Hash& hash) const noexcept;
};

}  // namespace phalanx::crypto
