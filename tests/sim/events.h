// The simulation's clock and agenda: a priority queue of timed events. Ties at one
// millisecond are broken by insertion order, so the run is a pure function of the seed.
// Thread-safety: none; owned by one simulation.
#pragma once

#include <cstdint>
#include <memory>
#include <queue>
#include <vector>

#include "consensus/types.h"
#include "crypto/assert.h"

namespace phalanx::sim {

enum class EventKind : uint8_t {
  kDeliver,        // node <- peer: the encoded message in `wire`
  kTick,           // node's periodic tick (stale when `incarnation` is old)
  kValidated,      // node's answer to a ValidationRequest
  kClientSubmit,   // a client signs and submits the next transfer
  kClientRetry,    // clients hand not-yet-proposed txs to the primary again
  kCrash,          // arm a crash on a random eligible replica
  kCrashDeadline,  // the armed crash of `node` fires now if it has not yet
  kRestart,        // node comes back from its durable state
  kPartition,      // cut a set of links
  kHeal,           // restore every link
  kFaultsEnd,      // the final phase: heal everything, restart everyone, stop faults
};

struct Event {
  uint64_t time_ms = 0;
  uint64_t sequence = 0;
  EventKind kind = EventKind::kTick;
  uint32_t node = 0;
  uint32_t peer = 0;
  uint64_t incarnation = 0;
  std::shared_ptr<const Bytes> wire;  // kDeliver
  uint64_t height = 0;                // kValidated
  crypto::Hash digest{};              // kValidated
  bool valid = false;                 // kValidated
};

class EventQueue {
 public:
  // Bounds memory on a runaway run (a retransmission storm shows up as a failure).
  static constexpr size_t kEventsMax = 2'000'000;
  // What handling one event may schedule at most (a Ready's messages times peers times
  // duplication, with room to spare).
  static constexpr size_t kFanOutMax = 200'000;

  uint64_t now_ms() const { return now_ms_; }
  bool empty() const { return queue_.empty(); }
  size_t size() const { return queue_.size(); }
  // True when handling one more event might overflow the queue.
  bool nearly_full() const { return queue_.size() + kFanOutMax > kEventsMax; }

  // REQUIRES: fewer than kEventsMax events pending.
  void schedule(uint64_t delay_ms, Event event) {
    PHALANX_ASSERT(queue_.size() < kEventsMax);
    event.time_ms = now_ms_ + delay_ms;
    event.sequence = next_sequence_++;
    queue_.push(std::move(event));
  }
  // Removes the earliest event and advances the clock to it. REQUIRES: !empty().
  Event pop() {
    PHALANX_ASSERT(!queue_.empty());
    Event event = queue_.top();
    queue_.pop();
    PHALANX_ASSERT(event.time_ms >= now_ms_);
    now_ms_ = event.time_ms;
    return event;
  }
  uint64_t next_time_ms() const { return queue_.top().time_ms; }

 private:
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time_ms != b.time_ms ? a.time_ms > b.time_ms : a.sequence > b.sequence;
    }
  };
  std::priority_queue<Event, std::vector<Event>, Later> queue_;
  uint64_t now_ms_ = 0;
  uint64_t next_sequence_ = 0;
};

}  // namespace phalanx::sim
