// Signing and verification seams. The node plugs in Ed25519 (Ed25519Signer/Verifier); the
// simulator plugs in a cheap deterministic MAC for most seeds and Ed25519 for some.
// Only SafetyRules (consensus/safety_rules.h) holds a Signer: it is the one path to a
// consensus signature.
// Thread-safety: implementations are used from the thread that owns the replica.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/domain.h"
#include "crypto/ed25519.h"

namespace phalanx::consensus {

class Signer {
 public:
  virtual ~Signer() = default;
  virtual crypto::Signature sign(crypto::Domain domain, ByteSpan body) = 0;
};

class Verifier {
 public:
  virtual ~Verifier() = default;
  // REQUIRES: validator < number of validators.
  virtual bool verify(uint32_t validator, crypto::Domain domain, ByteSpan body,
                      const crypto::Signature& signature) = 0;
};

class Ed25519Signer final : public Signer {
 public:
  Ed25519Signer(crypto::SecretKey key, std::string chain_id)
      : key_(std::move(key)), chain_id_(std::move(chain_id)) {}
  crypto::Signature sign(crypto::Domain domain, ByteSpan body) override {
    return crypto::sign_domain(key_, domain, chain_id_, body);
  }

 private:
  crypto::SecretKey key_;
  std::string chain_id_;
};

class Ed25519Verifier final : public Verifier {
 public:
  Ed25519Verifier(std::vector<crypto::PublicKey> validators, std::string chain_id)
      : validators_(std::move(validators)), chain_id_(std::move(chain_id)) {}
  bool verify(uint32_t validator, crypto::Domain domain, ByteSpan body,
              const crypto::Signature& signature) override {
    return validator < validators_.size() &&
           crypto::verify_domain(validators_[validator], domain, chain_id_, body, signature);
  }

 private:
  std::vector<crypto::PublicKey> validators_;
  std::string chain_id_;
};

}  // namespace phalanx::consensus
