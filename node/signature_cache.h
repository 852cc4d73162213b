// node::SignatureCache: the verified-signature cache. It owns the outcome (valid or not) of
// every transaction signature this node has checked, keyed by the transaction hash. The hash
// covers every byte of the transaction, signature included, so one hash has exactly one
// outcome and a transaction that arrives by RPC, again by gossip and again inside a proposal
// is verified once (MEASURED.md: a verify is ~94% of a transfer's CPU).
//
// Bounded: at most `entries_max` outcomes, split over `shards` LRU lists; the least recently
// used outcome of a full shard is forgotten, which costs a re-verification, never safety.
// Invalid outcomes are cached too, so a replayed bad transaction costs one lookup.
//
// Single flight: when several threads ask for the same uncached hash at once, one verifies
// and the others wait for its outcome, so concurrent arrivals still verify once.
//
// Thread-safety: every method may be called from any thread (one mutex per shard; counters
// are atomics).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ledger/transaction.h"

namespace phalanx::node {

using crypto::Hash;

struct SignatureCacheOptions {
  size_t entries_max = size_t{1} << 17;  // ~20 MB at the full bound
  size_t shards = 16;                    // lock stripes; at most entries_max are used
};

class SignatureCache {
 public:
  // REQUIRES: options.entries_max >= 1, options.shards >= 1.
  explicit SignatureCache(SignatureCacheOptions options = {});
  SignatureCache(const SignatureCache&) = delete;
  SignatureCache& operator=(const SignatureCache&) = delete;

  // True iff the signature of `tx` is valid, verifying it only if its hash has no cached
  // outcome. REQUIRES: tx.hash is the hash of tx's encoding (as parse_signed_transaction and
  // make_transfer produce; checked on every cache miss).
  bool verify(const ledger::SignedTransaction& tx);

  // The cached outcome, if any. Does not count as a hit and does not refresh recency.
  std::optional<bool> peek(const Hash& tx_hash) const;

  // Signature verifications performed (cache misses).
  uint64_t verifications() const { return verifications_.load(std::memory_order_relaxed); }
  // Calls answered from the cache, including those that waited for another thread's verify.
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  // Outcomes currently cached.
  size_t size() const;
  size_t entries_max() const { return entries_max_; }

 private:
  struct Shard {
    explicit Shard(size_t capacity_) : capacity(capacity_) {}
    size_t capacity;
    mutable std::mutex mutex;
    std::condition_variable settled;  // a pending verification finished
    // Most recently used first; `index` points into it.
    std::list<std::pair<Hash, bool>> recency;
    std::unordered_map<Hash, std::list<std::pair<Hash, bool>>::iterator, crypto::HashHasher>
        index;
    std::unordered_set<Hash, crypto::HashHasher> pending;  // being verified by a thread now
  };

  Shard& shard_for(const Hash& tx_hash) const;
  // REQUIRES: shard.mutex held.
  static std::optional<bool> lookup_locked(Shard& shard, const Hash& tx_hash);
  static void insert_locked(Shard& shard, const Hash& tx_hash, bool valid);

  size_t entries_max_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<uint64_t> verifications_{0};
  std::atomic<uint64_t> hits_{0};
};

}  // namespace phalanx::node
