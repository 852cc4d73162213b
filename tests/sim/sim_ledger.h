// The simulated application of one replica: a tiny deterministic ledger that executes
// committed blocks strictly in height order,
//
//   root(0) = genesis state root
//   root(h) = SHA-256(root(h-1) || block_hash(h))
//
// and remembers which transactions it has executed, and every block with its commit
// certificate (to serve catch-up, as the node's block store does). It models the node's
// durable store: it
// survives a simulated crash (a block is applied atomically, like one LMDB write
// transaction), and on restart it supplies consensus::ExecutedState.
// Also here: the per-replica mempool, which does NOT survive a crash.
// Thread-safety: none; owned by one SimNode.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "consensus/replica.h"
#include "ledger/block.h"

namespace phalanx::sim {

using crypto::Hash;

class SimLedger {
 public:
  SimLedger(const Hash& genesis_hash, const Hash& genesis_root, uint64_t genesis_time_ms);

  uint64_t height() const { return static_cast<uint64_t>(hashes_.size()) - 1; }
  const Hash& tip_hash() const { return hashes_.back(); }
  // REQUIRES: height <= height().
  const Hash& hash_at(uint64_t height) const;
  const Hash& root_at(uint64_t height) const;

  // Applies the next block. REQUIRES: block.header.height == height() + 1 (the caller
  // checks and reports a violation instead). Returns the new state root.
  Hash apply(const ledger::Block& block, const Hash& hash,
             const ledger::CommitCertificate& certificate);
  // REQUIRES: 1 <= height <= height().
  const ledger::Block& block_at(uint64_t height) const;
  const ledger::CommitCertificate& certificate_at(uint64_t height) const;
  bool contains_tx(const Hash& tx_hash) const { return executed_txs_.count(tx_hash) > 0; }
  // True when the tx was executed below `height`.
  bool executed_below(const Hash& tx_hash, uint64_t height) const {
    auto it = executed_txs_.find(tx_hash);
    return it != executed_txs_.end() && it->second < height;
  }

  // What a restarted replica is told: the tip and the roots of the last `window` + 1
  // heights (at least the tip's).
  consensus::ExecutedState executed_state(uint32_t window) const;

 private:
  std::vector<Hash> hashes_;  // index = height; [0] = genesis
  std::vector<Hash> roots_;
  std::vector<uint64_t> timestamps_ms_;
  std::vector<ledger::Block> blocks_;  // index = height - 1
  std::vector<ledger::CommitCertificate> certificates_;
  std::map<Hash, uint64_t> executed_txs_;  // tx -> height
};

// Pending transactions waiting to be proposed, in arrival order; bounded.
class Mempool {
 public:
  static constexpr size_t kTransactionsMax = 100'000;

  // Returns false (and drops the tx) when it is already present or the pool is full.
  bool add(const ledger::SignedTransaction& tx);
  void remove(const Hash& tx_hash);
  bool contains(const Hash& tx_hash) const { return index_.count(tx_hash) > 0; }
  bool empty() const { return index_.empty(); }
  size_t size() const { return index_.size(); }
  // Removes and returns up to `count_max` of the oldest transactions.
  std::vector<ledger::SignedTransaction> take(size_t count_max);
  void clear();

 private:
  std::map<uint64_t, ledger::SignedTransaction> by_arrival_;
  std::map<Hash, uint64_t> index_;
  uint64_t next_arrival_ = 0;
};

}  // namespace phalanx::sim
