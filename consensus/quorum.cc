#include "consensus/quorum.h"

namespace phalanx::consensus {

uint32_t quorum_size(const Config& config) {
  if (config.mutations.quorum_2f) return 2 * config.f();
  return config.quorum();
}

VoteTally::Outcome VoteTally::add(uint64_t view, uint64_t height, uint32_t sender,
                                  const Hash& digest, const Signature& signature) {
  auto& slot = votes_[{height, view}];
  auto [it, inserted] = slot.try_emplace(sender, Vote{digest, signature});
  if (inserted) return Outcome::kAdded;
  return it->second.digest == digest ? Outcome::kDuplicate : Outcome::kConflict;
}

bool VoteTally::holds(uint64_t view, uint64_t height, uint32_t sender, const Hash& digest,
                      const Signature& signature) const {
  auto slot = votes_.find({height, view});
  if (slot == votes_.end()) return false;
  auto vote = slot->second.find(sender);
  return vote != slot->second.end() && vote->second.digest == digest &&
         vote->second.signature == signature;
}

bool VoteTally::has_vote_from(uint64_t view, uint64_t height, uint32_t sender) const {
  auto slot = votes_.find({height, view});
  return slot != votes_.end() && slot->second.contains(sender);
}

uint32_t VoteTally::count(uint64_t view, uint64_t height, const Hash& digest,
                          std::optional<uint32_t> excluded) const {
  auto slot = votes_.find({height, view});
  if (slot == votes_.end()) return 0;
  uint32_t matching = 0;
  for (const auto& [sender, vote] : slot->second) {
    if (vote.digest == digest && sender != excluded) ++matching;
  }
  return matching;
}

std::vector<ValidatorSignature> VoteTally::signatures(uint64_t view, uint64_t height,
                                                      const Hash& digest, uint32_t limit,
                                                      std::optional<uint32_t> excluded) const {
  std::vector<ValidatorSignature> out;
  auto slot = votes_.find({height, view});
  if (slot == votes_.end()) return out;
  for (const auto& [sender, vote] : slot->second) {
    if (out.size() == limit) break;
    if (vote.digest == digest && sender != excluded) out.push_back({sender, vote.signature});
  }
  return out;
}

void VoteTally::erase_through(uint64_t height) {
  votes_.erase(votes_.begin(), votes_.lower_bound({height + 1, 0}));
}

void VoteTally::erase_views_below(uint64_t view) {
  std::erase_if(votes_, [view](const auto& item) { return item.first.second < view; });
}

}  // namespace phalanx::consensus
