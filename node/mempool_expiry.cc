// Expiry of transactions waiting behind a nonce gap (see "Expiry" in mempool.h). Each entry
// knows since when it waits (Entry::gapped_since_ms); the idle waiting ones are also in
// gapped_by_time_, oldest first, which is all expire_gapped() looks at.
//
// A tx's gap state changes only when a tx of its sender is inserted (it may fill the gap),
// when the sender's committed state changes (recheck_sender), or when an executable tx is
// erased alone (a commit erases the included txs before it re-reads their senders): those
// three places update it. A tx dropped uncommitted takes its later nonces with it, so the
// remaining ones keep their state.
#include <algorithm>

#include "node/mempool.h"

namespace phalanx::node {

void Mempool::set_gapped(Arrival arrival, bool gapped) {
  Entry& entry = entries_.at(arrival);
  if (entry.gapped_since_ms.has_value() == gapped) return;  // still waiting since then
  if (gapped) {
    entry.gapped_since_ms = clock_ms_;
    if (!entry.in_flight) gapped_by_time_.emplace(clock_ms_, arrival);
  } else {
    if (!entry.in_flight) gapped_by_time_.erase({*entry.gapped_since_ms, arrival});
    entry.gapped_since_ms.reset();
  }
}

// O(1 + the successors it frees): those were all waiting behind this nonce.
void Mempool::note_inserted_gap(Arrival arrival) {
  const Entry& entry = entries_.at(arrival);
  const Sender& sender = senders_.at(entry.sender);
  const uint64_t nonce = entry.tx.tx.nonce;
  bool executable_now = nonce == sender.account.nonce;
  if (!executable_now && nonce > sender.account.nonce) {
    auto predecessor = sender.by_nonce.find(nonce - 1);
    executable_now = predecessor != sender.by_nonce.end() &&
                     !entries_.at(predecessor->second).gapped_since_ms.has_value();
  }
  set_gapped(arrival, !executable_now);
  if (!executable_now) return;
  uint64_t expected = nonce + 1;
  for (auto it = sender.by_nonce.find(expected);
       it != sender.by_nonce.end() && it->first == expected; ++it, ++expected) {
    set_gapped(it->second, false);
  }
}

// O(the successors it marks): they were executable through this nonce.
void Mempool::note_erased_gap(const Sender& sender, uint64_t nonce) {
  uint64_t expected = nonce + 1;
  for (auto it = sender.by_nonce.find(expected);
       it != sender.by_nonce.end() && it->first == expected; ++it, ++expected) {
    set_gapped(it->second, true);
  }
}

// O(the sender's txs), like recheck_sender which calls it.
void Mempool::refresh_gaps(const Address& address) {
  auto found = senders_.find(address);
  if (found == senders_.end()) return;
  uint64_t expected = found->second.account.nonce;
  bool gap = false;
  for (const auto& [nonce, arrival] : found->second.by_nonce) {
    gap = gap || nonce != expected++;
    set_gapped(arrival, gap);
  }
}

std::vector<Hash> Mempool::expire_gapped(uint64_t now_ms) {
  if (!clock_started_) {
    clock_started_ = true;
    clock_start_ms_ = now_ms;
  }
  clock_ms_ = std::max(clock_ms_, now_ms);
  std::vector<DroppedTx> dropped;
  while (!gapped_by_time_.empty()) {
    const auto [stamp_ms, arrival] = *gapped_by_time_.begin();
    // Txs that started waiting before the first call count from the first call.
    const uint64_t since_ms = std::max(stamp_ms, clock_start_ms_);
    if (clock_ms_ - since_ms < options_.gapped_ttl_ms) break;
    // Its later nonces wait behind the same gap and leave with it (as for any tx that
    // leaves uncommitted); the reason is not reported, only the hashes.
    erase_with_dependents(arrival, AdmissionError::kNone, &dropped);
  }
  std::vector<Hash> hashes;
  hashes.reserve(dropped.size());
  for (const DroppedTx& tx : dropped) hashes.push_back(tx.hash);
  return hashes;
}

void Mempool::check_gap_invariants() const {
  size_t waiting_idle = 0;
  for (const auto& [address, sender] : senders_) {
    uint64_t expected = sender.account.nonce;
    bool gap = false;
    for (const auto& [nonce, arrival] : sender.by_nonce) {
      gap = gap || nonce != expected++;
      const Entry& entry = entries_.at(arrival);
      PHALANX_ASSERT(entry.gapped_since_ms.has_value() == gap);
      if (!gap) continue;
      PHALANX_ASSERT(*entry.gapped_since_ms <= clock_ms_);
      PHALANX_ASSERT(gapped_by_time_.contains({*entry.gapped_since_ms, arrival}) ==
                     !entry.in_flight);
      waiting_idle += !entry.in_flight;
    }
  }
  PHALANX_ASSERT(waiting_idle == gapped_by_time_.size());
}

}  // namespace phalanx::node
