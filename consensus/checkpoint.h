// consensus::CheckpointTracker: CHECKPOINT votes and stability (PBFT §4.3).
//
// Every K heights each replica signs CHECKPOINT(h, block hash, state root) after executing
// h. A checkpoint is stable once q replicas signed matching ones; this replica also requires
// its own matching vote, because without state transfer it can only discard the
// log below a state it has itself reached. Votes are kept for multiples of K inside
// (stable, stable + L]; above the window only the highest per sender is kept (so a replica
// that lags can still learn how far the others got, in bounded memory); at or below stable
// they are ignored.
// Thread-safety: none; owned by one Replica.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "consensus/records.h"
#include "consensus/types.h"

namespace phalanx::consensus {

class CheckpointTracker {
 public:
  enum class Outcome : uint8_t {
    kAdded,
    kDuplicate,      // same sender, same height, same contents
    kConflict,       // same sender, same height, other contents: ignored
    kBelowStable,    // at or below the stable checkpoint: ignored
    kAboveWindow,    // kept as the sender's highest far checkpoint
    kNotAtInterval,  // height is not a multiple of K
  };

  CheckpointTracker(uint32_t window, uint32_t interval) : window_(window), interval_(interval) {}

  // REQUIRES: message is a CHECKPOINT whose signature was verified.
  Outcome add(const Message& message);
  // True when exactly this message (same contents and signature) is already held.
  bool holds(const Message& message) const;
  // Records this replica's own signed checkpoint and keeps it for retransmission.
  void add_own(const Message& message);
  const std::optional<Message>& own_latest() const { return own_latest_; }

  // The highest height above stable at which `self` voted and at least `quorum` votes
  // match its vote.
  std::optional<CheckpointProof> find_stable(uint32_t self, uint32_t quorum) const;
  // Discards votes at heights <= stable and folds far votes that are now inside the window.
  void collect_garbage(uint64_t stable);

  uint64_t stable() const { return stable_; }
  size_t vote_heights() const { return votes_.size(); }
  size_t far_votes() const { return far_.size(); }
  void check_invariants() const;

 private:
  struct Vote {
    Hash block_hash{};
    Hash state_root{};
    Signature signature{};
  };
  Outcome add_in_window(const Message& message);

  uint32_t window_;
  uint32_t interval_;
  uint64_t stable_ = 0;
  std::map<uint64_t, std::map<uint32_t, Vote>> votes_;
  std::map<uint32_t, Message> far_;  // sender -> highest checkpoint above the window
  std::optional<Message> own_latest_;
};

}  // namespace phalanx::consensus
