// The chain watcher: polls one node's getBlockHeight every `poll_us` and reads every new
// block with getBlock (batched). Each block is recorded with the time its height was first
// seen, which is also the commit time of each of this run's transactions it holds (the
// latency a client polling the chain would see). If its node stops answering it moves to
// the next one it may use.
// Thread-safety: start/stop from one thread; the getters from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/load/run_clock.h"
#include "bench/load/testnet.h"
#include "bench/load/txpool.h"
#include "crypto/status.h"

namespace phalanx::bench {

struct BlockSeen {
  uint64_t height = 0;
  int64_t observed_ns = 0;
  uint32_t txs = 0;
  uint32_t ours = 0;  // of this run's pool
  uint64_t view = 0;
};

class ChainWatcher {
 public:
  ChainWatcher(const Testnet& testnet, TxPool* pool, const RunClock& clock, uint32_t node,
               int poll_us);
  ~ChainWatcher();

  // Reads the current tip (blocks up to it are not this run's) and starts polling.
  Status start();
  void stop();
  // Never read from `node` again (e.g. it is about to be killed).
  void avoid(uint32_t node);

  uint64_t start_height() const { return start_height_; }
  uint64_t height() const { return height_; }
  uint64_t committed() const { return committed_; }
  // Returns once committed() differs from `seen`, the watcher stops or `timeout` passes, so
  // the load's threads wait for room instead of spinning on committed().
  void wait_committed_change(uint64_t seen, std::chrono::nanoseconds timeout) const;
  std::vector<BlockSeen> blocks() const;
  // The last error that made it switch nodes ("" if none).
  std::string last_error() const;

 private:
  void loop();
  bool poll_once();
  Status read_blocks(uint64_t from, uint64_t to, int64_t observed_ns);
  void next_node(const std::string& error);

  const Testnet& testnet_;
  TxPool* pool_;
  const RunClock& clock_;
  const int poll_us_;
  std::atomic<uint32_t> node_;
  std::vector<std::atomic<bool>> avoided_;
  std::unique_ptr<class RpcConnection> connection_;
  uint64_t start_height_ = 0;
  std::atomic<uint64_t> height_{0};
  std::atomic<uint64_t> committed_{0};
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  mutable std::condition_variable committed_changed_;  // with mutex_
  std::vector<BlockSeen> blocks_;                      // guarded by mutex_
  std::string last_error_;                             // guarded by mutex_
  std::thread thread_;
};

}  // namespace phalanx::bench
