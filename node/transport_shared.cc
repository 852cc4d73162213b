// The outbound queue and wake-up (see transport_shared.h for the protocol).
#include "node/transport_shared.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace phalanx::node {

TransportCounters AtomicCounters::snapshot() const {
  TransportCounters out;
  out.frames_sent = frames_sent.load(std::memory_order_relaxed);
  out.frames_received = frames_received.load(std::memory_order_relaxed);
  out.frames_dropped_queue_full = frames_dropped_queue_full.load(std::memory_order_relaxed);
  out.frames_dropped_unavailable = frames_dropped_unavailable.load(std::memory_order_relaxed);
  out.frames_rejected_oversize = frames_rejected_oversize.load(std::memory_order_relaxed);
  out.frames_dropped_oversize = frames_dropped_oversize.load(std::memory_order_relaxed);
  out.frames_dropped_malformed = frames_dropped_malformed.load(std::memory_order_relaxed);
  out.connections_admitted = connections_admitted.load(std::memory_order_relaxed);
  out.connections_refused = connections_refused.load(std::memory_order_relaxed);
  out.handshakes_failed = handshakes_failed.load(std::memory_order_relaxed);
  return out;
}

TransportShared::TransportShared(size_t validators, size_t queue_frames_max, size_t queue_bytes_max)
    : queue_frames_max_(queue_frames_max),
      queue_bytes_max_(queue_bytes_max),
      connected_(new std::atomic<bool>[validators]),
      links_up_(new std::atomic<uint64_t>[validators]),
      validators_(validators) {
  for (size_t i = 0; i < validators; ++i) {
    connected_[i].store(false);
    links_up_[i].store(0);
  }
}

TransportShared::~TransportShared() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Status TransportShared::open() {
  PHALANX_ASSERT(wake_fd_ < 0);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    return Status::error(std::string("transport: creating the wake-up eventfd: ") +
                         std::strerror(errno));
  }
  closed_.store(false, std::memory_order_release);
  return Status::ok();
}

TransportShared::Push TransportShared::push(OutboundFrame frame) {
  bool was_empty = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_.load(std::memory_order_acquire)) return Push::kClosed;
    const size_t bytes = frame.frame->size();
    if (queue_.size() >= queue_frames_max_ || bytes > queue_bytes_max_ - queue_bytes_) {
      return Push::kFull;
    }
    was_empty = queue_.empty();
    queue_bytes_ += bytes;
    queue_.push_back(std::move(frame));
  }
  if (was_empty) wake();
  return Push::kQueued;
}

void TransportShared::close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_.load(std::memory_order_acquire)) return;
    closed_.store(true, std::memory_order_release);
  }
  wake();
}

void TransportShared::wake() {
  const uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the I/O thread is woken anyway.
  ssize_t written = ::write(wake_fd_, &one, sizeof(one));
  PHALANX_ASSERT_MSG(written == static_cast<ssize_t>(sizeof(one)) || errno == EAGAIN,
                     "eventfd write failed");
}

void TransportShared::consume_wake() {
  uint64_t value = 0;
  ssize_t read = ::read(wake_fd_, &value, sizeof(value));
  PHALANX_ASSERT_MSG(read == static_cast<ssize_t>(sizeof(value)) || errno == EAGAIN,
                     "eventfd read failed");
}

std::deque<OutboundFrame> TransportShared::take() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::deque<OutboundFrame> out;
  out.swap(queue_);
  queue_bytes_ = 0;
  return out;
}

void TransportShared::set_connected(uint32_t validator, bool connected) {
  PHALANX_ASSERT(validator < validators_);
  connected_[validator].store(connected, std::memory_order_relaxed);
  if (connected) links_up_[validator].fetch_add(1, std::memory_order_relaxed);
}

uint64_t TransportShared::links_up(uint32_t validator) const {
  PHALANX_ASSERT(validator < validators_);
  return links_up_[validator].load(std::memory_order_relaxed);
}

bool TransportShared::connected(uint32_t validator) const {
  PHALANX_ASSERT(validator < validators_);
  return connected_[validator].load(std::memory_order_relaxed);
}

uint32_t TransportShared::connected_count() const {
  uint32_t count = 0;
  for (size_t i = 0; i < validators_; ++i) count += connected(static_cast<uint32_t>(i)) ? 1 : 0;
  return count;
}

}  // namespace phalanx::node
