// consensus::Replica: one PBFT replica (Castro & Liskov, OSDI'99 §4) as a pure state machine.
// It owns the protocol state of one validator: view, message log inside the watermarks,
// prepared certificates, checkpoints. It performs no I/O, reads no clock and draws no
// randomness: time arrives through tick(), messages through step(), and everything it wants
// done leaves through ready() (etcd raft's RawNode shape).
//
// Caller's loop:
//   step()/tick()/propose()/on_validated()/on_executed() as events arrive;
//   while (replica.has_ready()) {
//     Ready r = replica.ready();
//     persist r.to_persist durably;            // BEFORE sending anything in r
//     send r.messages;
//     apply r.committed in order, then call on_executed(height, state_root) for each;
//     verify tx signatures of r.validation_requests, answer on_validated();
//     serve r.serve_requests from the ledger (make_catch_up_response, consensus/catch_up.h);
//     replica.advance(r);
//   }
// Thread-safety: none; one thread owns a Replica.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "consensus/signer.h"
#include "consensus/types.h"

namespace phalanx::consensus {

// What the caller's ledger has executed, given at construction/restart.
struct ExecutedState {
  uint64_t height = 0;        // last executed (= committed and applied) height; 0 = genesis
  Hash block_hash{};          // hash of that block
  uint64_t timestamp_ms = 0;  // that block's timestamp
  // State roots after executing each of the last W heights (height -> root), at least
  // height itself; genesis's root for height 0.
  std::map<uint64_t, Hash> state_roots;
};

// Counters for tests, the simulator's teeth and operators. Monotonic.
struct Counters {
  uint64_t dropped_not_validator = 0;
  uint64_t dropped_bad_signature = 0;
  uint64_t dropped_wrong_view = 0;
  uint64_t dropped_outside_watermarks = 0;
  uint64_t dropped_invalid_proposal = 0;
  uint64_t duplicate_votes_ignored = 0;
  uint64_t pipelined_heights = 0;  // proposals made while an earlier height was uncommitted
  uint64_t checkpoints_stable = 0;
  uint64_t checkpoint_gcs = 0;
  uint64_t blocks_committed = 0;
  uint64_t safety_refusals = 0;
  uint64_t equivocations = 0;      // a second, different PRE-PREPARE for one (view, height)
  uint64_t dropped_malformed = 0;  // e.g. a PREPARE from the primary, a CHECKPOINT off K
  // View change (PBFT §4.4).
  uint64_t view_changes = 0;             // views this replica moved to by sending VIEW-CHANGE
  uint64_t view_change_timeouts = 0;     // of which started by its own timer
  uint64_t dropped_view_changes = 0;     // invalid VIEW-CHANGEs (bad proofs, malformed)
  uint64_t new_views_sent = 0;           // as the new primary
  uint64_t new_views_accepted = 0;       // as a backup, after re-deriving the re-proposals
  uint64_t new_views_rejected = 0;       // NEW-VIEWs whose re-derivation or proofs failed
  uint64_t reproposed_certificates = 0;  // re-proposals installed from accepted NEW-VIEWs
  uint64_t bodies_fetched = 0;           // re-proposed block bodies received from a peer
  // Status sync and catch-up (consensus/catch_up.h).
  uint64_t statuses_sent = 0;
  uint64_t dropped_statuses = 0;              // bad signature, malformed, invalid stable proof
  uint64_t catch_ups = 0;                     // catch-up rounds started
  uint64_t catch_up_blocks = 0;               // blocks output through catch-up
  uint64_t catch_up_requests_served = 0;      // ServeRequests handed to the caller
  uint64_t dropped_catch_up_responses = 0;    // unasked, stale or malformed responses
  uint64_t forged_certificates_refused = 0;   // responses whose certificate or linkage failed
  uint64_t catch_up_checkpoints_adopted = 0;  // stable proofs from STATUS adopted after catch-up
  uint64_t new_views_fetched = 0;             // NEW-VIEW requests sent to rejoin a higher view
};

class Replica {
 public:
  // REQUIRES: config.n() >= 4, config.self < n, 1 <= W <= L, K >= 1,
  // validate_persisted(config, persisted, executed) is ok.
  // `persisted`: every key/value previously written through Ready::to_persist and not
  // erased (empty on first start).
  Replica(Config config, std::unique_ptr<Signer> signer, std::unique_ptr<Verifier> verifier,
          const std::map<std::string, Bytes>& persisted, const ExecutedState& executed,
          uint64_t now_ms);
  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // Checks that `persisted` decodes, is self-consistent and fits `executed` (the ledger must
  // not be behind the stable checkpoint). The constructor asserts this; a node calls it
  // first to refuse to start on damaged storage with a clear message.
  static Status validate_persisted(const Config& config,
                                   const std::map<std::string, Bytes>& persisted,
                                   const ExecutedState& executed);

  void step(const Message& message);
  void tick(uint64_t now_ms);

  // True when this replica is the primary of its view and the pipeline has room for one
  // more height (fewer than W uncommitted heights in flight, s - W executed).
  bool can_propose() const;
  // Builds, signs and broadcasts the next block from `txs` (already validated by the
  // caller). REQUIRES: can_propose(), txs within block limits.
  void propose(std::vector<ledger::SignedTransaction> txs);

  void on_validated(uint64_t height, const Hash& digest, bool valid);
  // The caller holds (true) or no longer holds (false) transactions that are not committed.
  // While it does, or while a proposal is accepted but not committed, the view-change timer
  // runs (PBFT §4.4); the primary orders requests FIFO, so the oldest pending one is what
  // the timer waits for.
  void note_pending_request(bool has_pending);
  // The caller applied committed block `height`; its state root is `state_root`.
  void on_executed(uint64_t height, const Hash& state_root);

  bool has_ready() const;
  Ready ready();
  void advance(const Ready& ready);

  uint64_t view() const;
  // True between sending VIEW-CHANGE for view() and entering it through a NEW-VIEW.
  bool view_changing() const;
  uint32_t primary() const;
  uint64_t committed_height() const;  // highest height output in Ready::committed
  uint64_t stable_checkpoint() const;
  // True while a catch-up round is fetching committed blocks from a peer.
  bool catching_up() const;
  const Counters& counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace phalanx::consensus
