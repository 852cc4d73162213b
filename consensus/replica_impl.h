// Replica::Impl: the state of one PBFT replica and its handlers, split by concern over
//   replica.cc             construction, restart, public API, Ready assembly, invariants
//   replica_normal.cc      step(): admission and the PRE-PREPARE/PREPARE/COMMIT handlers
//   replica_progress.cc    PREPARE conditions, prepared/committed, in-order output, propose()
//   replica_checkpoint.cc  on_executed(), CHECKPOINT handling, garbage collection, tick()
//   replica_view.cc        view-change timer, VIEW-CHANGE, NEW-VIEW (PBFT §4.4)
//   replica_reproposal.cc  installing a NEW-VIEW's re-proposals, fetching their bodies
//   replica_status.cc      STATUS, peers' claims, idle rejoin (fetching a NEW-VIEW)
//   replica_catch_up.cc    catch-up: requests, serving, certified blocks, adopting a proof
// Private to consensus/. Thread-safety: none; one thread owns a Replica.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "consensus/catch_up.h"
#include "consensus/checkpoint.h"
#include "consensus/journal.h"
#include "consensus/log.h"
#include "consensus/replica.h"
#include "consensus/restore.h"
#include "consensus/safety_rules.h"
#include "consensus/view_change.h"

namespace phalanx::consensus {

// A block this replica knows to be in the chain (or about to be): enough to check a child.
struct BlockRef {
  uint64_t height = 0;
  Hash hash{};
  uint64_t timestamp_ms = 0;
};

// A signed PREPARE or COMMIT (or PRE-PREPARE without its block yet).
inline Message make_vote(MessageKind kind, uint32_t from, uint64_t view, uint64_t height,
                         const Hash& digest, const Signature& signature) {
  Message message;
  message.kind = kind;
  message.from = from;
  message.view = view;
  message.height = height;
  message.digest = digest;
  message.signature = signature;
  return message;
}

struct Replica::Impl {
  Impl(Config config_in, std::unique_ptr<Signer> signer, std::unique_ptr<Verifier> verifier_in,
       uint64_t now);

  // --- replica.cc
  void restore(const PersistedState& state, const ExecutedState& executed);
  void restore_entries(const PersistedState& state);
  void restore_prepared_proofs(const PersistedState& state);
  void restore_own_messages();
  void check_invariants() const;
  bool is_primary() const { return config.primary_of(view) == config.self; }
  uint32_t quorum() const { return quorum_size(config); }
  bool persist_votes() const { return !config.mutations.send_before_persist; }
  bool verified(const Message& message);
  void broadcast(const Message& message);
  void send_to(uint32_t peer, const Message& message);
  Ready take_ready();
  bool has_ready() const;

  // --- replica_normal.cc
  void step(const Message& message);
  void on_pre_prepare(const Message& message);
  Status check_proposal(const Message& message, const ledger::Block& block) const;
  void on_vote(const Message& message);
  void reply_to_laggard(const Message& message);
  // `record_now` false: the accept record waits for this replica's first vote on the entry
  // (record_accept), so a backup's PREPARE costs one synced write, not two.
  Entry& accept(const Message& pre_prepare, std::shared_ptr<const ledger::Block> block,
                bool record_now = true);
  void record_accept(uint64_t height, Entry& entry);
  void request_validation(uint64_t height, Entry& entry);

  // --- replica_progress.cc
  void progress();
  enum class Check : uint8_t { kPass, kWait, kReject };
  Check check_prepare_conditions(uint64_t height, Entry& entry);
  void try_prepare(uint64_t height, Entry& entry);
  void try_prepared(uint64_t height, Entry& entry);
  void send_commit(uint64_t height, Entry& entry);
  void try_committed(uint64_t height, Entry& entry);
  void output_committed();
  std::optional<BlockRef> parent_of(uint64_t height, bool require_prepared) const;
  std::optional<Hash> state_root_for(uint64_t height) const;
  bool can_propose() const;
  void propose(std::vector<ledger::SignedTransaction> txs);
  ledger::BlockHeader next_header(uint64_t height,
                                  const std::vector<ledger::SignedTransaction>& txs) const;
  void on_validated(uint64_t height, const Hash& digest, bool valid);

  // --- replica_checkpoint.cc
  void on_executed(uint64_t height, const Hash& state_root);
  void sign_checkpoint(uint64_t height, const Hash& block_hash, const Hash& state_root);
  void on_checkpoint(const Message& message);
  void try_stabilize();
  void collect_garbage(const CheckpointProof& proof);
  void prune_state_roots();
  void tick(uint64_t now);
  void retransmit();
  void push_to_laggards();

  // --- replica_view.cc
  void note_pending_request(bool has_pending);
  bool timer_pending() const;
  void check_view_timer();
  bool holds_view_change_quorum() const;
  void start_view_change(uint64_t new_view);
  void send_view_change();
  Message make_view_change();
  void on_view_change(const Message& message);
  bool accept_view_change(const Message& message);
  void try_join_view_change();
  void try_send_new_view();
  void on_new_view(const Message& message);
  void serve_new_view(uint32_t peer);
  void record_prepared_proof(uint64_t height, const Entry& entry);

  // --- replica_reproposal.cc
  void enter_view(const Message& new_view_message, const NewView& new_view,
                  const Derivation& derivation);
  void adopt_base_checkpoint(const CheckpointProof& base);
  void install_reproposal(const Reproposal& reproposal,
                          std::map<Hash, std::shared_ptr<const ledger::Block>>& bodies,
                          std::map<Hash, Bytes>& body_bytes);
  void vote_for_committed(uint64_t height, Entry& entry);
  bool attach_body(const Message& message);
  void on_block_request(const Message& message);
  void request_missing_bodies();
  void restore_new_view(const Message& new_view_message);
  const Bytes* prepared_body(uint64_t height, const Hash& digest) const;
  void attach_prepared_bodies();

  // --- replica_status.cc
  void send_status();
  void on_status(const Message& message);
  void note_checkpoint_claim(uint32_t peer, uint64_t height);
  uint64_t claimed_height() const;  // the (f+1)-th highest committed height peers claim
  void on_status_tick();
  void maybe_fetch_new_view();
  void on_new_view_request(const Message& message);

  // --- replica_catch_up.cc
  void maybe_start_catch_up(bool stalled);
  void restart_catch_up_requests();
  void request_catch_up_blocks();
  uint64_t catch_up_request_heights() const;
  bool catch_up_waiting_on_execution() const;
  bool admit_catch_up_response(const Message& message);
  void send_catch_up_request(uint64_t first, uint64_t last);
  bool rotate_catch_up_peer();
  void check_catch_up_timer();
  void on_catch_up_request(const Message& message);
  void on_catch_up_response(const Message& message);
  void apply_catch_up_buffer();
  bool apply_catch_up_block(const Message& message);
  void output_certified(CatchUpBlock block, size_t bytes);
  void clear_catch_up_buffer();
  // Drops the buffered responses of heights [first, last], keeping catch_up_buffer_bytes.
  void drop_catch_up_responses(uint64_t first, uint64_t last);
  void refuse_catch_up_peer();
  void note_catch_up_failure(uint32_t peer);
  struct PeerClaim;
  bool trusted_alone(const PeerClaim& claim) const;
  void try_adopt_peer_checkpoint();
  void sign_missing_checkpoints();
  std::optional<Hash> executed_hash(uint64_t height) const;

  Config config;
  std::unique_ptr<Verifier> verifier;
  SafetyRules safety;
  Journal journal;
  Log log;
  CheckpointTracker checkpoints;
  Counters counters;
  uint64_t view = 0;
  uint64_t now_ms = 0;
  uint64_t last_retransmit_ms = 0;
  uint64_t committed_height = 0;  // highest height output (or executed before a restart)
  uint64_t executed_height = 0;   // highest height the caller reported executed
  uint64_t proposed_height = 0;   // highest height this replica proposed as primary
  BlockRef last_output;           // the block at committed_height
  std::optional<CheckpointProof> stable_proof;
  std::map<uint64_t, Hash> state_roots;  // height -> root after executing it
  // (height, peer) -> when this replica last answered that peer's stale vote.
  std::map<std::pair<uint64_t, uint32_t>, uint64_t> laggard_replies;
  Ready pending;
  uint64_t readies_outstanding = 0;

  // View change (PBFT §4.4).
  bool view_changing = false;
  bool has_pending_requests = false;
  bool timer_running = false;
  uint64_t timer_start_ms = 0;
  uint32_t timeout_multiplier = 1;                    // doubles per failed view, at most 8
  std::map<uint64_t, PreparedProof> prepared_proofs;  // height -> latest prepared, in window
  // height -> (digest, encoded block) of the latest prepared certificate (also read back at
  // restart), whatever its view: a later NEW-VIEW may re-propose it after the log entry was
  // replaced by another view's, or after a restart kept only the current view's entries.
  // Erased at garbage collection.
  std::map<uint64_t, std::pair<Hash, Bytes>> prepared_bodies;
  struct HeldViewChange {
    Message message;
    ViewChange view_change;
  };
  std::map<uint32_t, HeldViewChange> view_changes;  // sender -> its highest verified one
  std::optional<Message> new_view_message;          // the NEW-VIEW of the current view
  std::map<uint32_t, uint64_t> new_view_replies;    // peer -> when it was last served
  std::map<std::pair<uint64_t, uint32_t>, uint64_t> body_replies;  // (height, peer) -> when

  // Status sync and catch-up.
  struct PeerClaim {
    uint64_t view = 0;    // highest view the peer reported having entered
    uint64_t height = 0;  // highest committed height it reported (STATUS or CHECKPOINT)
    // Catch-up requests to this peer that brought no certified block (timed out, or it sent
    // a forged one), in a row: a served block resets them. While non-zero its claim alone
    // does not start a round until a backoff passes (replica_catch_up.cc).
    uint32_t failed_requests = 0;
    uint64_t failed_height = 0;  // its claim when the last of them failed
    uint64_t failed_ms = 0;      // when the last of them failed
  };
  std::map<uint32_t, PeerClaim> peer_claims;  // at most n - 1
  // The highest verified stable proof a peer reported above this replica's own; adopted
  // once this replica executed that height with the same block and state.
  std::optional<CheckpointProof> peer_checkpoint;
  bool statuses_started = false;
  uint64_t last_status_ms = 0;
  uint64_t committed_at_last_status = 0;
  uint64_t last_new_view_fetch_ms = 0;
  uint32_t new_view_fetch_peer = 0;
  bool catching_up = false;
  uint32_t catch_up_peer = 0;
  uint64_t catch_up_progress_ms = 0;       // request sent or block applied
  uint64_t catch_up_requested_last = 0;    // last height the requests in flight can bring
  uint64_t catch_up_target = 0;            // the claim that started the round
  std::vector<uint32_t> catch_up_refused;  // forged a block or timed out this round
  // height -> response, in (committed_height, catch_up_requested_last]; payload bytes held.
  std::map<uint64_t, Message> catch_up_buffer;
  size_t catch_up_buffer_bytes = 0;
  size_t catch_up_response_bytes_seen = 0;  // the largest response payload of this round
  std::map<uint32_t, std::pair<uint64_t, uint64_t>> catch_up_serves;  // peer -> (first, when)
  // Block hashes of executed checkpoint heights (to check a peer's proof against), pruned
  // with state_roots.
  std::map<uint64_t, Hash> checkpoint_hashes;
  // Heights output by catch-up and not executed yet (not in the log): their block hashes,
  // and the response payload bytes they stand for (Config::catch_up_bytes_max).
  struct CatchUpOutput {
    Hash hash{};
    size_t bytes = 0;
  };
  std::map<uint64_t, CatchUpOutput> catch_up_outputs;
  size_t catch_up_output_bytes = 0;
};

}  // namespace phalanx::consensus
