// The load: connection threads that send the pool's transfers as JSON-RPC batches of
// sendTransaction calls, thread t to node t mod n (so batches go round-robin to every node).
//
//   open loop  transfer j is due at start + j / rate; each thread sends what is due.
//   max        closed loop: sent-but-uncommitted transfers stay below ~inflight_s seconds of
//              the commit rate the watcher saw over the last two seconds (at least
//              inflight_floor), so the nodes always have work without unbounded queues.
//
// A batch a node did not answer goes to the next node. A transfer accepted but not committed
// after resend_after_ms is sent again to another node (a node that died may have taken it
// without gossiping it, leaving its sender's later nonces stuck); the node's "duplicate"
// answer is then expected and not counted as a rejection. A transfer refused for now (node
// busy, mempool full, rate limited, nonce too far ahead) is sent again 300 ms later: its
// sender's later nonces cannot commit without it. Every refusal is counted by its code.
// Thread-safety: control methods from one thread; counters from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/load/run_clock.h"
#include "bench/load/testnet.h"
#include "bench/load/txpool.h"
#include "bench/load/watcher.h"

namespace phalanx::bench {

struct LoadOptions {
  bool open_loop = false;
  double rate = 0;           // open loop: offered tx/s
  size_t batch = 100;        // calls per JSON-RPC batch (the node's rpc.batch_max default)
  uint32_t connections = 8;  // threads, each with one keep-alive connection
  double inflight_s = 1.0;   // max: seconds of work in flight
  size_t inflight_floor = 1000;
  size_t inflight_max = 16000;  // the nodes' per-sender pending cap (256) x 64 senders
  int64_t resend_after_ms = 5000;
};

struct Rejection {
  uint64_t count = 0;
  std::string message;  // the first one's
};

class Submitter {
 public:
  Submitter(const Testnet& testnet, TxPool* pool, const RunClock& clock,
            const ChainWatcher& watcher, LoadOptions options);
  ~Submitter();

  void start();
  // No new transfers from now on; resends go on until stop().
  void stop_sending();
  void stop();
  // Sends nothing more to `node`; its queued resends move to the others.
  void avoid(uint32_t node);

  size_t sent() const { return cursor_; }
  uint64_t accepted() const { return accepted_; }
  uint64_t resent() const { return resent_; }
  // Transfers refused for good (not retried).
  uint64_t refused() const { return refused_; }
  uint64_t transport_failures() const { return transport_failures_; }
  bool exhausted() const { return cursor_ >= pool_->size(); }
  std::map<int64_t, Rejection> rejections() const;
  uint64_t rejected() const;

 private:
  void connection_loop(uint32_t thread);
  void resend_loop();
  void update_inflight_cap(std::deque<std::pair<int64_t, uint64_t>>* history);
  void queue_resends(int64_t now_ns);
  bool resend_due(size_t index, int64_t now_ns) const;
  // Indices to send next from this thread's node: resends first, then new ones.
  std::vector<size_t> claim(uint32_t node);
  size_t claim_new(size_t wanted);
  size_t allowed_now() const;
  // `committed_seen`: the watcher's count before the claim that found nothing to send.
  void idle_wait(uint64_t committed_seen) const;
  void send(class RpcConnection& connection, uint32_t node, const std::vector<size_t>& indices);
  void requeue(uint32_t from_node, std::vector<size_t> indices);
  uint32_t next_live_node(uint32_t after) const;

  const Testnet& testnet_;
  TxPool* pool_;
  const RunClock& clock_;
  const ChainWatcher& watcher_;
  const LoadOptions options_;
  int64_t start_ns_ = 0;
  std::atomic<size_t> cursor_{0};
  std::atomic<bool> sending_{true};
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> resent_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> transport_failures_{0};
  std::atomic<size_t> inflight_cap_{0};  // max mode; set by resend_loop from the commit rate
  std::vector<std::atomic<bool>> avoided_;
  mutable std::mutex mutex_;
  std::vector<std::deque<size_t>> resend_queues_;  // per node; guarded by mutex_
  std::map<int64_t, Rejection> rejections_;        // by error code; guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace phalanx::bench
