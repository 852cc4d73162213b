// CurveZMQ identities derived from Ed25519 validator keys. One key per node: the validator's
// Ed25519 key pair is converted (libsodium crypto_sign_ed25519_*_to_curve25519) to the
// Curve25519 pair its transport uses as CURVE server and client, so a peer's server key
// follows from its Ed25519 public key in genesis and no second key has to be distributed.
// Thread-safety: value types; the functions are reentrant.
#pragma once

#include <array>
#include <cstdint>

#include "crypto/ed25519.h"
#include "crypto/status.h"

namespace phalanx::node {

using CurvePublicKey = std::array<uint8_t, 32>;
using CurveSecretKey = std::array<uint8_t, 32>;

// The converted secret is wiped when the pair is destroyed. Copyable because configuration
// structs are; every copy wipes itself.
class CurveKeyPair {
 public:
  CurveKeyPair() = default;  // all zero: never matches a validator key, start() refuses it
  static CurveKeyPair from_ed25519(const crypto::SecretKey& key);

  ~CurveKeyPair();
  CurveKeyPair(const CurveKeyPair& other) = default;
  CurveKeyPair& operator=(const CurveKeyPair& other) = default;

  const CurvePublicKey& public_key() const { return public_key_; }
  const CurveSecretKey& secret_key() const { return secret_key_; }

 private:
  CurvePublicKey public_key_{};
  CurveSecretKey secret_key_{};
};

// The Curve25519 public key of a validator's Ed25519 public key. Fails for keys that are
// not valid Ed25519 points (libsodium refuses small-order and non-canonical points).
Result<CurvePublicKey> curve_public_key(const crypto::PublicKey& ed25519_public_key);

}  // namespace phalanx::node
