// Ed25519 → Curve25519 conversion. The public half is recomputed from the converted secret
// and checked against the conversion of the Ed25519 public key, so a node derives exactly
// the server key its peers derive from genesis.
#include "node/curve.h"

#include <sodium.h>

namespace phalanx::node {

CurveKeyPair CurveKeyPair::from_ed25519(const crypto::SecretKey& key) {
  PHALANX_ASSERT_MSG(sodium_init() >= 0, "sodium_init failed");
  crypto::Seed seed = key.seed();
  std::array<uint8_t, crypto_sign_PUBLICKEYBYTES> ed_public{};
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> ed_secret{};
  PHALANX_ASSERT(crypto_sign_seed_keypair(ed_public.data(), ed_secret.data(), seed.data()) == 0);
  crypto::secure_wipe(seed.data(), seed.size());

  CurveKeyPair pair;
  const int converted =
      crypto_sign_ed25519_sk_to_curve25519(pair.secret_key_.data(), ed_secret.data());
  crypto::secure_wipe(ed_secret.data(), ed_secret.size());
  PHALANX_ASSERT(converted == 0);
  PHALANX_ASSERT(crypto_scalarmult_base(pair.public_key_.data(), pair.secret_key_.data()) == 0);

  auto expected = curve_public_key(key.public_key());
  PHALANX_ASSERT_MSG(expected.is_ok() && *expected == pair.public_key_,
                     "Curve25519 conversion of the validator key is inconsistent");
  return pair;
}

CurveKeyPair::~CurveKeyPair() { crypto::secure_wipe(secret_key_.data(), secret_key_.size()); }

Result<CurvePublicKey> curve_public_key(const crypto::PublicKey& ed25519_public_key) {
  PHALANX_ASSERT_MSG(sodium_init() >= 0, "sodium_init failed");
  CurvePublicKey out{};
  if (crypto_sign_ed25519_pk_to_curve25519(out.data(), ed25519_public_key.data()) != 0) {
    return Status::error("Ed25519 public key " + hex_encode(ed25519_public_key) +
                         " is not a valid curve point; it has no Curve25519 form");
  }
  return out;
}

}  // namespace phalanx::node
