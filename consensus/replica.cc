// Construction, restart, the public API and Ready assembly of consensus::Replica.
#include "consensus/replica.h"

#include <algorithm>
#include <utility>

#include "consensus/codec.h"
#include "consensus/replica_impl.h"
#include "consensus/view_change.h"

namespace phalanx::consensus {

namespace {

// The own message a SafetyRules record stands for (the record was checked at parse time).
Message own_message(MessageKind kind, uint32_t self, const VoteRecord& record) {
  Message message = make_vote(kind, self, 0, 0, Hash{}, record.signature);
  Reader reader(record.body);
  Status read;
  if (kind == MessageKind::kCheckpoint) {
    read = reader.u64(&message.height);
    if (read) read = reader.fixed(&message.digest);
    if (read) read = reader.fixed(&message.state_root);
  } else {
    read = reader.u64(&message.view);
    if (read) read = reader.u64(&message.height);
    if (read) read = reader.fixed(&message.digest);
  }
  PHALANX_ASSERT_MSG(read.is_ok(), "vote record body checked at restore");
  return message;
}

Status check_executed(const Config& config, const PersistedState& state,
                      const ExecutedState& executed) {
  const uint64_t stable = state.stable_proof ? state.stable_proof->height : 0;
  if (executed.height < stable) {
    return Status::error("the ledger is at height " + std::to_string(executed.height) +
                         ", below the stable checkpoint " + std::to_string(stable) +
                         ": it lost committed blocks");
  }
  // A ledger beyond the log window is what catch-up leaves until a peer's stable proof is
  // adopted; the replica resumes from there (replica_catch_up.cc).
  const uint64_t first =
      executed.height >= config.pipeline_depth ? executed.height - config.pipeline_depth + 1 : 1;
  for (uint64_t height = first; height <= executed.height; ++height) {
    if (!executed.state_roots.contains(height)) {
      return Status::error("executed state lacks the state root of height " +
                           std::to_string(height));
    }
  }
  return Status::ok();
}

}  // namespace

Replica::Impl::Impl(Config config_in, std::unique_ptr<Signer> signer,
                    std::unique_ptr<Verifier> verifier_in, uint64_t now)
    : config(std::move(config_in)),
      verifier(std::move(verifier_in)),
      safety(std::move(signer), !config.mutations.send_before_persist),
      log(config.log_window),
      checkpoints(config.log_window, config.checkpoint_interval),
      now_ms(now),
      last_retransmit_ms(now) {}

void Replica::Impl::restore(const PersistedState& state, const ExecutedState& executed) {
  view = state.view.value_or(0);
  if (!state.view) journal.put(std::string(kViewKey), encode_view(view));
  if (state.stable_proof) {
    stable_proof = state.stable_proof;
    log.collect_garbage(stable_proof->height);
    checkpoints.collect_garbage(stable_proof->height);
  }
  executed_height = committed_height = executed.height;
  last_output = executed.height == 0
                    ? BlockRef{0, config.genesis_hash, config.genesis_time_ms}
                    : BlockRef{executed.height, executed.block_hash, executed.timestamp_ms};
  state_roots = executed.state_roots;
  for (const auto& [height, key] : state.indexed_keys) journal.track(height, key);
  for (const PersistedVote& vote : state.votes) {
    if (vote.key.height > log.low()) {
      safety.restore(vote.key.kind, vote.key.height, vote.key.view, vote.record);
    }
  }
  restore_entries(state);
  restore_prepared_proofs(state);
  if (state.new_view && state.new_view->view == view && view > 0) {
    restore_new_view(*state.new_view);
  } else if (view > 0) {
    // It left the previous view and had not entered this one: still changing views.
    view_changing = true;
  }
  restore_own_messages();
  proposed_height = std::max(proposed_height, committed_height);
  for (const auto& [height, entry] : log.entries()) {
    if (config.primary_of(entry.view) == config.self) {
      proposed_height = std::max(proposed_height, height);
    }
  }
  // Records at or below the stable checkpoint are left over from a collection that a crash
  // interrupted; finish it.
  journal.erase_through(log.low());
  prune_state_roots();
}

// PBFT §4.2 state: accepted pre-prepares and prepared certificates of the current view.
void Replica::Impl::restore_entries(const PersistedState& state) {
  for (const PersistedPrePrepare& accepted : state.accepted) {
    if (accepted.key.view != view || !log.in_window(accepted.key.height)) continue;
    log.insert(accepted.key.height, make_entry(accepted.pre_prepare, accepted.block))
        .accept_recorded = true;
  }
  for (const PersistedPrepared& prepared : state.prepared) {
    const uint64_t height = prepared.key.height;
    if (prepared.key.view != view || !log.in_window(height)) continue;
    const Message& pre_prepare = prepared.certificate.pre_prepare;
    Entry* entry = log.find(height);
    if (entry == nullptr) entry = &log.insert(height, make_entry(pre_prepare, prepared.block));
    if (entry->digest != pre_prepare.digest) continue;
    entry->prepared = true;
    for (const ValidatorSignature& prepare : prepared.certificate.prepares) {
      (void)log.prepares().add(view, height, prepare.validator, entry->digest, prepare.signature);
    }
  }
  for (auto& [height, entry] : log.entries()) {
    if (config.primary_of(entry.view) == config.self) entry.validation = Validation::kValid;
    if (height > executed_height) continue;
    // Executed before the restart: never output again. Its tx hashes stay for the duplicate
    // check of later heights (Log::has_duplicate_tx), as for a block output in this run.
    entry.commit_ready = entry.output = true;
    entry.block.reset();
  }
}

// The latest prepared proof per height, whatever its view, for later VIEW-CHANGEs.
void Replica::Impl::restore_prepared_proofs(const PersistedState& state) {
  for (const PersistedPrepared& prepared : state.prepared) {
    const Message& pre_prepare = prepared.certificate.pre_prepare;
    if (!log.in_window(prepared.key.height)) continue;
    auto it = prepared_proofs.find(prepared.key.height);
    if (it != prepared_proofs.end() && it->second.view >= pre_prepare.view) continue;
    prepared_proofs[prepared.key.height] =
        PreparedProof{prepared.key.height, pre_prepare.view, pre_prepare.digest,
                      pre_prepare.signature, prepared.certificate.prepares};
    prepared_bodies[prepared.key.height] = {pre_prepare.digest, pre_prepare.block};
  }
}

void Replica::Impl::restore_own_messages() {
  for (uint8_t raw = 1; is_known_kind(raw); ++raw) {
    const auto kind = static_cast<MessageKind>(raw);
    if (kind == MessageKind::kPrePrepare) continue;  // the entry holds it
    for (uint64_t height = log.low() + 1; height <= log.high(); ++height) {
      const uint64_t slot_view = kind == MessageKind::kCheckpoint ? 0 : view;
      const VoteRecord* record = safety.find(kind, slot_view, height);
      if (record == nullptr) continue;
      Message message = own_message(kind, config.self, *record);
      if (kind == MessageKind::kCheckpoint) {
        checkpoints.add_own(message);
        continue;
      }
      VoteTally& tally = kind == MessageKind::kPrepare ? log.prepares() : log.commits();
      (void)tally.add(view, height, config.self, message.digest, message.signature);
      Entry* entry = log.find(height);
      if (entry == nullptr || entry->digest != message.digest) continue;
      (kind == MessageKind::kPrepare ? entry->own_prepare : entry->own_commit) = message;
    }
  }
}

void Replica::Impl::check_invariants() const {
  log.check_invariants();
  checkpoints.check_invariants();
  PHALANX_ASSERT(checkpoints.stable() == log.low());
  PHALANX_ASSERT(log.low() <= executed_height);
  PHALANX_ASSERT(executed_height <= committed_height);
  // committed_height may exceed log.high(): catch-up outputs certified blocks beyond the
  // window; every entry is still inside it (log.check_invariants()).
  PHALANX_ASSERT(last_output.height == committed_height);
  PHALANX_ASSERT(!is_primary() || proposed_height >= committed_height);
  PHALANX_ASSERT(state_roots.size() <=
                 config.pipeline_depth + 1 + config.log_window / config.checkpoint_interval + 1);
  PHALANX_ASSERT(laggard_replies.size() <= static_cast<size_t>(config.log_window) * config.n());
  PHALANX_ASSERT(body_replies.size() <= static_cast<size_t>(config.log_window) * config.n());
  PHALANX_ASSERT(prepared_proofs.size() <= config.log_window);
  PHALANX_ASSERT(prepared_bodies.size() <= config.log_window);
  PHALANX_ASSERT(view_changes.size() <= config.n() && new_view_replies.size() <= config.n());
  PHALANX_ASSERT(timeout_multiplier >= 1 && timeout_multiplier <= 8);
  PHALANX_ASSERT(!view_changing || !new_view_message);
  PHALANX_ASSERT(peer_claims.size() < config.n() && catch_up_serves.size() < config.n());
  PHALANX_ASSERT(catch_up_buffer.size() <= kCatchUpWindowBlocks &&
                 catch_up_refused.size() < config.n());
  PHALANX_ASSERT(catch_up_buffer.empty() ||
                 catch_up_buffer.rbegin()->first <= catch_up_requested_last);
  PHALANX_ASSERT(catch_up_outputs.size() <= kCatchUpWindowBlocks);
  PHALANX_ASSERT(catch_up_buffer_bytes + catch_up_output_bytes <=
                 config.catch_up_bytes_max + catch_up_payload_bytes_max(config.block_limits));
  PHALANX_ASSERT(checkpoint_hashes.size() <= state_roots.size());
  PHALANX_ASSERT(!catching_up || catch_up_peer != config.self);
  for (const auto& [height, entry] : log.entries()) {
    PHALANX_ASSERT(entry.output == (height <= committed_height));
    PHALANX_ASSERT(!entry.output || entry.commit_ready);
  }
}

bool Replica::Impl::verified(const Message& message) {
  const Bytes body = signed_body(message);
  return verifier->verify(message.from, domain_of(message.kind), body, message.signature);
}

void Replica::Impl::broadcast(const Message& message) {
  pending.messages.push_back({std::nullopt, message});
}

void Replica::Impl::send_to(uint32_t peer, const Message& message) {
  PHALANX_ASSERT(peer < config.n() && peer != config.self);
  pending.messages.push_back({peer, message});
}

bool Replica::Impl::has_ready() const { return journal.has_pending() || !pending.empty(); }

Ready Replica::Impl::take_ready() {
  Ready ready = std::move(pending);
  pending = Ready{};
  ready.to_persist = journal.take_pending();
  ++readies_outstanding;
  return ready;
}

// --- public API -------------------------------------------------------------------------

Status Replica::validate_persisted(const Config& config,
                                   const std::map<std::string, Bytes>& persisted,
                                   const ExecutedState& executed) {
  auto state = parse_persisted(config, persisted);
  if (!state) return state.status();
  return check_executed(config, *state, executed);
}

Replica::Replica(Config config, std::unique_ptr<Signer> signer, std::unique_ptr<Verifier> verifier,
                 const std::map<std::string, Bytes>& persisted, const ExecutedState& executed,
                 uint64_t now_ms) {
  PHALANX_ASSERT(config.n() >= 4 && config.self < config.n());
  PHALANX_ASSERT(config.pipeline_depth >= 1 && config.pipeline_depth <= config.log_window);
  PHALANX_ASSERT(config.checkpoint_interval >= 1 && verifier != nullptr);
  // VIEW-CHANGE and NEW-VIEW travel in the envelope's payload, bounded by the block limit.
  PHALANX_ASSERT_MSG(new_view_bytes_max(config) <= config.block_limits.bytes_max,
                     "a NEW-VIEW for this (n, L) would not fit a consensus message");
  PHALANX_ASSERT_MSG(config.n() <= kCertificateValidatorsMax,
                     "commit certificates of this many validators would not fit a message");
  auto state = parse_persisted(config, persisted);
  PHALANX_ASSERT_MSG(state.is_ok(), state.is_ok() ? "" : state.message().c_str());
  const Status fits = check_executed(config, *state, executed);
  PHALANX_ASSERT_MSG(fits.is_ok(), fits.to_string().c_str());
  impl_ = std::make_unique<Impl>(std::move(config), std::move(signer), std::move(verifier), now_ms);
  impl_->restore(*state, executed);
  if (impl_->view_changing) {
    // Re-send the VIEW-CHANGE for the view it was moving to (the view is already durable).
    impl_->timer_running = true;
    impl_->timer_start_ms = now_ms;
    impl_->send_view_change();
  }
  impl_->sign_missing_checkpoints();  // a crash may have come between executing and signing
  impl_->attach_prepared_bodies();
  impl_->progress();
  impl_->try_stabilize();
  impl_->counters.safety_refusals = impl_->safety.refusals();
  impl_->check_invariants();
}

Replica::~Replica() = default;

void Replica::step(const Message& message) {
  impl_->check_invariants();
  impl_->step(message);
  impl_->counters.safety_refusals = impl_->safety.refusals();
  impl_->check_invariants();
}

void Replica::tick(uint64_t now_ms) {
  impl_->check_invariants();
  impl_->tick(now_ms);
  impl_->counters.safety_refusals = impl_->safety.refusals();
  impl_->check_invariants();
}

bool Replica::can_propose() const { return impl_->can_propose(); }

void Replica::propose(std::vector<ledger::SignedTransaction> txs) {
  impl_->check_invariants();
  impl_->propose(std::move(txs));
  impl_->counters.safety_refusals = impl_->safety.refusals();
  impl_->check_invariants();
}

void Replica::on_validated(uint64_t height, const Hash& digest, bool valid) {
  impl_->check_invariants();
  impl_->on_validated(height, digest, valid);
  impl_->counters.safety_refusals = impl_->safety.refusals();
  impl_->check_invariants();
}

void Replica::on_executed(uint64_t height, const Hash& state_root) {
  impl_->check_invariants();
  impl_->on_executed(height, state_root);
  impl_->counters.safety_refusals = impl_->safety.refusals();
  impl_->check_invariants();
}

void Replica::note_pending_request(bool has_pending) {
  impl_->check_invariants();
  impl_->note_pending_request(has_pending);
  impl_->check_invariants();
}

bool Replica::has_ready() const { return impl_->has_ready(); }

Ready Replica::ready() { return impl_->take_ready(); }

void Replica::advance(const Ready& ready) {
  (void)ready;
  PHALANX_ASSERT_MSG(impl_->readies_outstanding > 0, "advance() without a ready()");
  --impl_->readies_outstanding;
}

uint64_t Replica::view() const { return impl_->view; }
bool Replica::view_changing() const { return impl_->view_changing; }
uint32_t Replica::primary() const { return impl_->config.primary_of(impl_->view); }
uint64_t Replica::committed_height() const { return impl_->committed_height; }
uint64_t Replica::stable_checkpoint() const { return impl_->log.low(); }
bool Replica::catching_up() const { return impl_->catching_up; }
const Counters& Replica::counters() const { return impl_->counters; }

}  // namespace phalanx::consensus
