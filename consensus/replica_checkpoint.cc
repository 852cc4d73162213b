// Checkpoints and garbage collection (PBFT §4.3), and the timer: retransmission keeps the
// normal case live over a lossy network; the view-change timer (replica_view.cc) replaces a
// primary that does not make progress.
#include <algorithm>

#include "consensus/codec.h"
#include "consensus/records.h"
#include "consensus/replica_impl.h"

namespace phalanx::consensus {

void Replica::Impl::on_executed(uint64_t height, const Hash& state_root) {
  PHALANX_ASSERT_MSG(height == executed_height + 1, "blocks are executed in height order");
  PHALANX_ASSERT_MSG(height <= committed_height, "only committed blocks are executed");
  const std::optional<Hash> hash = executed_hash(height);
  PHALANX_ASSERT_MSG(hash.has_value(), "an output block's hash is known until it is executed");
  executed_height = height;
  state_roots[height] = state_root;
  if (auto output = catch_up_outputs.find(height); output != catch_up_outputs.end()) {
    catch_up_output_bytes -= output->second.bytes;
    catch_up_outputs.erase(output);
  }
  if (height % config.checkpoint_interval == 0) {
    checkpoint_hashes[height] = *hash;
    // Above the window (catch-up ran ahead of it) nobody collects this vote any more: the
    // window moves by a peer's proof instead (try_adopt_peer_checkpoint).
    if (height <= log.high()) sign_checkpoint(height, *hash, state_root);
  }
  prune_state_roots();
  try_stabilize();
  try_adopt_peer_checkpoint();
  progress();
  apply_catch_up_buffer();
}

// PBFT §4.3: after executing a multiple of K a replica multicasts CHECKPOINT(n, d, i).
void Replica::Impl::sign_checkpoint(uint64_t height, const Hash& block_hash,
                                    const Hash& state_root) {
  const Bytes body = checkpoint_body(height, block_hash, state_root);
  auto signature = safety.sign(MessageKind::kCheckpoint, 0, height, body, &journal);
  if (!signature) return;
  Message checkpoint =
      make_vote(MessageKind::kCheckpoint, config.self, 0, height, block_hash, *signature);
  checkpoint.state_root = state_root;
  checkpoints.add_own(checkpoint);
  broadcast(checkpoint);
}

void Replica::Impl::on_checkpoint(const Message& message) {
  if (message.height % config.checkpoint_interval != 0) {
    ++counters.dropped_malformed;
    return;
  }
  if (message.height <= log.low()) {
    ++counters.dropped_outside_watermarks;
    return;
  }
  if (checkpoints.holds(message)) {
    ++counters.duplicate_votes_ignored;
    return;
  }
  if (!verified(message)) {
    ++counters.dropped_bad_signature;
    return;
  }
  note_checkpoint_claim(message.from, message.height);
  switch (checkpoints.add(message)) {
    case CheckpointTracker::Outcome::kAdded:
      try_stabilize();
      progress();
      return;
    case CheckpointTracker::Outcome::kAboveWindow:
      return;
    case CheckpointTracker::Outcome::kDuplicate:
    case CheckpointTracker::Outcome::kConflict:
      ++counters.duplicate_votes_ignored;
      return;
    case CheckpointTracker::Outcome::kBelowStable:
    case CheckpointTracker::Outcome::kNotAtInterval:
      PHALANX_ASSERT_MSG(false, "checked above");
  }
}

void Replica::Impl::try_stabilize() {
  while (auto proof = checkpoints.find_stable(config.self, quorum())) {
    collect_garbage(*proof);
  }
}

// PBFT §4.3: with a stable checkpoint at h, every message at or below h is discarded, in
// memory and on disk. The proof is written first, in the same Ready as the erasures.
void Replica::Impl::collect_garbage(const CheckpointProof& proof) {
  const uint64_t height = proof.height;
  PHALANX_ASSERT(height > log.low() && height <= executed_height);
  journal.put(std::string(kCheckpointProofKey), encode_checkpoint_proof(proof));
  journal.erase_through(height);
  safety.forget_through(height);
  log.collect_garbage(height);
  checkpoints.collect_garbage(height);
  laggard_replies.erase(laggard_replies.begin(), laggard_replies.lower_bound({height + 1, 0}));
  body_replies.erase(body_replies.begin(), body_replies.lower_bound({height + 1, 0}));
  prepared_proofs.erase(prepared_proofs.begin(), prepared_proofs.upper_bound(height));
  prepared_bodies.erase(prepared_bodies.begin(), prepared_bodies.upper_bound(height));
  stable_proof = proof;
  prune_state_roots();
  ++counters.checkpoints_stable;
  ++counters.checkpoint_gcs;
}

// Keeps the roots of the last W + 1 executed heights (headers carry the root after h - W)
// and of checkpoints at or above the stable one.
void Replica::Impl::prune_state_roots() {
  const uint64_t keep_from =
      executed_height > config.pipeline_depth ? executed_height - config.pipeline_depth : 0;
  // Catch-up can run the ledger past the window; checkpoints more than L below the executed
  // height are older than any stable proof a peer could still report.
  const uint64_t checkpoints_from = std::max<uint64_t>(
      log.low(), executed_height > config.log_window ? executed_height - config.log_window : 0);
  std::erase_if(state_roots, [&](const auto& item) {
    const uint64_t height = item.first;
    if (height > executed_height) return true;
    if (height >= keep_from) return false;
    return height % config.checkpoint_interval != 0 || height < checkpoints_from;
  });
  std::erase_if(checkpoint_hashes,
                [&](const auto& item) { return !state_roots.contains(item.first); });
}

void Replica::Impl::tick(uint64_t now) {
  now_ms = std::max(now_ms, now);
  if (now_ms - last_retransmit_ms >= config.retransmit_ms) {
    last_retransmit_ms = now_ms;
    retransmit();
  }
  check_view_timer();
  on_status_tick();
  check_catch_up_timer();
  progress();  // a proposal may have been waiting for the clock (condition (c))
}

// Re-sends this replica's own messages for every height still in flight, and its latest
// checkpoint, so lost messages cannot stall the normal case.
void Replica::Impl::retransmit() {
  if (view_changing) {
    // PBFT §4.4: no part in the old view any more; keep asking for the new one.
    auto own = view_changes.find(config.self);
    if (own != view_changes.end()) broadcast(own->second.message);
    if (checkpoints.own_latest()) broadcast(*checkpoints.own_latest());
    return;
  }
  request_missing_bodies();
  for (const auto& [height, entry] : log.entries()) {
    if (entry.output || entry.body_missing) continue;
    if (config.primary_of(entry.view) == config.self) broadcast(entry.pre_prepare);
    if (entry.own_prepare) broadcast(*entry.own_prepare);
    if (entry.own_commit) broadcast(*entry.own_commit);
  }
  if (is_primary()) push_to_laggards();
  if (checkpoints.own_latest()) broadcast(*checkpoints.own_latest());
}

// A backup that missed a PRE-PREPARE for a height the others have committed sends nothing
// for it, so nothing would prompt a laggard reply: the primary offers each peer whose
// COMMIT it has not seen the lowest such pre-prepare, one per period.
void Replica::Impl::push_to_laggards() {
  for (uint32_t peer = 0; peer < config.n(); ++peer) {
    if (peer == config.self) continue;
    for (const auto& [height, entry] : log.entries()) {
      if (!entry.output) break;
      if (config.primary_of(entry.view) != config.self) continue;
      if (log.commits().has_vote_from(entry.view, height, peer)) continue;
      send_to(peer, entry.pre_prepare);
      break;
    }
  }
}

}  // namespace phalanx::consensus
