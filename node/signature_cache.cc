#include "node/signature_cache.h"

#include <algorithm>

namespace phalanx::node {

SignatureCache::SignatureCache(SignatureCacheOptions options) : entries_max_(options.entries_max) {
  PHALANX_ASSERT(options.entries_max >= 1);
  PHALANX_ASSERT(options.shards >= 1);
  // Every shard holds at least one entry, and the capacities add up to entries_max exactly.
  const size_t shard_count = std::min(options.shards, options.entries_max);
  shards_.reserve(shard_count);
  for (size_t i = 0; i < shard_count; ++i) {
    const size_t capacity =
        options.entries_max / shard_count + (i < options.entries_max % shard_count ? 1 : 0);
    shards_.push_back(std::make_unique<Shard>(capacity));
  }
}

SignatureCache::Shard& SignatureCache::shard_for(const Hash& tx_hash) const {
  // The hash is SHA-256 output: any 8 of its bytes are uniformly spread.
  uint64_t prefix = 0;
  for (size_t i = 0; i < 8; ++i) prefix = (prefix << 8) | tx_hash[i];
  return *shards_[prefix % shards_.size()];
}

std::optional<bool> SignatureCache::lookup_locked(Shard& shard, const Hash& tx_hash) {
  auto found = shard.index.find(tx_hash);
  if (found == shard.index.end()) return std::nullopt;
  shard.recency.splice(shard.recency.begin(), shard.recency, found->second);
  return found->second->second;
}

void SignatureCache::insert_locked(Shard& shard, const Hash& tx_hash, bool valid) {
  PHALANX_ASSERT(!shard.index.contains(tx_hash));
  shard.recency.emplace_front(tx_hash, valid);
  shard.index.emplace(tx_hash, shard.recency.begin());
  if (shard.index.size() > shard.capacity) {
    shard.index.erase(shard.recency.back().first);
    shard.recency.pop_back();
  }
  PHALANX_ASSERT(shard.index.size() == shard.recency.size());
  PHALANX_ASSERT(shard.index.size() <= shard.capacity);
}

bool SignatureCache::verify(const ledger::SignedTransaction& tx) {
  Shard& shard = shard_for(tx.hash);
  {
    std::unique_lock lock(shard.mutex);
    for (;;) {
      if (std::optional<bool> cached = lookup_locked(shard, tx.hash)) {
        hits_.fetch_add(1, std::memory_order_relaxed);
        return *cached;
      }
      if (!shard.pending.contains(tx.hash)) break;
      shard.settled.wait(lock);
    }
    shard.pending.insert(tx.hash);
  }
  // A hash that does not match the fields would poison the cache for the real transaction.
  // Re-hashing costs ~1% of the verify it guards.
  PHALANX_ASSERT_MSG(crypto::sha256(ledger::encode_transaction(tx.tx)) == tx.hash,
                     "SignedTransaction.hash does not match its fields");
  const bool valid = ledger::verify_transaction_signature(tx.tx);
  verifications_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(shard.mutex);
    shard.pending.erase(tx.hash);
    insert_locked(shard, tx.hash, valid);
  }
  shard.settled.notify_all();
  return valid;
}

std::optional<bool> SignatureCache::peek(const Hash& tx_hash) const {
  Shard& shard = shard_for(tx_hash);
  std::lock_guard lock(shard.mutex);
  auto found = shard.index.find(tx_hash);
  if (found == shard.index.end()) return std::nullopt;
  return found->second->second;
}

size_t SignatureCache::size() const {
  size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    total += shard->index.size();
  }
  return total;
}

}  // namespace phalanx::node
