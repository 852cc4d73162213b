// SimNode: the caller's Ready loop with crash points (see node.h).
#include "tests/sim/node.h"

#include <set>

#include "consensus/catch_up.h"
#include "consensus/codec.h"
#include "tests/sim/byzantine.h"

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
  sum->view_changes += more.view_changes;
  sum->view_change_timeouts += more.view_change_timeouts;
  sum->dropped_view_changes += more.dropped_view_changes;
  sum->new_views_sent += more.new_views_sent;
  sum->new_views_accepted += more.new_views_accepted;
  sum->new_views_rejected += more.new_views_rejected;
  sum->reproposed_certificates += more.reproposed_certificates;
  sum->bodies_fetched += more.bodies_fetched;
  sum->statuses_sent += more.statuses_sent;
  sum->dropped_statuses += more.dropped_statuses;
  sum->catch_ups += more.catch_ups;
  sum->catch_up_blocks += more.catch_up_blocks;
  sum->catch_up_requests_served += more.catch_up_requests_served;
  sum->dropped_catch_up_responses += more.dropped_catch_up_responses;
  sum->forged_certificates_refused += more.forged_certificates_refused;
  sum->catch_up_checkpoints_adopted += more.catch_up_checkpoints_adopted;
  sum->new_views_fetched += more.new_views_fetched;
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
  pending_noted_ = false;
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
  in_flight_.clear();
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

void SimNode::submit(const std::vector<const ledger::SignedTransaction*>& txs) {
  PHALANX_ASSERT(up());
  for (const ledger::SignedTransaction* tx : txs) {
    if (ledger_.contains_tx(tx->hash)) continue;  // already executed here
    if (setup_.byzantine != nullptr && setup_.byzantine->censors(tx->hash)) continue;
    mempool_.add(*tx);
  }
  pump();
}

bool SimNode::repeats_tx(const ledger::Block& block) const {
  std::set<crypto::Hash> seen;
  for (const auto& tx : block.transactions) {
    if (!seen.insert(tx.hash).second || ledger_.executed_below(tx.hash, block.header.height)) {
      return true;
    }
  }
  crypto::Hash ancestor = block.header.prev_hash;
  for (auto it = in_flight_.find(ancestor);
       it != in_flight_.end() && it->second.height > ledger_.height() &&
       it->second.height < block.header.height;
       it = in_flight_.find(ancestor)) {
    for (const crypto::Hash& tx : it->second.txs) {
      if (seen.count(tx) > 0) return true;
    }
    ancestor = it->second.prev_hash;
  }
  return false;
}

void SimNode::remember_block(const crypto::Hash& hash, const ledger::Block& block) {
  if (block.header.height <= ledger_.height() || in_flight_.count(hash) > 0) return;
  InFlightBlock entry{block.header.height, block.header.prev_hash, {}};
  for (const auto& tx : block.transactions) entry.txs.push_back(tx.hash);
  in_flight_.emplace(hash, std::move(entry));
  const size_t bound = setup_.config.log_window + kInFlightBlocksSlack;
  while (in_flight_.size() > bound) {  // the lowest height goes first
    auto lowest = in_flight_.begin();
    for (auto it = in_flight_.begin(); it != in_flight_.end(); ++it) {
      if (it->second.height < lowest->second.height) lowest = it;
    }
    in_flight_.erase(lowest);
  }
}

void SimNode::remember_own_proposals(const std::vector<consensus::Outbound>& messages) {
  for (const auto& outbound : messages) {
    const consensus::Message& message = outbound.message;
    if (message.kind != consensus::MessageKind::kPrePrepare || message.from != id() ||
        in_flight_.count(message.digest) > 0) {
      continue;
    }
    auto block = ledger::decode_block(message.block, setup_.config.block_limits);
    PHALANX_ASSERT_MSG(block.is_ok(), "this replica proposed a block that does not decode");
    remember_block(message.digest, *block);
  }
}

void SimNode::forget_executed_blocks() {
  std::erase_if(in_flight_,
                [&](const auto& item) { return item.second.height <= ledger_.height(); });
}

bool SimNode::maybe_propose() {
  if (mempool_.empty() || !replica_->can_propose()) return false;
  std::vector<ledger::SignedTransaction> batch = mempool_.take(setup_.batch_txs_max);
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
    // PBFT §4.4: held client requests keep the view-change timer running.
    if (pending_noted_ != !mempool_.empty()) {
      pending_noted_ = !mempool_.empty();
      replica_->note_pending_request(pending_noted_);
    }
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
  if (crash_if_armed(CrashPoint::kAfterPersist)) return false;
  remember_own_proposals(ready.messages);
  for (const auto& outbound : ready.messages) host_->send(id(), outbound);
  if (crash_if_armed(CrashPoint::kAfterSend)) return false;
  if (!apply(ready.committed)) return false;
  if (crash_if_armed(CrashPoint::kAfterApply)) return false;
  serve(ready.serve_requests);
  for (const auto& request : ready.validation_requests) {
    remember_block(request.digest, *request.block);
    host_->request_validation(id(), incarnation_, request);
  }
  return true;
}

// "vote/prepare: 40 in views 0..3, accept: 20 in views 0..3, ...": which records pile up.
std::string SimNode::describe_records() const {
  struct Tally {
    size_t count = 0;
    std::string first_view, last_view;
  };
  std::map<std::string, Tally> tallies;
  for (const auto& [key, value] : storage_) {
    const size_t last_slash = key.rfind('/');
    const size_t height_slash =
        last_slash == std::string::npos ? last_slash : key.rfind('/', last_slash - 1);
    const bool keyed = height_slash != std::string::npos && height_slash != 0;
    Tally& tally = tallies[keyed ? key.substr(0, height_slash) : key];
    ++tally.count;
    if (!keyed) continue;
    const std::string view = key.substr(last_slash + 1);
    if (tally.first_view.empty() || view < tally.first_view) tally.first_view = view;
    if (view > tally.last_view) tally.last_view = view;
  }
  std::string text;
  for (const auto& [kind, tally] : tallies) {
    text += (text.empty() ? "" : ", ") + kind + ": " + std::to_string(tally.count);
    if (!tally.first_view.empty()) {
      text += " in views " + std::to_string(std::stoull(tally.first_view)) + ".." +
              std::to_string(std::stoull(tally.last_view));
    }
  }
  return text;
}

// Catch-up's caller half: committed blocks with their certificates, one per message.
void SimNode::serve(const std::vector<consensus::ServeRequest>& requests) {
  for (const consensus::ServeRequest& request : requests) {
    for (uint64_t height = request.first; height <= request.last; ++height) {
      if (height == 0 || height > ledger_.height()) break;
      consensus::Outbound outbound;
      outbound.to = request.peer;
      outbound.message = consensus::make_catch_up_response(id(), ledger_.block_at(height),
                                                           ledger_.certificate_at(height));
      host_->send(id(), outbound);
    }
  }
}

void SimNode::persist(const std::vector<consensus::PersistOp>& ops) {
  for (const auto& op : ops) {
    if (op.type == consensus::PersistOp::Type::kPut) {
      storage_[op.key] = op.value;
    } else {
      storage_.erase(op.key);
    }
  }
  // Old views' votes stay until the next checkpoint GC, so records are bounded by the views
  // entered since the stable checkpoint last moved, not by the window alone.
  if (replica_->stable_checkpoint() > checkpoint_seen_) {
    checkpoint_seen_ = replica_->stable_checkpoint();
    view_at_checkpoint_ = replica_->view();
  }
  const size_t views = replica_->view() - std::min(view_at_checkpoint_, replica_->view());
  const size_t bound = setup_.persisted_keys_max + views * setup_.persisted_keys_per_view;
  if (storage_.size() > bound) {
    checker_->fail(Invariant::kBounds, "replica " + std::to_string(id()) + " holds " +
                                           std::to_string(storage_.size()) +
                                           " persisted records, the bound is " +
                                           std::to_string(bound) + " (" + describe_records() + ")");
  }
}

bool SimNode::apply(const std::vector<consensus::CommittedBlock>& blocks) {
  for (uint32_t i = 0; i < blocks.size(); ++i) {
    if (crash_if_armed(CrashPoint::kDuringApply, i)) return false;
    const consensus::CommittedBlock& committed = blocks[i];
    if (!checker_->on_committed(id(), ledger_.height(), ledger_.tip_hash(), committed)) continue;
    const crypto::Hash root = ledger_.apply(committed.block, committed.hash, committed.certificate);
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
  if (!blocks.empty()) forget_executed_blocks();
  return true;
}

}  // namespace phalanx::sim
