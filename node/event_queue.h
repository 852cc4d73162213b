// node::EventQueue<T>: the bounded multi-producer, single-consumer queue between the
// node's threads (transport I/O, RPC workers, verification workers, the signal handler
// thread) and the one event-loop thread that owns the replica, the mempool and the ledger
// writer. It owns the queued events.
//
// Bounds: at most `events_max` events and `bytes_max` bytes of declared cost. Producers of
// untrusted or client-driven load (peer frames, submissions) use try_push()/push_wait()
// and are refused when the queue is full. Internally generated events whose number is
// already bounded elsewhere (verification completions: at most one per accepted pool batch;
// the single stop request) use push_always(), which ignores the bound, because dropping
// them would stall the replica (a validation answer never arrives) or the shutdown.
//
// close() refuses every later push and wakes the consumer; events already queued stay
// poppable so their reply promises can be answered.
// Thread-safety: every method may be called from any thread; pop_wait() from one consumer.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

#include "crypto/assert.h"

namespace phalanx::node {

template <typename T>
class EventQueue {
 public:
  using Clock = std::chrono::steady_clock;

  // REQUIRES: events_max >= 1, bytes_max >= 1.
  EventQueue(size_t events_max, size_t bytes_max) : events_max_(events_max), bytes_max_(bytes_max) {
    PHALANX_ASSERT(events_max >= 1 && bytes_max >= 1);
  }
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  // False when the queue is full or closed; the event is then not queued.
  bool try_push(T event, size_t cost_bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_ || !has_room_locked(cost_bytes)) {
      ++refused_;
      return false;
    }
    push_locked(std::move(event), cost_bytes);
    return true;
  }

  // Waits until there is room, the deadline passes or the queue closes.
  bool push_wait(T event, size_t cost_bytes, Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    const bool room =
        room_.wait_until(lock, deadline, [&] { return closed_ || has_room_locked(cost_bytes); });
    if (!room || closed_) {
      ++refused_;
      return false;
    }
    push_locked(std::move(event), cost_bytes);
    return true;
  }

  // Ignores the bounds (see the header comment); false only when closed.
  bool push_always(T event, size_t cost_bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return false;
    push_locked(std::move(event), cost_bytes);
    return true;
  }

  // Moves up to `events_max_out` events into *out (appending), waiting until at least one
  // is queued, the deadline passes or the queue is closed. Returns the number moved.
  size_t pop_wait(std::vector<T>* out, size_t events_max_out, Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    available_.wait_until(lock, deadline, [&] { return closed_ || !events_.empty(); });
    size_t moved = 0;
    while (!events_.empty() && moved < events_max_out) {
      out->push_back(std::move(events_.front().first));
      bytes_ -= events_.front().second;
      events_.pop_front();
      ++moved;
    }
    if (moved > 0) room_.notify_all();
    return moved;
  }

  void close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    available_.notify_all();
    room_.notify_all();
  }

  bool closed() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return closed_;
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_.size();
  }
  // Pushes refused because the queue was full or closed.
  uint64_t refused() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return refused_;
  }

 private:
  bool has_room_locked(size_t cost_bytes) const {
    return events_.size() < events_max_ && cost_bytes <= bytes_max_ - std::min(bytes_, bytes_max_);
  }
  void push_locked(T event, size_t cost_bytes) {
    const bool was_empty = events_.empty();
    events_.emplace_back(std::move(event), cost_bytes);
    bytes_ += cost_bytes;
    if (was_empty) available_.notify_one();
  }

  const size_t events_max_;
  const size_t bytes_max_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::condition_variable room_;
  std::deque<std::pair<T, size_t>> events_;
  size_t bytes_ = 0;
  uint64_t refused_ = 0;
  bool closed_ = false;
};

}  // namespace phalanx::node
