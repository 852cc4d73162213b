// node::VerifyPool: worker threads that check transaction signatures off the caller's
// thread, through a SignatureCache (so each distinct transaction is verified once per node).
// It owns its threads and a bounded queue of batches; it does not own the transactions or
// the cache.
//
// A batch is split dynamically: idle workers claim `claim_txs` transactions at a time from the
// oldest batch, so one large batch (a proposed block) spreads over every core while small
// batches (gossip) still finish in arrival order. The queue holds at most `queue_txs_max`
// unclaimed transactions and `queue_batches_max` batches; a batch larger than
// `queue_txs_max` is accepted only into an empty queue, so every batch can eventually run.
//
// stop() is clean: it refuses new async batches, lets the workers finish every batch already
// accepted (each completion runs exactly once), and joins them. The destructor stops.
//
// Thread-safety: every public method may be called from any thread except where noted.
// Completions run on a worker thread; they may call submit() but not verify_batch() or stop().
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "node/signature_cache.h"

namespace phalanx::node {

struct VerifyPoolOptions {
  size_t threads = 0;  // 0: std::thread::hardware_concurrency() (at least 1)
  size_t queue_txs_max = 16384;
  size_t queue_batches_max = 1024;
  size_t claim_txs = 16;  // ~0.8 ms of verification: amortises the queue lock
};

using TxRefs = std::vector<const ledger::SignedTransaction*>;
// Receives one flag per transaction, in batch order: true iff its signature is valid.
using VerifyCompletion = std::function<void(std::vector<bool> valid)>;

class VerifyPool {
 public:
  // REQUIRES: `cache` outlives the pool; queue_txs_max, queue_batches_max, claim_txs >= 1.
  VerifyPool(SignatureCache& cache, VerifyPoolOptions options = {});
  ~VerifyPool();
  VerifyPool(const VerifyPool&) = delete;
  VerifyPool& operator=(const VerifyPool&) = delete;

  // Verifies `txs` on the workers and blocks until all are done, waiting for queue room if
  // needed. After stop() it verifies on the calling thread instead.
  // REQUIRES: not called from a completion (it would wait on its own worker).
  std::vector<bool> verify_batch(const TxRefs& txs);

  // Queues `txs` and returns at once; `done` later runs once on a worker thread. Errors,
  // without running `done`, when the queue is full or the pool is stopped.
  // REQUIRES: every transaction stays alive until `done` has run (capture its owner in
  // `done`, e.g. the shared_ptr<const Block> of a validation request).
  Status submit(TxRefs txs, VerifyCompletion done);

  // Idempotent. REQUIRES: not called from a completion.
  void stop();

  size_t thread_count() const { return threads_.size(); }
  // Unclaimed transactions in the queue (for metrics and tests).
  size_t queued_txs() const;

 private:
  struct Batch;
  struct Claim {
    std::shared_ptr<Batch> batch;
    size_t begin = 0;
    size_t end = 0;
  };

  // REQUIRES: mutex_ held.
  bool has_room_locked(size_t tx_count) const;
  void enqueue_locked(std::shared_ptr<Batch> batch);
  Claim claim_locked();

  void worker_loop();
  void run_claim(const Claim& claim);

  SignatureCache& cache_;
  const VerifyPoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable work_available_;
  std::condition_variable room_available_;
  std::deque<std::shared_ptr<Batch>> queue_;
  size_t queued_txs_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::mutex stop_mutex_;  // serialises stop() callers
};

}  // namespace phalanx::node
