// Keyring: MAC and Ed25519 validator keys derived from the seed (see keyring.h).
#include "tests/sim/keyring.h"

#include "crypto/domain.h"
#include "tests/sim/prng.h"

namespace phalanx::sim {
namespace {

crypto::Signature mac(const crypto::Seed& secret, crypto::Domain domain,
                      const std::string& chain_id, ByteSpan body) {
  const Bytes message = crypto::signing_message(domain, chain_id, body);
  crypto::Signature signature{};
  for (uint8_t half = 0; half < 2; ++half) {
    crypto::Hasher hasher;
    const uint8_t tag[1] = {half};
    hasher.update(ByteSpan(tag, 1)).update(secret).update(message);
    const crypto::Hash digest = hasher.finish();
    std::copy(digest.begin(), digest.end(), signature.begin() + 32 * half);
  }
  return signature;
}

class MacSigner final : public consensus::Signer {
 public:
  MacSigner(crypto::Seed secret, std::string chain_id)
      : secret_(secret), chain_id_(std::move(chain_id)) {}
  crypto::Signature sign(crypto::Domain domain, ByteSpan body) override {
    return mac(secret_, domain, chain_id_, body);
  }

 private:
  crypto::Seed secret_;
  std::string chain_id_;
};

class MacVerifier final : public consensus::Verifier {
 public:
  MacVerifier(std::vector<crypto::Seed> secrets, std::string chain_id)
      : secrets_(std::move(secrets)), chain_id_(std::move(chain_id)) {}
  bool verify(uint32_t validator, crypto::Domain domain, ByteSpan body,
              const crypto::Signature& signature) override {
    PHALANX_ASSERT(validator < secrets_.size());
    return mac(secrets_[validator], domain, chain_id_, body) == signature;
  }

 private:
  std::vector<crypto::Seed> secrets_;
  std::string chain_id_;
};

}  // namespace

Keyring::Keyring(uint64_t seed, uint32_t validators, SignatureScheme scheme, std::string chain_id)
    : scheme_(scheme), chain_id_(std::move(chain_id)) {
  PHALANX_ASSERT(validators >= 1);
  Prng prng(seed ^ 0x6b657972696e67ULL);  // "keyring"
  for (uint32_t i = 0; i < validators; ++i) {
    crypto::Seed secret{};
    for (size_t j = 0; j < secret.size(); j += 8) {
      const uint64_t word = prng.next();
      for (size_t k = 0; k < 8; ++k) secret[j + k] = static_cast<uint8_t>(word >> (8 * k));
    }
    seeds_.push_back(secret);
    if (scheme_ == SignatureScheme::kEd25519) {
      public_keys_.push_back(crypto::SecretKey::from_seed(secret).public_key());
    } else {
      // A MAC has no public key; the validator list still needs distinct identities.
      public_keys_.push_back(crypto::sha256(secret));
    }
  }
}

std::unique_ptr<consensus::Signer> Keyring::signer(uint32_t validator) const {
  PHALANX_ASSERT(validator < seeds_.size());
  if (scheme_ == SignatureScheme::kEd25519) {
    return std::make_unique<consensus::Ed25519Signer>(
        crypto::SecretKey::from_seed(seeds_[validator]), chain_id_);
  }
  return std::make_unique<MacSigner>(seeds_[validator], chain_id_);
}

std::unique_ptr<consensus::Verifier> Keyring::verifier() const {
  if (scheme_ == SignatureScheme::kEd25519) {
    return std::make_unique<consensus::Ed25519Verifier>(public_keys_, chain_id_);
  }
  return std::make_unique<MacVerifier>(seeds_, chain_id_);
}

}  // namespace phalanx::sim
