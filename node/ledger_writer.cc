#include "node/ledger_writer.h"

#include <algorithm>
#include <string>

#include "node/thread_name.h"

namespace phalanx::node {

LedgerWriter::LedgerWriter(ledger::Store* store, NodeHooks* hooks,
                           std::function<void(LedgerBatch)> done)
    : store_(store), hooks_(hooks), done_(std::move(done)) {
  PHALANX_ASSERT(store_ != nullptr && done_);
  thread_ = std::thread([this] {
    name_this_thread("phx-writer");
    run();
  });
}

LedgerWriter::~LedgerWriter() { stop(); }

bool LedgerWriter::submit(std::vector<BlockToWrite> blocks) {
  if (blocks.empty()) return true;
  std::unique_lock<std::mutex> lock(mutex_);
  room_.wait(lock, [&] {
    return stopping_ || failed_ || queue_.size() + in_progress_ < writer_blocks_queued_max;
  });
  if (stopping_ || failed_) return false;
  for (BlockToWrite& block : blocks) queue_.push_back(std::move(block));
  work_.notify_one();
  return true;
}

size_t LedgerWriter::backlog() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size() + in_progress_;
}

void LedgerWriter::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_.notify_one();
  room_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// Everything queued, up to one ledger transaction's worth. REQUIRES: lock held, queue not empty.
LedgerBatch LedgerWriter::take_batch(std::unique_lock<std::mutex>& lock) {
  PHALANX_ASSERT(lock.owns_lock() && !queue_.empty());
  LedgerBatch batch;
  const size_t count = std::min(queue_.size(), ledger::kCommitBlocksMax);
  batch.blocks.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    batch.blocks.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  in_progress_ = count;
  return batch;
}

void LedgerWriter::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() || failed_) return;  // stopping, and everything queued is written
    LedgerBatch batch = take_batch(lock);
    lock.unlock();
    std::vector<ledger::CertifiedBlock> certified;
    certified.reserve(batch.blocks.size());
    for (BlockToWrite& block : batch.blocks) certified.push_back(std::move(block.block));
    if (hooks_) hooks_->before_commit(certified.back().block.header.height);
    auto executed = store_->commit_blocks(certified);
    for (size_t i = 0; i < certified.size(); ++i) {
      batch.blocks[i].block = std::move(certified[i]);
    }
    if (executed) {
      batch.executed = std::move(executed).value();
      auto snapshot = store_->snapshot();
      if (snapshot) {
        batch.snapshot = std::make_shared<const ledger::Snapshot>(std::move(snapshot).value());
      } else {
        batch.status = Status::error("cannot read the ledger: " + snapshot.message());
      }
    } else {
      batch.status = Status::error(
          "cannot commit blocks " + std::to_string(batch.blocks.front().block.block.header.height) +
          ".." + std::to_string(batch.blocks.back().block.block.header.height) +
          " to the ledger: " + executed.message());
    }
    const bool ok = batch.status.is_ok();
    if (!ok) {  // refuse further blocks before the error is reported, not after
      lock.lock();
      failed_ = true;
      queue_.clear();
      lock.unlock();
    }
    done_(std::move(batch));
    lock.lock();
    in_progress_ = 0;
    room_.notify_all();
    if (!ok) return;
  }
}

}  // namespace phalanx::node
