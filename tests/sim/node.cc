// SimNode: the caller's Ready loop with crash points (see node.h).
#include "tests/sim/node.h"

namespace phalanx::sim {
void add_counters(consensus::Counters* sum, const consensus::Counters& more) {
  sum->dropped_not_validator += more.dropped_not_validator;
  sum->dropped_bad_signature += more.dropped_bad_signature;
  sum->dropped_wrong_view += more.dropped_wrong_view;
  sum->dropped_outside_watermarks += more.dropped_outside_watermarks;
  sum->dropped_invalid_proposal += more.dropped_invalid_proposal;
  sum->duplicate_votes_ignored += more.duplicate_votes_ignored;
  sum->pipelined_heights += more.pipelined_heights;
  sum->checkpoints_stable += more.checkpoints_stable;
  sum->checkpoint_gcs += more.checkpoint_gcs;
  sum->blocks_committed += more.blocks_committed;
  sum->safety_refusals += more.safety_refusals;
  sum->equivocations += more.equivocations;
  sum->dropped_malformed += more.dropped_malformed;
}

std::string_view crash_point_name(CrashPoint point) {
  switch (point) {
    case CrashPoint::kBeforePersist:
      return "before persisting";
    case CrashPoint::kAfterPersist:
      return "after persisting, before sending";
    case CrashPoint::kAfterSend:
      return "after sending, before applying";
    case CrashPoint::kDuringApply:
      return "while applying committed blocks";
    case CrashPoint::kAfterApply:
      return "after applying";
    case CrashPoint::kIdle:
      return "between events (no Ready came by in time)";
  }
  return "unknown";
}

SimNode::SimNode(NodeSetup setup, NodeHost* host, Checker* checker, Trace* trace)
    : setup_(std::move(setup)),
      host_(host),
      checker_(checker),
      trace_(trace),
      ledger_(setup_.config.genesis_hash, setup_.config.genesis_state_root,
              setup_.config.genesis_time_ms) {}

void SimNode::start() {
  PHALANX_ASSERT(!up());
  const auto& keyring = *setup_.keyring;
  const consensus::ExecutedState executed = ledger_.executed_state(setup_.config.pipeline_depth);
  if (trace_->on()) {
    trace_->line(host_->time_ms(), static_cast<int>(id()),
                 (incarnation_ == 0 ? "start" : "restart") + std::string(" from ") +
                     std::to_string(storage_.size()) + " persisted records, executed height " +
                     std::to_string(executed.height));
  }
  replica_ = std::make_unique<consensus::Replica>(setup_.config, keyring.signer(id()),
                                                  keyring.verifier(), storage_, executed, now_ms());
  if (incarnation_ > 0) ++restarts_;
  pump();
}

void SimNode::arm_crash(CrashPoint point, uint32_t apply_index) {
  armed_ = point;
  armed_apply_index_ = apply_index;
}

void SimNode::crash_now() {
  PHALANX_ASSERT(up());
  crash(CrashPoint::kIdle);
}

void SimNode::crash(CrashPoint point) {
  add_counters(&past_counters_, replica_->counters());
  replica_.reset();
  mempool_.clear();
  proposal_txs_.clear();
  armed_.reset();
  ++incarnation_;
  if (trace_->on()) {
    trace_->line(host_->time_ms(), static_cast<int>(id()),
                 "CRASH " + std::string(crash_point_name(point)));
  }
  host_->on_crashed(id(), point);
}

bool SimNode::crash_if_armed(CrashPoint point, uint32_t apply_index) {
  if (!armed_ || *armed_ != point) return false;
  if (point == CrashPoint::kDuringApply && apply_index != armed_apply_index_) return false;
  crash(point);
  return true;
}

consensus::Counters SimNode::counters() const {
  consensus::Counters sum = past_counters_;
  if (up()) add_counters(&sum, replica_->counters());
  return sum;
}

void SimNode::step(const consensus::Message& message) {
  PHALANX_ASSERT(up());
  replica_->step(message);
  pump();
}

void SimNode::tick() {
  PHALANX_ASSERT(up());
  replica_->tick(now_ms());
  pump();
}

void SimNode::validated(uint64_t height, const crypto::Hash& digest, bool valid) {
  PHALANX_ASSERT(up());
  replica_->on_validated(height, digest, valid);
  pump();
}

void SimNode::submit(const ledger::SignedTransaction& tx) {
  PHALANX_ASSERT(up());
  if (ledger_.contains_tx(tx.hash)) return;  // already executed here
  mempool_.add(tx);
  pump();
}

bool SimNode::maybe_propose() {
  if (mempool_.empty() || !replica_->can_propose()) return false;
  std::vector<ledger::SignedTransaction> batch = mempool_.take(setup_.batch_txs_max);
  for (const auto& tx : batch) proposal_txs_.push_back(tx.hash);
  if (trace_->on()) {
    trace_->line(host_->time_ms(), static_cast<int>(id()),
                 "propose " + std::to_string(batch.size()) + " txs (mempool " +
                     std::to_string(mempool_.size()) + " left)");
  }
  replica_->propose(std::move(batch));
  return true;
}

void SimNode::pump() {
  for (uint32_t round = 0; up(); ++round) {
    if (round >= kReadyRoundsMax) {
      checker_->fail(Invariant::kProgress, "replica " + std::to_string(id()) + " produced " +
                                               std::to_string(round) +
                                               " Ready batches for one event");
      return;
    }
    if (replica_->has_ready()) {
      consensus::Ready ready = replica_->ready();
      if (!process(ready)) return;  // crashed
      replica_->advance(ready);
      continue;
    }
    if (!maybe_propose()) return;
  }
}

bool SimNode::process(consensus::Ready& ready) {
  if (crash_if_armed(CrashPoint::kBeforePersist)) return false;
  persist(ready.to_persist);
  if (!proposal_txs_.empty()) {
    host_->on_proposal_persisted(id(), proposal_txs_);
    proposal_txs_.clear();
  }
  if (crash_if_armed(CrashPoint::kAfterPersist)) return false;
  for (const auto& outbound : ready.messages) host_->send(id(), outbound);
  if (crash_if_armed(CrashPoint::kAfterSend)) return false;
  if (!apply(ready.committed)) return false;
  if (crash_if_armed(CrashPoint::kAfterApply)) return false;
  for (const auto& request : ready.validation_requests) {
    host_->request_validation(id(), incarnation_, request);
  }
  return true;
}

void SimNode::persist(const std::vector<consensus::PersistOp>& ops) {
  for (const auto& op : ops) {
    if (op.type == consensus::PersistOp::Type::kPut) {
      storage_[op.key] = op.value;
    } else {
      storage_.erase(op.key);
    }
  }
  if (storage_.size() > setup_.persisted_keys_max) {
    checker_->fail(Invariant::kBounds, "replica " + std::to_string(id()) + " holds " +
                                           std::to_string(storage_.size()) +
                                           " persisted records, the bound is " +
                                           std::to_string(setup_.persisted_keys_max));
  }
}

bool SimNode::apply(const std::vector<consensus::CommittedBlock>& blocks) {
  for (uint32_t i = 0; i < blocks.size(); ++i) {
    if (crash_if_armed(CrashPoint::kDuringApply, i)) return false;
    const consensus::CommittedBlock& committed = blocks[i];
    if (!checker_->on_committed(id(), ledger_.height(), ledger_.tip_hash(), committed)) continue;
    const crypto::Hash root = ledger_.apply(committed.block, committed.hash);
    checker_->on_executed(id(), ledger_.height(), root);
    for (const auto& tx : committed.block.transactions) mempool_.remove(tx.hash);
    if (trace_->on()) {
      trace_->line(host_->time_ms(), static_cast<int>(id()),
                   "execute h" + std::to_string(ledger_.height()) + " " +
                       short_hex(committed.hash) + " (" +
                       std::to_string(committed.block.transactions.size()) +
                       " txs) root=" + short_hex(root));
    }
    replica_->on_executed(ledger_.height(), root);
  }
  return true;
}

}  // namespace phalanx::sim
