// SimLedger and Mempool (see sim_ledger.h).
#include "tests/sim/sim_ledger.h"

namespace phalanx::sim {

SimLedger::SimLedger(const Hash& genesis_hash, const Hash& genesis_root, uint64_t genesis_time_ms)
    : hashes_{genesis_hash}, roots_{genesis_root}, timestamps_ms_{genesis_time_ms} {}

const Hash& SimLedger::hash_at(uint64_t height) const {
  PHALANX_ASSERT(height <= this->height());
  return hashes_[height];
}

const Hash& SimLedger::root_at(uint64_t height) const {
  PHALANX_ASSERT(height <= this->height());
  return roots_[height];
}

const ledger::Block& SimLedger::block_at(uint64_t height) const {
  PHALANX_ASSERT(height >= 1 && height <= this->height());
  return blocks_[height - 1];
}

const ledger::CommitCertificate& SimLedger::certificate_at(uint64_t height) const {
  PHALANX_ASSERT(height >= 1 && height <= this->height());
  return certificates_[height - 1];
}

Hash SimLedger::apply(const ledger::Block& block, const Hash& hash,
                      const ledger::CommitCertificate& certificate) {
  PHALANX_ASSERT(block.header.height == height() + 1);
  const Hash root = crypto::sha256_pair(roots_.back(), hash);
  hashes_.push_back(hash);
  roots_.push_back(root);
  timestamps_ms_.push_back(block.header.timestamp_ms);
  blocks_.push_back(block);
  certificates_.push_back(certificate);
  for (const auto& tx : block.transactions) executed_txs_.emplace(tx.hash, height());
  return root;
}

consensus::ExecutedState SimLedger::executed_state(uint32_t window) const {
  consensus::ExecutedState state;
  state.height = height();
  state.block_hash = hashes_.back();
  state.timestamp_ms = timestamps_ms_.back();
  const uint64_t first = state.height > window ? state.height - window : 0;
  for (uint64_t h = first; h <= state.height; ++h) state.state_roots[h] = roots_[h];
  return state;
}

bool Mempool::add(const ledger::SignedTransaction& tx) {
  if (index_.size() >= kTransactionsMax || index_.count(tx.hash) > 0) return false;
  index_[tx.hash] = next_arrival_;
  by_arrival_[next_arrival_] = tx;
  ++next_arrival_;
  return true;
}

void Mempool::remove(const Hash& tx_hash) {
  auto it = index_.find(tx_hash);
  if (it == index_.end()) return;
  by_arrival_.erase(it->second);
  index_.erase(it);
}

std::vector<ledger::SignedTransaction> Mempool::take(size_t count_max) {
  std::vector<ledger::SignedTransaction> taken;
  while (!by_arrival_.empty() && taken.size() < count_max) {
    auto it = by_arrival_.begin();
    index_.erase(it->second.hash);
    taken.push_back(std::move(it->second));
    by_arrival_.erase(it);
  }
  return taken;
}

void Mempool::clear() {
  by_arrival_.clear();
  index_.clear();
}

}  // namespace phalanx::sim
