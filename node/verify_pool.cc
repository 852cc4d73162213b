#include "node/verify_pool.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>

#include "node/thread_name.h"

namespace phalanx::node {
namespace {

// The pool whose worker runs on this thread, to catch a completion that would block on
// its own pool.
thread_local const VerifyPool* current_worker_pool = nullptr;

// A blocking verify_batch caller waiting for its completion.
struct Waiter {
  std::mutex mutex;
  std::condition_variable ready;
  std::optional<std::vector<bool>> result;
};

}  // namespace

struct VerifyPool::Batch {
  Batch(TxRefs txs_, VerifyCompletion done_)
      : txs(std::move(txs_)), valid(txs.size(), 0), done(std::move(done_)) {}
  TxRefs txs;
  // One byte per tx: workers write disjoint elements (std::vector<bool> packs bits and
  // would race).
  std::vector<uint8_t> valid;
  VerifyCompletion done;
  size_t next = 0;  // first unclaimed index; guarded by VerifyPool::mutex_
  // Verified so far; the worker that brings it to txs.size() runs `done`.
  std::atomic<size_t> finished{0};
};

VerifyPool::VerifyPool(SignatureCache& cache, VerifyPoolOptions options)
    : cache_(cache), options_(options) {
  PHALANX_ASSERT(options.queue_txs_max >= 1);
  PHALANX_ASSERT(options.queue_batches_max >= 1);
  PHALANX_ASSERT(options.claim_txs >= 1);
  size_t count = options.threads;
  if (count == 0) count = std::max<size_t>(1, std::thread::hardware_concurrency());
  threads_.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    threads_.emplace_back([this, i] {
      name_this_thread("phx-verify-" + std::to_string(i));
      worker_loop();
    });
  }
}

VerifyPool::~VerifyPool() { stop(); }

bool VerifyPool::has_room_locked(size_t tx_count) const {
  if (queue_.size() >= options_.queue_batches_max) return false;
  return queued_txs_ == 0 || queued_txs_ + tx_count <= options_.queue_txs_max;
}

void VerifyPool::enqueue_locked(std::shared_ptr<Batch> batch) {
  queued_txs_ += batch->txs.size();
  queue_.push_back(std::move(batch));
}

VerifyPool::Claim VerifyPool::claim_locked() {
  PHALANX_ASSERT(!queue_.empty());
  Claim claim;
  claim.batch = queue_.front();
  Batch& batch = *claim.batch;
  claim.begin = batch.next;
  claim.end = std::min(batch.txs.size(), batch.next + options_.claim_txs);
  batch.next = claim.end;
  PHALANX_ASSERT(queued_txs_ >= claim.end - claim.begin);
  queued_txs_ -= claim.end - claim.begin;
  if (batch.next == batch.txs.size()) queue_.pop_front();
  return claim;
}

std::vector<bool> VerifyPool::verify_batch(const TxRefs& txs) {
  PHALANX_ASSERT_MSG(current_worker_pool != this, "verify_batch called from a completion");
  if (txs.empty()) return {};
  // The waiter is shared with the completion, so it outlives the worker's notify even when
  // this thread returns the moment the result is set.
  auto waiter = std::make_shared<Waiter>();
  auto batch = std::make_shared<Batch>(txs, [waiter](std::vector<bool> valid) {
    {
      std::lock_guard lock(waiter->mutex);
      waiter->result = std::move(valid);
    }
    waiter->ready.notify_one();
  });
  bool queued = false;
  {
    std::unique_lock lock(mutex_);
    room_available_.wait(lock, [&] { return stopping_ || has_room_locked(txs.size()); });
    if (!stopping_) {
      enqueue_locked(std::move(batch));
      queued = true;
    }
  }
  if (!queued) {
    // The pool is stopping: its workers are finishing, so verify on this thread instead.
    std::vector<bool> valid(txs.size());
    for (size_t i = 0; i < txs.size(); ++i) valid[i] = cache_.verify(*txs[i]);
    return valid;
  }
  work_available_.notify_all();
  std::unique_lock lock(waiter->mutex);
  waiter->ready.wait(lock, [&] { return waiter->result.has_value(); });
  return std::move(*waiter->result);
}

Status VerifyPool::submit(TxRefs txs, VerifyCompletion done) {
  PHALANX_ASSERT(done != nullptr);
  auto batch = std::make_shared<Batch>(std::move(txs), std::move(done));
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return Status::error("the signature verification pool is stopped");
    if (!has_room_locked(batch->txs.size())) {
      return Status::error(
          "the signature verification queue is full: " + std::to_string(queued_txs_) +
          " transactions in " + std::to_string(queue_.size()) + " batches are waiting");
    }
    enqueue_locked(std::move(batch));
  }
  work_available_.notify_all();
  return Status::ok();
}

void VerifyPool::worker_loop() {
  current_worker_pool = this;
  for (;;) {
    Claim claim;
    {
      std::unique_lock lock(mutex_);
      work_available_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every accepted batch is claimed
      claim = claim_locked();
    }
    room_available_.notify_all();
    run_claim(claim);
  }
}

void VerifyPool::run_claim(const Claim& claim) {
  Batch& batch = *claim.batch;
  for (size_t i = claim.begin; i < claim.end; ++i) {
    batch.valid[i] = cache_.verify(*batch.txs[i]) ? 1 : 0;
  }
  const size_t count = claim.end - claim.begin;
  // acq_rel: the last worker sees every other worker's writes to `valid`.
  if (batch.finished.fetch_add(count, std::memory_order_acq_rel) + count != batch.txs.size()) {
    return;
  }
  std::vector<bool> valid(batch.valid.size());
  for (size_t i = 0; i < valid.size(); ++i) valid[i] = batch.valid[i] != 0;
  VerifyCompletion done = std::move(batch.done);
  done(std::move(valid));
}

void VerifyPool::stop() {
  PHALANX_ASSERT_MSG(current_worker_pool != this, "stop called from a completion");
  std::lock_guard stop_lock(stop_mutex_);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_available_.notify_all();
  room_available_.notify_all();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

size_t VerifyPool::queued_txs() const {
  std::lock_guard lock(mutex_);
  return queued_txs_;
}

}  // namespace phalanx::node
