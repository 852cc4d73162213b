// Helpers shared by the node's implementation files (node.cc, node_loop.cc, node_txs.cc).
// Private to node/. Thread-safety: pure functions, or reads of a thread-safe Store.
#pragma once

#include <chrono>
#include <cstdint>

#include "consensus/replica.h"
#include "ledger/store.h"

namespace phalanx::node {

// Wall-clock Unix milliseconds: the replica's clock and the block timestamps.
inline uint64_t unix_now_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// What the ledger has executed, for the replica's constructor: the tip's height, hash and
// timestamp and the state roots of the last W heights.
inline Result<consensus::ExecutedState> executed_state(const ledger::Store& store,
                                                       const ledger::Genesis& genesis) {
  auto snapshot = store.snapshot();
  if (!snapshot) return snapshot.status();
  consensus::ExecutedState executed;
  executed.height = snapshot->height();
  executed.block_hash = snapshot->tip_hash();
  executed.timestamp_ms = genesis.genesis_time_ms;
  if (executed.height > 0) {
    auto block = snapshot->block(executed.height);
    if (!block) return block.status();
    if (!block->has_value()) {
      return Status::error("the tip block " + std::to_string(executed.height) + " is missing");
    }
    executed.timestamp_ms = (*block)->header.timestamp_ms;
  }
  auto roots = snapshot->recent_state_roots(genesis.pipeline_depth);
  if (!roots) return roots.status();
  executed.state_roots = std::move(roots).value();
  return executed;
}

// The mempool's view of the committed state: one ledger read snapshot.
class SnapshotAccounts final : public ledger::AccountReader {
 public:
  explicit SnapshotAccounts(const ledger::Snapshot& snapshot) : snapshot_(snapshot) {}
  Result<std::optional<ledger::Account>> account(const crypto::Address& address) const override {
    auto account = snapshot_.account(address);
    if (!account) return account.status();
    return std::optional<ledger::Account>(*account);
  }
  Result<bool> tx_indexed(const crypto::Hash& tx_hash) const override {
    auto record = snapshot_.transaction(tx_hash);
    if (!record) return record.status();
    return record->has_value();
  }

 private:
  const ledger::Snapshot& snapshot_;
};

}  // namespace phalanx::node
