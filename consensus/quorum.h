// Quorum sizes and vote tallies.
//
// A quorum is ceil((n+f+1)/2) so any two quorums intersect in at least one honest replica
// for every n >= 3f+1 (it equals PBFT's 2f+1 when n = 3f+1). VoteTally holds one kind of
// vote (PREPARE or COMMIT) per (view, height): at most one vote per sender, so a repeated
// vote never counts twice and a sender that votes for two digests keeps its first (PBFT
// §4.2 counts distinct replicas).
// Thread-safety: none; owned by one Replica.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "consensus/records.h"
#include "consensus/types.h"

namespace phalanx::consensus {

// config.quorum(), or 2f under mutations.quorum_2f (a deliberate bug the simulator must catch).
uint32_t quorum_size(const Config& config);

class VoteTally {
 public:
  enum class Outcome : uint8_t {
    kAdded,
    kDuplicate,  // the sender already voted for this digest
    kConflict,   // the sender already voted for another digest; ignored
  };

  Outcome add(uint64_t view, uint64_t height, uint32_t sender, const Hash& digest,
              const Signature& signature);
  // True when exactly this vote (same digest and signature bytes) is already held, so it
  // can be recognised without verifying its signature again.
  bool holds(uint64_t view, uint64_t height, uint32_t sender, const Hash& digest,
             const Signature& signature) const;
  bool has_vote_from(uint64_t view, uint64_t height, uint32_t sender) const;
  // Votes for (view, height, digest), not counting `excluded` (the primary for PREPAREs).
  uint32_t count(uint64_t view, uint64_t height, const Hash& digest,
                 std::optional<uint32_t> excluded = std::nullopt) const;
  // Up to `limit` matching votes, by increasing validator index.
  std::vector<ValidatorSignature> signatures(uint64_t view, uint64_t height, const Hash& digest,
                                             uint32_t limit,
                                             std::optional<uint32_t> excluded = std::nullopt) const;
  // Discards every vote at heights <= height (garbage collection, PBFT §4.3).
  void erase_through(uint64_t height);
  // Discards every vote from views below `view` (a new view began, PBFT §4.4).
  void erase_views_below(uint64_t view);
  size_t slots() const { return votes_.size(); }

 private:
  struct Vote {
    Hash digest{};
    Signature signature{};
  };
  using Slot = std::pair<uint64_t, uint64_t>;  // (height, view): height first for GC
  std::map<Slot, std::map<uint32_t, Vote>> votes_;
};

}  // namespace phalanx::consensus
