// consensus::SafetyRules: the only holder of the validator's consensus Signer (Aptos
// safety-rules). Before it signs, it checks that it never signed a different body for the
// same (kind, view, height) slot: PBFT's safety rests on an honest replica never
// pre-preparing, preparing or committing two digests for one (view, sequence number)
// (Castro & Liskov §4.2) and never checkpointing two states for one height (§4.3). Every
// signature it makes is recorded through the Journal (key "vote/...", records.h) in the same
// Ready as the message it signs, so the refusal also holds after a restart.
// Thread-safety: none; owned by one Replica.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <tuple>

#include "consensus/journal.h"
#include "consensus/records.h"
#include "consensus/signer.h"
#include "consensus/types.h"

namespace phalanx::consensus {

class SafetyRules {
 public:
  // persist_votes is false only under Mutations::send_before_persist.
  SafetyRules(std::unique_ptr<Signer> signer, bool persist_votes);

  // Restores a "vote/..." record read back from storage (already decoded and checked).
  void restore(MessageKind kind, uint64_t height, uint64_t view, VoteRecord record);

  // Signs `body` (vote_body or checkpoint_body for the slot) under the domain of `kind`.
  // Returns nullopt, and counts a refusal, when a different body was signed for the slot
  // before; signing the same body again returns the first signature.
  std::optional<Signature> sign(MessageKind kind, uint64_t view, uint64_t height, ByteSpan body,
                                Journal* journal);

  // Signs a VIEW-CHANGE, NEW-VIEW or STATUS payload. These are statements about what the
  // replica holds, not votes: signing two of them for one view cannot make honest replicas
  // commit different digests (every prepared proof inside is itself signed votes; a STATUS
  // only prompts catch-up, whose blocks carry their own certificates), so no slot is kept.
  // REQUIRES: kind is kViewChange, kNewView or kStatus.
  Signature sign_statement(MessageKind kind, ByteSpan body);

  // The body and signature made for a slot, if any (to rebuild own messages at restart).
  const VoteRecord* find(MessageKind kind, uint64_t view, uint64_t height) const;

  // Forgets slots at heights <= height (their records are erased by the Journal).
  void forget_through(uint64_t height);

  uint64_t refusals() const { return refusals_; }
  size_t slots() const { return records_.size(); }

 private:
  using Slot = std::tuple<uint64_t, uint8_t, uint64_t>;  // (height, kind, view)
  std::unique_ptr<Signer> signer_;
  bool persist_votes_;
  std::map<Slot, VoteRecord> records_;
  uint64_t refusals_ = 0;
};

}  // namespace phalanx::consensus
