// Simulated clients: a few Ed25519 keys derived from the seed that sign real transfers
// (ledger::make_transfer) with consecutive nonces. They remember every transaction they
// created (the validity oracle: a block is valid iff all its txs are known); the simulation
// resubmits those not yet executed, as a wallet would.
// Thread-safety: none; owned by one simulation.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ledger/transaction.h"
#include "tests/sim/prng.h"

namespace phalanx::sim {

class Clients {
 public:
  // Bounds one run's memory whatever the plan says.
  static constexpr size_t kTransactionsMax = 20'000;

  Clients(uint64_t seed, uint32_t keys, std::string chain_id);

  bool full() const { return transactions_.size() >= kTransactionsMax; }
  // Signs the next transfer from a random key. REQUIRES: !full().
  const ledger::SignedTransaction& create(Prng& prng);
  // A correctly signed transfer from a key no client owns (for forged blocks); not known.
  ledger::SignedTransaction stranger(uint64_t nonce) const;

  const std::set<crypto::Hash>& known() const { return known_; }
  const std::vector<ledger::SignedTransaction>& transactions() const { return transactions_; }

 private:
  std::string chain_id_;
  std::vector<crypto::SecretKey> keys_;
  std::vector<uint64_t> next_nonce_;
  std::vector<ledger::SignedTransaction> transactions_;
  std::set<crypto::Hash> known_;
};

}  // namespace phalanx::sim
