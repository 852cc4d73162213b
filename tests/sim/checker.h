// The simulator's invariants, checked after every step. The checker is told everything
// observable: each message an honest replica sends, each block a replica commits and the
// state root it executed to, and at the end which transactions reached a quorum.
//
//   agreement     no two replicas commit different block hashes at one height
//   linkage       committed block h's prev_hash is committed block h-1's hash (genesis for 1)
//   order         each replica commits heights 1, 2, 3, ... with no gap or repeat
//   validity      every committed tx was created by a simulated client
//   no-duplicate  no tx hash appears twice in the committed chain
//   state-root    every replica reaches the same state root at every height
//   certificate   a commit certificate holds a quorum of distinct, valid COMMIT signatures
//   single-vote   an honest replica never signs two different digests for one
//                 (kind, view, height); never two different checkpoints for one height
//   signature     an honest replica's messages carry valid signatures
//   (single-vote and signature cover PRE-PREPARE, PREPARE, COMMIT and CHECKPOINT)
//   liveness      (checked by the simulation) every tx is executed by every replica of the
//                 liveness set (the honest replicas) in bounded time
//
// The first violation is kept; later ones are ignored (one failure replays one bug).
// Thread-safety: none; owned by one simulation.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "consensus/signer.h"
#include "consensus/types.h"

namespace phalanx::sim {

using crypto::Hash;

enum class Invariant : uint8_t {
  kAgreement,
  kLinkage,
  kOrder,
  kValidity,
  kDuplicateTx,
  kStateRoot,
  kCertificate,
  kSingleVote,
  kSignature,
  kLiveness,
  kCodec,     // an honest message did not survive encode/decode
  kBounds,    // a replica's persisted records outgrew the log window
  kProgress,  // a replica produced Ready batches without end
};

std::string_view invariant_name(Invariant invariant);

struct Violation {
  Invariant invariant = Invariant::kAgreement;
  std::string detail;
};

struct CheckerConfig {
  uint32_t validators = 4;
  uint32_t quorum = 3;
  Hash genesis_hash{};
  bool check_certificates = true;
  // Replicas that must execute every tx for liveness (a superset of a quorum of honest
  // ones); empty: any `quorum` replicas will do.
  std::vector<uint32_t> liveness_replicas;
};

class Checker {
 public:
  // `known_txs`: every tx hash a client created (owned by the caller, grows during a run).
  Checker(CheckerConfig config, std::unique_ptr<consensus::Verifier> verifier,
          const std::set<Hash>* known_txs);

  // Every message an honest replica hands to the network, retransmissions included (and
  // messages it relays for their signer: those must verify under the signer's key).
  void on_sent(uint32_t from, const consensus::Message& message);
  // Replica `replica`, whose ledger tip is `tip_height`/`tip_hash`, outputs `block`.
  // Returns false when the block must not be applied (wrong height).
  bool on_committed(uint32_t replica, uint64_t tip_height, const Hash& tip_hash,
                    const consensus::CommittedBlock& block);
  void on_executed(uint32_t replica, uint64_t height, const Hash& state_root);

  void fail(Invariant invariant, std::string detail);
  bool ok() const { return !violation_.has_value(); }
  const std::optional<Violation>& violation() const { return violation_; }

  uint64_t highest_committed() const { return committed_.empty() ? 0 : committed_.rbegin()->first; }
  // How many replicas that count for liveness have executed a tx; how many txs reached the
  // liveness target (every replica of the liveness set, or a quorum when it is empty).
  uint32_t replicas_with_tx(const Hash& tx_hash) const;
  bool tx_done(const Hash& tx_hash) const { return replicas_with_tx(tx_hash) >= target_; }
  uint64_t txs_at_quorum() const { return txs_at_quorum_; }

 private:
  void check_certificate(uint32_t replica, const consensus::CommittedBlock& block);
  void check_transactions(uint32_t replica, const consensus::CommittedBlock& block);
  void check_signature(uint32_t sender, const consensus::Message& message, crypto::Domain domain);

  CheckerConfig config_;
  std::vector<bool> counted_;  // per replica: counts for liveness
  uint32_t target_ = 0;
  std::unique_ptr<consensus::Verifier> verifier_;
  const std::set<Hash>* known_txs_;
  std::map<uint64_t, Hash> committed_;  // height -> the block hash first committed there
  std::map<uint64_t, Hash> roots_;      // height -> the state root first executed there
  std::map<Hash, uint64_t> tx_heights_;
  std::map<Hash, uint32_t> tx_replicas_;
  uint64_t txs_at_quorum_ = 0;
  // (replica, kind, view, height) -> digest (checkpoints: digest = H(block hash || root)).
  std::map<std::tuple<uint32_t, uint8_t, uint64_t, uint64_t>, Hash> votes_;
  std::optional<Violation> violation_;
};

}  // namespace phalanx::sim
