// State shared between the threads that call Transport and its I/O thread: the bounded
// outbound queue with its eventfd wake-up, the stop request, per-peer link state and the
// counters. Internal to the transport.
//
// Wake-up protocol: a producer writes the eventfd only when it makes the queue non-empty;
// the I/O thread reads (resets) the eventfd before it takes the queue, so a frame queued
// after the take always finds the queue empty and wakes the thread again.
// Thread-safety: every member function is safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/status.h"
#include "node/transport.h"

namespace phalanx::node {

// Destination of a frame queued by broadcast().
inline constexpr uint32_t kAllPeers = UINT32_MAX;

struct OutboundFrame {
  uint32_t to = 0;  // a validator index or kAllPeers
  std::shared_ptr<const Bytes> frame;
};

struct AtomicCounters {
  std::atomic<uint64_t> frames_sent{0};
  std::atomic<uint64_t> frames_received{0};
  std::atomic<uint64_t> frames_dropped_queue_full{0};
  std::atomic<uint64_t> frames_dropped_unavailable{0};
  std::atomic<uint64_t> frames_rejected_oversize{0};
  std::atomic<uint64_t> frames_dropped_oversize{0};
  std::atomic<uint64_t> frames_dropped_malformed{0};
  std::atomic<uint64_t> connections_admitted{0};
  std::atomic<uint64_t> connections_refused{0};
  std::atomic<uint64_t> handshakes_failed{0};

  TransportCounters snapshot() const;
};

inline void count(std::atomic<uint64_t>& counter, uint64_t n = 1) {
  counter.fetch_add(n, std::memory_order_relaxed);
}

class TransportShared {
 public:
  enum class Push { kQueued, kFull, kClosed };

  TransportShared(size_t validators, size_t queue_frames_max, size_t queue_bytes_max);
  ~TransportShared();
  TransportShared(const TransportShared&) = delete;
  TransportShared& operator=(const TransportShared&) = delete;

  // Creates the eventfd and starts accepting frames.
  Status open();
  int wake_fd() const { return wake_fd_; }

  // Producer side.
  Push push(OutboundFrame frame);
  // Stops accepting frames and wakes the I/O thread, which then exits its loop.
  void close();

  // I/O thread side.
  bool closed() const { return closed_.load(std::memory_order_acquire); }
  void consume_wake();
  std::deque<OutboundFrame> take();
  void set_connected(uint32_t validator, bool connected);

  bool connected(uint32_t validator) const;
  // How many times the link to `validator` came up (set_connected(validator, true)).
  uint64_t links_up(uint32_t validator) const;
  uint32_t connected_count() const;

  AtomicCounters counters;

 private:
  void wake();

  const size_t queue_frames_max_;
  const size_t queue_bytes_max_;
  int wake_fd_ = -1;
  std::atomic<bool> closed_{true};
  std::unique_ptr<std::atomic<bool>[]> connected_;
  std::unique_ptr<std::atomic<uint64_t>[]> links_up_;
  const size_t validators_;

  std::mutex mutex_;
  std::deque<OutboundFrame> queue_;  // guarded by mutex_
  size_t queue_bytes_ = 0;           // guarded by mutex_
};

}  // namespace phalanx::node
