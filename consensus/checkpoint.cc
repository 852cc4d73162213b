#include "consensus/checkpoint.h"

#include <utility>

namespace phalanx::consensus {

CheckpointTracker::Outcome CheckpointTracker::add(const Message& message) {
  PHALANX_ASSERT(message.kind == MessageKind::kCheckpoint);
  if (message.height % interval_ != 0) return Outcome::kNotAtInterval;
  if (message.height <= stable_) return Outcome::kBelowStable;
  if (message.height <= stable_ + window_) return add_in_window(message);
  auto [it, inserted] = far_.try_emplace(message.from, message);
  if (!inserted) {
    if (message.height < it->second.height) return Outcome::kDuplicate;
    if (message.height == it->second.height) {
      const bool same =
          it->second.digest == message.digest && it->second.state_root == message.state_root;
      return same ? Outcome::kDuplicate : Outcome::kConflict;
    }
    it->second = message;
  }
  return Outcome::kAboveWindow;
}

CheckpointTracker::Outcome CheckpointTracker::add_in_window(const Message& message) {
  auto& at_height = votes_[message.height];
  auto [it, inserted] = at_height.try_emplace(
      message.from, Vote{message.digest, message.state_root, message.signature});
  if (inserted) return Outcome::kAdded;
  const bool same =
      it->second.block_hash == message.digest && it->second.state_root == message.state_root;
  return same ? Outcome::kDuplicate : Outcome::kConflict;
}

bool CheckpointTracker::holds(const Message& message) const {
  auto far = far_.find(message.from);
  if (far != far_.end() && far->second.height == message.height &&
      far->second.signature == message.signature && far->second.digest == message.digest &&
      far->second.state_root == message.state_root) {
    return true;
  }
  auto at_height = votes_.find(message.height);
  if (at_height == votes_.end()) return false;
  auto vote = at_height->second.find(message.from);
  return vote != at_height->second.end() && vote->second.signature == message.signature &&
         vote->second.block_hash == message.digest && vote->second.state_root == message.state_root;
}

void CheckpointTracker::add_own(const Message& message) {
  PHALANX_ASSERT(message.kind == MessageKind::kCheckpoint);
  PHALANX_ASSERT(message.height > stable_ && message.height <= stable_ + window_);
  const Outcome outcome = add_in_window(message);
  PHALANX_ASSERT(outcome != Outcome::kConflict);
  if (!own_latest_ || own_latest_->height < message.height) own_latest_ = message;
}

std::optional<CheckpointProof> CheckpointTracker::find_stable(uint32_t self,
                                                              uint32_t quorum) const {
  for (auto it = votes_.rbegin(); it != votes_.rend(); ++it) {
    auto own = it->second.find(self);
    if (own == it->second.end()) continue;
    CheckpointProof proof{it->first, own->second.block_hash, own->second.state_root, {}};
    for (const auto& [sender, vote] : it->second) {
      if (proof.signatures.size() == quorum) break;
      if (vote.block_hash == proof.block_hash && vote.state_root == proof.state_root) {
        proof.signatures.push_back({sender, vote.signature});
      }
    }
    if (proof.signatures.size() == quorum) return proof;
  }
  return std::nullopt;
}

void CheckpointTracker::collect_garbage(uint64_t stable) {
  PHALANX_ASSERT(stable >= stable_);
  stable_ = stable;
  votes_.erase(votes_.begin(), votes_.upper_bound(stable));
  for (auto it = far_.begin(); it != far_.end();) {
    const Message& far = it->second;
    if (far.height <= stable_) {
      it = far_.erase(it);
    } else if (far.height <= stable_ + window_) {
      add_in_window(far);
      it = far_.erase(it);
    } else {
      ++it;
    }
  }
}

void CheckpointTracker::check_invariants() const {
  PHALANX_ASSERT(votes_.size() <= window_ / interval_ + 1);
  if (!votes_.empty()) {
    PHALANX_ASSERT(votes_.begin()->first > stable_);
    PHALANX_ASSERT(votes_.rbegin()->first <= stable_ + window_);
  }
  for (const auto& [sender, message] : far_) PHALANX_ASSERT(message.height > stable_ + window_);
}

}  // namespace phalanx::consensus
