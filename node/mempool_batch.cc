// Block building, in-flight marks, commits and gossip. Admission: mempool.cc.
#include <algorithm>
#include <optional>

#include "node/mempool.h"

namespace phalanx::node {

struct Mempool::BatchBuilder {
  size_t txs_max = 0;
  size_t bytes_max = 0;
  size_t bytes = 0;
  std::vector<ledger::SignedTransaction> txs;
  // Per sender in the batch: one past its last tx.
  std::unordered_map<Address, uint64_t, crypto::AddressHasher> next_nonce;
};

// Only the sender's next committed nonce (executed, or in a block consensus committed:
// mark_committed), or the successor of its last tx in this batch. Never the successor of a tx
// in another uncommitted block: a view change can drop that block and keep this one (PBFT
// fills an unprepared height with a null block), and the tx would then execute before its
// predecessor, fail for the nonce gap, consume its hash and wedge every later nonce of the
// sender.
bool Mempool::eligible(const Entry& entry, const BatchBuilder& builder) const {
  const uint64_t nonce = entry.tx.tx.nonce;
  const Sender& sender = senders_.at(entry.sender);
  if (nonce == std::max(sender.account.nonce, sender.committed_next)) return true;
  auto in_batch = builder.next_nonce.find(entry.sender);
  return in_batch != builder.next_nonce.end() && in_batch->second == nonce;
}

bool Mempool::take_one(Arrival arrival, BatchBuilder* builder) {
  const Entry& entry = entries_.at(arrival);
  const size_t tx_bytes = entry.tx.bytes.size();
  if (builder->txs.size() >= builder->txs_max || builder->bytes + tx_bytes > builder->bytes_max) {
    return false;
  }
  builder->txs.push_back(entry.tx);
  builder->bytes += tx_bytes;
  builder->next_nonce[entry.sender] = entry.tx.tx.nonce + 1;
  set_in_flight(arrival, true);
  return true;
}

bool Mempool::take_earlier_successors(Arrival arrival, BatchBuilder* builder) {
  const Entry& entry = entries_.at(arrival);
  const Sender& sender = senders_.at(entry.sender);
  uint64_t expected = entry.tx.tx.nonce + 1;
  for (auto it = sender.by_nonce.find(expected);
       it != sender.by_nonce.end() && it->first == expected; ++it, ++expected) {
    // A later arrival is still ahead of the scan, which takes it (and its successors).
    if (it->second > arrival) return true;
    // In another uncommitted block: what follows it must wait for that block's commit.
    if (entries_.at(it->second).in_flight) return true;
    if (!take_one(it->second, builder)) return false;
  }
  return true;
}

std::vector<ledger::SignedTransaction> Mempool::take_batch(size_t txs_max, size_t bytes_max) {
  BatchBuilder builder;
  builder.txs_max = txs_max;
  builder.bytes_max = bytes_max;
  for (auto it = idle_.begin(); it != idle_.end() && builder.txs.size() < txs_max;) {
    // Taking a tx erases it (and only earlier arrivals) from idle_: advance first.
    const Arrival arrival = *it;
    ++it;
    if (!eligible(entries_.at(arrival), builder)) continue;
    // Every admitted tx carries this node's chain id, so all have the same size: the first
    // one that does not fit ends the batch.
    if (!take_one(arrival, &builder)) break;
    if (!take_earlier_successors(arrival, &builder)) break;
  }
  return std::move(builder.txs);
}

void Mempool::set_in_flight(Arrival arrival, bool in_flight) {
  Entry& entry = entries_.at(arrival);
  if (entry.in_flight == in_flight) return;
  entry.in_flight = in_flight;
  if (in_flight) {
    idle_.erase(arrival);
    eviction_.erase({entry.tx.tx.fee, arrival});
    // In a proposed block it is not waiting: it leaves the expiry order until released.
    if (entry.gapped_since_ms) gapped_by_time_.erase({*entry.gapped_since_ms, arrival});
  } else {
    idle_.insert(arrival);
    eviction_.emplace(entry.tx.tx.fee, arrival);
    if (entry.gapped_since_ms) gapped_by_time_.emplace(*entry.gapped_since_ms, arrival);
  }
}

void Mempool::mark_in_flight(std::span<const Hash> tx_hashes) {
  for (const Hash& hash : tx_hashes) {
    auto it = by_hash_.find(hash);
    if (it != by_hash_.end()) set_in_flight(it->second, true);
  }
}

void Mempool::mark_committed(std::span<const Hash> tx_hashes) {
  for (const Hash& hash : tx_hashes) {
    auto it = by_hash_.find(hash);
    if (it == by_hash_.end()) continue;
    set_in_flight(it->second, true);
    Entry& entry = entries_.at(it->second);
    entry.committed = true;
    uint64_t& next = senders_.at(entry.sender).committed_next;
    next = std::max(next, entry.tx.tx.nonce + 1);
  }
}

void Mempool::release_in_flight(std::span<const Hash> tx_hashes) {
  for (const Hash& hash : tx_hashes) {
    auto it = by_hash_.find(hash);
    if (it != by_hash_.end()) set_in_flight(it->second, false);
  }
}

void Mempool::release_all_in_flight() {
  for (auto& [arrival, entry] : entries_) {
    if (entry.in_flight) set_in_flight(arrival, false);
  }
}

Result<CommitReport> Mempool::on_block_committed(std::span<const Hash> included,
                                                 const ledger::AccountReader& accounts) {
  std::set<Address> everyone;
  for (const auto& [address, sender] : senders_) everyone.insert(address);
  return commit(included, std::move(everyone), accounts);
}

Result<CommitReport> Mempool::on_block_committed(std::span<const Hash> included,
                                                 std::span<const Address> changed_accounts,
                                                 const ledger::AccountReader& accounts) {
  return commit(included, std::set<Address>(changed_accounts.begin(), changed_accounts.end()),
                accounts);
}

Result<CommitReport> Mempool::commit(std::span<const Hash> included, std::set<Address> to_recheck,
                                     const ledger::AccountReader& accounts) {
  CommitReport report;
  for (const Hash& hash : included) {
    auto it = by_hash_.find(hash);
    if (it == by_hash_.end()) continue;
    to_recheck.insert(entries_.at(it->second).sender);
    // Its sender's gaps are refreshed below, against the new state (recheck_sender).
    erase(it->second, GapUpdate::kByCaller);
    ++report.included;
  }
  for (auto address = to_recheck.begin(); address != to_recheck.end(); ++address) {
    if (!senders_.contains(*address)) continue;
    Result<ledger::Account> account = read_account(*address, accounts);
    if (!account) {
      // The senders not re-read keep their old state; their gaps follow it.
      for (auto rest = address; rest != to_recheck.end(); ++rest) refresh_gaps(*rest);
      return account.status();
    }
    recheck_sender(*address, *account, &report.dropped);
  }
  return report;
}

void Mempool::recheck_sender(const Address& address, const ledger::Account& account,
                             std::vector<DroppedTx>* dropped) {
  auto found = senders_.find(address);
  if (found == senders_.end()) return;
  Sender& sender = found->second;
  const bool was_executable = executable(sender);
  sender.account = account;
  executable_senders_ = executable_senders_ + executable(sender) - was_executable;
  std::vector<Arrival> used;
  std::optional<Arrival> first_uncovered;
  uint64_t cost = 0;  // <= the previous balance (an invariant), so no overflow
  for (const auto& [nonce, arrival] : sender.by_nonce) {
    if (nonce < account.nonce) {
      used.push_back(arrival);
      continue;
    }
    cost += entries_.at(arrival).cost;
    if (cost > account.balance) {
      first_uncovered = arrival;
      break;
    }
  }
  // `sender` may be erased from here on. Its gaps are refreshed once, at the end.
  for (Arrival arrival : used) {
    dropped->push_back(DroppedTx{entries_.at(arrival).tx.hash, AdmissionError::kNonceUsed});
    erase(arrival, GapUpdate::kByCaller);
  }
  if (first_uncovered) {
    erase_with_dependents(*first_uncovered, AdmissionError::kInsufficientBalance, dropped);
  }
  // What is still marked committed sits in blocks the ledger has not executed yet.
  if (auto rest = senders_.find(address); rest != senders_.end()) {
    uint64_t next = 0;
    for (const auto& [nonce, arrival] : rest->second.by_nonce) {
      if (entries_.at(arrival).committed) next = nonce + 1;
    }
    rest->second.committed_next = next;
  }
  // A new committed nonce may have filled the gap some of the rest waited behind.
  refresh_gaps(address);
}

std::vector<ledger::SignedTransaction> Mempool::take_gossip_batch(size_t bytes_max) {
  std::vector<ledger::SignedTransaction> batch;
  size_t bytes = 0;
  for (auto it = gossip_.begin(); it != gossip_.end();) {
    const ledger::SignedTransaction& tx = entries_.at(*it).tx;
    if (bytes + tx.bytes.size() > bytes_max) break;
    batch.push_back(tx);
    bytes += tx.bytes.size();
    it = gossip_.erase(it);
  }
  return batch;
}

size_t Mempool::requeue_client_gossip() {
  size_t count = 0;
  for (const auto& [arrival, entry] : entries_) {
    if (entry.origin != TxOrigin::kClient) continue;
    gossip_.insert(arrival);
    ++count;
  }
  return count;
}

size_t Mempool::requeue_stale_heads() {
  size_t count = 0;
  for (const auto& [address, sender] : senders_) {
    if (!executable(sender)) continue;
    const Arrival arrival = sender.by_nonce.begin()->second;
    Entry& entry = entries_.at(arrival);
    if (entry.origin != TxOrigin::kClient || entry.in_flight) continue;
    if (entry.stale_head) count += gossip_.insert(arrival).second;
    entry.stale_head = true;
  }
  return count;
}

void Mempool::check_invariants() const {
  PHALANX_ASSERT(entries_.size() <= options_.txs_max);
  PHALANX_ASSERT(bytes_ <= options_.bytes_max);
  PHALANX_ASSERT(by_hash_.size() == entries_.size());
  PHALANX_ASSERT(eviction_.size() == idle_.size());
  size_t bytes = 0;
  size_t by_nonce_total = 0;
  size_t executable_senders = 0;
  for (const auto& [arrival, entry] : entries_) {
    bytes += entry.tx.bytes.size();
    PHALANX_ASSERT(arrival < next_arrival_);
    PHALANX_ASSERT(by_hash_.at(entry.tx.hash) == arrival);
    PHALANX_ASSERT(entry.cost == entry.tx.tx.amount + entry.tx.tx.fee);
    PHALANX_ASSERT(idle_.contains(arrival) == !entry.in_flight);
    PHALANX_ASSERT(eviction_.contains({entry.tx.tx.fee, arrival}) == !entry.in_flight);
    const Sender& sender = senders_.at(entry.sender);
    PHALANX_ASSERT(sender.by_nonce.at(entry.tx.tx.nonce) == arrival);
    PHALANX_ASSERT(entry.tx.tx.nonce >= sender.account.nonce);
    PHALANX_ASSERT(entry.tx.tx.nonce - sender.account.nonce <= options_.nonce_gap_max);
  }
  for (const auto& [address, sender] : senders_) {
    PHALANX_ASSERT(!sender.by_nonce.empty());
    PHALANX_ASSERT(sender.by_nonce.size() <= options_.sender_txs_max);
    uint64_t cost = 0;
    for (const auto& [nonce, arrival] : sender.by_nonce) cost += entries_.at(arrival).cost;
    PHALANX_ASSERT(cost == sender.cost);
    PHALANX_ASSERT(cost <= sender.account.balance);
    by_nonce_total += sender.by_nonce.size();
    executable_senders += executable(sender);
  }
  PHALANX_ASSERT(executable_senders == executable_senders_);
  PHALANX_ASSERT(by_nonce_total == entries_.size());
  PHALANX_ASSERT(bytes == bytes_);
  for (Arrival arrival : gossip_) PHALANX_ASSERT(entries_.contains(arrival));
  check_gap_invariants();
}

}  // namespace phalanx::node
