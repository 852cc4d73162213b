// node::LedgerWriter: the thread that writes committed blocks to the ledger, so the event loop
// keeps voting while a block's synced LMDB transaction is on its way to disk.
//
// The loop hands over each Ready's committed blocks in height order (submit()); the writer
// commits everything queued when it wakes -- up to ledger::kCommitBlocksMax blocks -- in one
// ledger transaction (group commit: the blocks that arrived while the previous transaction
// synced share the next sync), opens a read snapshot right after that commit, and hands the
// batch back through `done` (the loop's queue): the blocks, what executing them produced and
// that snapshot, so the loop reconciles the mempool against exactly the state after the
// batch. Batches come back in submission order. A failed commit comes back with its error
// and the writer takes no more work (the node stops on it).
//
// Crash safety is the ledger's own (one transaction per batch, all or nothing); blocks
// queued here and not yet written are still in the replica's durable records and are
// replayed or fetched again on restart, as when a crash hits between consensus and ledger.
// Consensus stays safe while the ledger lags: a block is handed over only once committed,
// and the replica validates height h only after the state root of h - W came back.
//
// Bounds: at most writer_blocks_queued_max blocks wait; submit() then blocks the loop until
// the disk catches up (the disk is the limit; nothing queues without bound).
// Thread-safety: submit() and stop() from the loop thread; `done` runs on the writer thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ledger/store.h"
#include "node/node_hooks.h"

namespace phalanx::node {

inline constexpr size_t writer_blocks_queued_max = 512;

// One committed block on its way to the ledger, with the hash the replica committed.
struct BlockToWrite {
  ledger::CertifiedBlock block;
  crypto::Hash hash{};
};

// What one ledger transaction did: `status` ok, `executed[i]` for `blocks[i]`, and a snapshot
// of the ledger as the transaction left it; or the error (nothing was written).
struct LedgerBatch {
  std::vector<BlockToWrite> blocks;
  Status status;
  std::vector<ledger::ExecutedBlock> executed;
  std::shared_ptr<const ledger::Snapshot> snapshot;
};

class LedgerWriter {
 public:
  // `hooks` may be null; its before_commit() runs on the writer thread.
  LedgerWriter(ledger::Store* store, NodeHooks* hooks, std::function<void(LedgerBatch)> done);
  ~LedgerWriter();  // stop()
  LedgerWriter(const LedgerWriter&) = delete;
  LedgerWriter& operator=(const LedgerWriter&) = delete;

  // Queues blocks (height order, continuing the previous call). Waits while the queue is
  // full. False once stopped or failed (the blocks are not queued).
  bool submit(std::vector<BlockToWrite> blocks);
  // Blocks submitted and not yet handed back.
  size_t backlog() const;
  // Writes what is queued, then joins. Idempotent.
  void stop();

 private:
  void run();
  LedgerBatch take_batch(std::unique_lock<std::mutex>& lock);

  ledger::Store* store_;
  NodeHooks* hooks_;
  std::function<void(LedgerBatch)> done_;
  mutable std::mutex mutex_;
  std::condition_variable work_;   // the writer waits for blocks or stop
  std::condition_variable room_;   // submit() waits for room
  std::deque<BlockToWrite> queue_;  // guarded by mutex_
  size_t in_progress_ = 0;          // guarded: blocks taken and not yet handed back
  bool stopping_ = false;           // guarded
  bool failed_ = false;             // guarded
  std::thread thread_;
};

}  // namespace phalanx::node
