// The validators' signing keys for one simulated run, derived from the seed. Two schemes
// plug into consensus::Signer/Verifier:
//   - a deterministic MAC (most seeds): signature = H(0x00 || secret_i || m) || H(0x01 ||
//     secret_i || m) with m = signing_message(domain, chain id, body). It costs two SHA-256
//     calls instead of an Ed25519 sign/verify, so a seed covers hundreds of blocks in a few
//     milliseconds. Only the simulator knows the secrets, which is all a MAC needs here.
//   - real Ed25519 (consensus::Ed25519Signer/Verifier) for some seeds, so the production
//     seam is exercised end to end.
// The keyring also hands out the primary's signer to the Byzantine injector: forged
// PRE-PREPAREs carry signatures that verify.
// Thread-safety: none; one simulation owns its keyring.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "consensus/signer.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"

namespace phalanx::sim {

enum class SignatureScheme : uint8_t { kMac, kEd25519 };

class Keyring {
 public:
  // REQUIRES: validators >= 1.
  Keyring(uint64_t seed, uint32_t validators, SignatureScheme scheme, std::string chain_id);

  SignatureScheme scheme() const { return scheme_; }
  const std::vector<crypto::PublicKey>& public_keys() const { return public_keys_; }
  // REQUIRES: validator < public_keys().size().
  std::unique_ptr<consensus::Signer> signer(uint32_t validator) const;
  std::unique_ptr<consensus::Verifier> verifier() const;

 private:
  SignatureScheme scheme_;
  std::string chain_id_;
  std::vector<crypto::Seed> seeds_;  // Ed25519 seeds, or MAC secrets
  std::vector<crypto::PublicKey> public_keys_;
};

}  // namespace phalanx::sim
