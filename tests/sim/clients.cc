// Simulated clients (see clients.h).
#include "tests/sim/clients.h"

#include <algorithm>

namespace phalanx::sim {
namespace {

crypto::Seed seed_bytes(Prng& prng) {
  crypto::Seed seed{};
  for (size_t i = 0; i < seed.size(); i += 8) {
    const uint64_t word = prng.next();
    for (size_t k = 0; k < 8; ++k) seed[i + k] = static_cast<uint8_t>(word >> (8 * k));
  }
  return seed;
}

}  // namespace

Clients::Clients(uint64_t seed, uint32_t keys, std::string chain_id)
    : chain_id_(std::move(chain_id)) {
  PHALANX_ASSERT(keys >= 1);
  Prng prng(seed ^ 0x636c69656e7473ULL);  // "clients"
  for (uint32_t i = 0; i < keys; ++i) {
    keys_.push_back(crypto::SecretKey::from_seed(seed_bytes(prng)));
    next_nonce_.push_back(0);
  }
}

const ledger::SignedTransaction& Clients::create(Prng& prng) {
  PHALANX_ASSERT(!full());
  const size_t from = prng.below(keys_.size());
  const size_t to = prng.below(keys_.size());
  const uint64_t amount = prng.range(1, 1000);
  const uint64_t fee = prng.range(0, 10);
  transactions_.push_back(ledger::make_transfer(keys_[from], chain_id_,
                                                crypto::address_of(keys_[to].public_key()), amount,
                                                fee, next_nonce_[from]++));
  const ledger::SignedTransaction& tx = transactions_.back();
  known_.insert(tx.hash);
  return tx;
}

ledger::SignedTransaction Clients::stranger(uint64_t nonce) const {
  crypto::Seed seed{};
  seed.fill(0x5a);
  const crypto::SecretKey key = crypto::SecretKey::from_seed(seed);
  return ledger::make_transfer(key, chain_id_, crypto::address_of(key.public_key()), 1, 0, nonce);
}

}  // namespace phalanx::sim
