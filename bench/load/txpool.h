// The pre-signed transfers of one run and what happened to each: when it was first sent,
// when the watcher saw it in a block. Built before the measured window (signing is not
// part of what is measured); afterwards the bytes and the hash index are read-only and the
// per-transaction times are atomics that any thread may set.
//
// Order: transaction j is sender j mod K's (base nonce + j / K), so any prefix of the pool
// holds each sender's nonces without gaps, and consecutive batches interleave all senders.
// Thread-safety: build() on one thread; then const methods and the atomics from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "crypto/address.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"

namespace phalanx::bench {

constexpr int64_t kNever = -1;

// What the nodes said of a transfer.
enum TxState : uint8_t {
  kUnanswered = 0,  // not sent, or no answer (the node failed)
  kAccepted = 1,    // a node took it
  kRetry = 2,       // refused for now: busy, mempool full, rate limited, nonce too far ahead
  kRefused = 3,     // refused for good (bad signature, nonce used, ...)
};

struct TransferPlan {
  std::string chain_id;
  const std::vector<crypto::SecretKey>* senders = nullptr;
  std::vector<uint64_t> base_nonces;  // one per sender
  const std::vector<crypto::Address>* recipients = nullptr;
  uint64_t fee = 1;
  uint64_t seed = 1;
  size_t count = 0;
};

struct HashKey {
  size_t operator()(const crypto::Hash& hash) const;
};

class TxPool {
 public:
  // Signs plan.count transfers on every core.
  static std::unique_ptr<TxPool> build(const TransferPlan& plan);

  size_t size() const { return hashes_.size(); }
  const crypto::Hash& hash(size_t index) const { return hashes_[index]; }
  // The hex of transaction `index`, appended to `out`.
  void append_hex(size_t index, std::string* out) const;
  std::optional<size_t> index_of(const crypto::Hash& hash) const;

  // Steady-clock nanoseconds since the run's start; kNever until set.
  std::atomic<int64_t>& first_sent_ns(size_t index) { return first_sent_ns_[index]; }
  std::atomic<int64_t>& last_sent_ns(size_t index) { return last_sent_ns_[index]; }
  std::atomic<int64_t>& committed_ns(size_t index) { return committed_ns_[index]; }
  // The node it was last sent to.
  std::atomic<uint32_t>& sent_to(size_t index) { return sent_to_[index]; }
  // What the nodes answered (TxState), and how often it was resent.
  std::atomic<uint8_t>& state(size_t index) { return state_[index]; }
  std::atomic<uint8_t>& resends(size_t index) { return resends_[index]; }

 private:
  explicit TxPool(size_t count);

  size_t tx_bytes_ = 0;  // every transfer of a chain has the same length
  std::vector<uint8_t> bytes_;
  std::vector<crypto::Hash> hashes_;
  std::unordered_map<crypto::Hash, uint32_t, HashKey> index_;
  std::unique_ptr<std::atomic<int64_t>[]> first_sent_ns_;
  std::unique_ptr<std::atomic<int64_t>[]> last_sent_ns_;
  std::unique_ptr<std::atomic<int64_t>[]> committed_ns_;
  std::unique_ptr<std::atomic<uint32_t>[]> sent_to_;
  std::unique_ptr<std::atomic<uint8_t>[]> state_;
  std::unique_ptr<std::atomic<uint8_t>[]> resends_;
};

}  // namespace phalanx::bench
