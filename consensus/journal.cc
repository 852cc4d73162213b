#include "consensus/journal.h"

#include <utility>

namespace phalanx::consensus {

void Journal::put_at(uint64_t height, std::string key, Bytes value) {
  keys_by_height_[height].insert(key);
  pending_.push_back({PersistOp::Type::kPut, std::move(key), std::move(value)});
}

void Journal::put(std::string key, Bytes value) {
  pending_.push_back({PersistOp::Type::kPut, std::move(key), std::move(value)});
}

void Journal::track(uint64_t height, std::string key) {
  keys_by_height_[height].insert(std::move(key));
}

void Journal::erase_through(uint64_t height) {
  auto end = keys_by_height_.upper_bound(height);
  for (auto it = keys_by_height_.begin(); it != end; ++it) {
    for (const std::string& key : it->second) {
      pending_.push_back({PersistOp::Type::kErase, key, {}});
    }
  }
  keys_by_height_.erase(keys_by_height_.begin(), end);
}

std::vector<PersistOp> Journal::take_pending() {
  std::vector<PersistOp> out = std::move(pending_);
  pending_.clear();
  return out;
}

size_t Journal::live_keys() const {
  size_t count = 0;
  for (const auto& [height, keys] : keys_by_height_) count += keys.size();
  return count;
}

}  // namespace phalanx::consensus
