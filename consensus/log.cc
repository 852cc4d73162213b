#include "consensus/log.h"

#include <algorithm>
#include <utility>

namespace phalanx::consensus {

namespace {

bool in_flight(const Entry& entry) { return !entry.rejected && !entry.output && entry.block; }

}  // namespace

std::vector<Hash> sorted_tx_hashes(const ledger::Block& block) {
  std::vector<Hash> hashes;
  hashes.reserve(block.transactions.size());
  for (const auto& tx : block.transactions) hashes.push_back(tx.hash);
  std::sort(hashes.begin(), hashes.end());
  return hashes;
}

Entry make_entry(Message pre_prepare, std::shared_ptr<const ledger::Block> block) {
  PHALANX_ASSERT(pre_prepare.kind == MessageKind::kPrePrepare && block != nullptr);
  Entry entry;
  entry.view = pre_prepare.view;
  entry.digest = pre_prepare.digest;
  entry.header = block->header;
  entry.tx_hashes_sorted = sorted_tx_hashes(*block);
  entry.block = std::move(block);
  entry.pre_prepare = std::move(pre_prepare);
  return entry;
}

Entry* Log::find(uint64_t height) {
  auto it = entries_.find(height);
  return it == entries_.end() ? nullptr : &it->second;
}

const Entry* Log::find(uint64_t height) const {
  auto it = entries_.find(height);
  return it == entries_.end() ? nullptr : &it->second;
}

Entry& Log::insert(uint64_t height, Entry entry) {
  PHALANX_ASSERT(in_window(height));
  auto [it, inserted] = entries_.emplace(height, std::move(entry));
  PHALANX_ASSERT(inserted);
  PHALANX_ASSERT(entries_.size() <= window_);
  return it->second;
}

void Log::collect_garbage(uint64_t stable) {
  PHALANX_ASSERT(stable >= stable_);
  stable_ = stable;
  entries_.erase(entries_.begin(), entries_.upper_bound(stable));
  prepares_.erase_through(stable);
  commits_.erase_through(stable);
}

bool Log::has_duplicate_tx(uint64_t height, const Entry& entry) const {
  const auto& hashes = entry.tx_hashes_sorted;
  if (std::adjacent_find(hashes.begin(), hashes.end()) != hashes.end()) return true;
  for (const auto& [other_height, other] : entries_) {
    if (other_height >= height) break;
    // Committed blocks count too: a backup may check this proposal only after a lower
    // height that held the same tx was output, and the proposer built it on the state of
    // height - W, which does not show that tx yet.
    if (!in_flight(other) && !(other.output && !other.rejected)) continue;
    for (const Hash& hash : hashes) {
      if (std::binary_search(other.tx_hashes_sorted.begin(), other.tx_hashes_sorted.end(), hash)) {
        return true;
      }
    }
  }
  return false;
}

bool Log::tx_in_flight(const Hash& tx_hash) const {
  for (const auto& [height, entry] : entries_) {
    if (in_flight(entry) &&
        std::binary_search(entry.tx_hashes_sorted.begin(), entry.tx_hashes_sorted.end(), tx_hash)) {
      return true;
    }
  }
  return false;
}

void Log::check_invariants() const {
  PHALANX_ASSERT(entries_.size() <= window_);
  if (!entries_.empty()) {
    PHALANX_ASSERT(in_window(entries_.begin()->first));
    PHALANX_ASSERT(in_window(entries_.rbegin()->first));
  }
  // Votes are kept only for the current view and heights inside the window.
  PHALANX_ASSERT(prepares_.slots() <= window_);
  PHALANX_ASSERT(commits_.slots() <= window_);
}

}  // namespace phalanx::consensus
