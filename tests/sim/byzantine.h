// A Byzantine replica's misbehaviour. The replica runs the honest core (so it keeps a
// plausible view of the chain), but everything its core sends passes through this filter,
// which holds the replica's real key and may, per message and per the behaviours drawn for
// it (fault_plan.h, ByzantineBehaviour):
//
//   equivocate          as primary: the real block to some backups, a different block for
//                       the same (view, height) to the rest, with its own COMMIT for it
//   conflicting votes   PREPARE/COMMIT for another digest to some replicas instead
//   forged signature    a copy claiming to come from another replica (signed with its key)
//   invalid signature   its own message with a corrupted signature to some replicas
//   stale / future view votes re-signed for an older view or one far ahead; VIEW-CHANGEs
//                       (genesis checkpoint, nothing prepared) for a view far ahead
//   replay              re-sends a message it received earlier, to anyone
//   garbage             random bytes, or a real envelope truncated or with flipped bytes
//   silence             sends nothing
//   censor              as primary: never proposes txs whose hash starts with a byte = 0 mod 3
//                       (the node's mempool drops them: SimNode::submit)
//   bad txs             as primary: the block carries an unknown tx or a duplicated one
//   drop certificate    as new primary: NEW-VIEW without its highest re-proposal, re-signed,
//                       then a different block at that height (when it knows the body)
//   forged catch-up     serves committed blocks with forged certificates (too few or bad
//                       signatures, or another block under the real certificate)
//
// Honest replicas must stay safe whatever it does; in the liveness phase they must also
// make progress around it (view changes away from it as primary).
// Thread-safety: none; owned by one simulation.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "consensus/signer.h"
#include "consensus/types.h"
#include "tests/sim/clients.h"
#include "tests/sim/fault_plan.h"
#include "tests/sim/prng.h"

namespace phalanx::sim {

// Bytes that leave a Byzantine replica, and to whom.
struct Emission {
  std::vector<uint32_t> targets;
  std::shared_ptr<const Bytes> wire;
  std::string what;  // empty: the core's own message, unchanged
};

// What a Byzantine replica did, summed over a run (the simulator's teeth).
struct ByzantineCounters {
  uint64_t misbehaviours = 0;  // messages replaced, added or withheld on purpose
  uint64_t equivocations = 0;
  uint64_t bad_proposals = 0;
  uint64_t dropped_certificates = 0;
  uint64_t garbage = 0;
  uint64_t replays = 0;
  uint64_t forged_catch_ups = 0;
};

class Byzantine {
 public:
  static constexpr size_t kReplayMessagesMax = 64;  // received messages kept for replay
  static constexpr size_t kGarbageBytesMax = 400;   // random garbage length bound
  static constexpr uint64_t kFutureViewsMax = 1'000'000;
  static constexpr size_t kBodiesMax = 256;  // proposed blocks kept to forge replacements

  Byzantine(const FaultPlan& plan, const consensus::Config& config, uint32_t self,
            std::unique_ptr<consensus::Signer> signer, const Clients* clients, Prng prng);

  uint32_t self() const { return self_; }
  bool censors(const crypto::Hash& tx_hash) const;
  bool silent() const { return (behaviours_ & kByzSilence) != 0; }
  // What actually leaves for one outbound message of the honest core.
  std::vector<Emission> on_send(const consensus::Outbound& outbound);
  // A message delivered to this replica (kept for replays).
  void on_received(const std::shared_ptr<const Bytes>& wire);
  const ByzantineCounters& counters() const { return counters_; }

 private:
  bool has(uint32_t behaviour) const { return (behaviours_ & behaviour) != 0; }
  std::vector<uint32_t> others() const;
  std::vector<uint32_t> recipients(const consensus::Outbound& outbound) const;
  std::shared_ptr<const Bytes> wire(const consensus::Message& message) const;
  consensus::Message resign(consensus::Message message);
  void misbehave(const consensus::Outbound& outbound, std::vector<Emission>* out);
  bool proposal_misbehaviour(const consensus::Message& real, std::vector<Emission>* out);
  bool vote_misbehaviour(const consensus::Message& real, std::vector<Emission>* out);
  bool any_misbehaviour(const consensus::Message& real, std::vector<Emission>* out);
  bool drop_certificate(const consensus::Message& real, std::vector<Emission>* out);
  void future_view_change(const consensus::Message& real, std::vector<Emission>* out);
  Bytes garbage(const consensus::Message& real);
  consensus::Message forge_catch_up(const consensus::Message& real);
  void remember_body(const consensus::Message& message);
  // Splits `targets` into two non-empty parts (the first keeps the real message).
  std::pair<std::vector<uint32_t>, std::vector<uint32_t>> split(std::vector<uint32_t> targets);

  const FaultPlan& plan_;
  const consensus::Config& config_;
  uint32_t self_;
  uint32_t behaviours_;
  std::unique_ptr<consensus::Signer> signer_;
  const Clients* clients_;
  Prng prng_;
  std::deque<std::shared_ptr<const Bytes>> received_;
  std::map<crypto::Hash, ledger::Block> bodies_;  // by block hash
  std::deque<crypto::Hash> body_order_;           // oldest first
  ByzantineCounters counters_;
};

}  // namespace phalanx::sim
