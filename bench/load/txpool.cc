#include "bench/load/txpool.h"

#include <algorithm>
#include <cstring>
#include <thread>

#include "ledger/transaction.h"

namespace phalanx::bench {
namespace {

// SplitMix64: the recipient of transfer j is a pure function of (seed, j), so the pool can
// be signed in parallel and is the same on every run with the same seed.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

ledger::SignedTransaction make(const TransferPlan& plan, size_t j) {
  const size_t senders = plan.senders->size();
  const size_t sender = j % senders;
  const uint64_t nonce = plan.base_nonces[sender] + j / senders;
  const size_t accounts = plan.recipients->size();
  size_t recipient = mix(plan.seed ^ mix(j)) % accounts;
  if (recipient == sender) recipient = (recipient + 1) % accounts;
  return ledger::make_transfer((*plan.senders)[sender], plan.chain_id,
                               (*plan.recipients)[recipient], 1, plan.fee, nonce);
}

}  // namespace

size_t HashKey::operator()(const crypto::Hash& hash) const {
  size_t key;
  std::memcpy(&key, hash.data(), sizeof key);
  return key;
}

TxPool::TxPool(size_t count)
    : hashes_(count),
      first_sent_ns_(new std::atomic<int64_t>[count]),
      last_sent_ns_(new std::atomic<int64_t>[count]),
      committed_ns_(new std::atomic<int64_t>[count]),
      sent_to_(new std::atomic<uint32_t>[count]),
      state_(new std::atomic<uint8_t>[count]),
      resends_(new std::atomic<uint8_t>[count]) {
  for (size_t i = 0; i < count; ++i) {
    first_sent_ns_[i] = kNever;
    last_sent_ns_[i] = kNever;
    committed_ns_[i] = kNever;
    sent_to_[i] = 0;
    state_[i] = kUnanswered;
    resends_[i] = 0;
  }
}

std::unique_ptr<TxPool> TxPool::build(const TransferPlan& plan) {
  PHALANX_ASSERT(plan.senders != nullptr && !plan.senders->empty());
  PHALANX_ASSERT(plan.recipients != nullptr && plan.recipients->size() >= 2);
  PHALANX_ASSERT(plan.base_nonces.size() == plan.senders->size() && plan.count > 0);
  std::unique_ptr<TxPool> pool(new TxPool(plan.count));
  pool->tx_bytes_ = make(plan, 0).bytes.size();
  pool->bytes_.resize(plan.count * pool->tx_bytes_);
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (size_t j = t; j < plan.count; j += threads) {
        const ledger::SignedTransaction tx = make(plan, j);
        PHALANX_ASSERT(tx.bytes.size() == pool->tx_bytes_);
        std::copy(tx.bytes.begin(), tx.bytes.end(), pool->bytes_.begin() + j * pool->tx_bytes_);
        pool->hashes_[j] = tx.hash;
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  pool->index_.reserve(plan.count);
  for (size_t j = 0; j < plan.count; ++j) pool->index_.emplace(pool->hashes_[j], j);
  return pool;
}

void TxPool::append_hex(size_t index, std::string* out) const {
  static constexpr char kDigits[] = "0123456789abcdef";
  const uint8_t* begin = bytes_.data() + index * tx_bytes_;
  for (size_t i = 0; i < tx_bytes_; ++i) {
    out->push_back(kDigits[begin[i] >> 4]);
    out->push_back(kDigits[begin[i] & 15]);
  }
}

std::optional<size_t> TxPool::index_of(const crypto::Hash& hash) const {
  const auto found = index_.find(hash);
  if (found == index_.end()) return std::nullopt;
  return found->second;
}

}  // namespace phalanx::bench
