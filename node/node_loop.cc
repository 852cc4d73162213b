// The event loop: events in, the replica's Ready out, in the duty order of
// consensus/replica.h (persist, send, apply, validate, advance).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "consensus/catch_up.h"
#include "node/node.h"
#include "node/node_internal.h"
#include "node/wire.h"

namespace phalanx::node {

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kPeerCheckInterval = std::chrono::milliseconds(250);
// A sender's next tx waiting this long (one to two intervals) in our mempool is gossiped again.
constexpr auto kStaleHeadInterval = std::chrono::seconds(2);
// How often, at most, the loop logs what it refused from peers (when that changed).
constexpr auto kPeerFaultsLogInterval = std::chrono::seconds(2);

void refuse(NodeEvent& event) {
  if (auto* submit = std::get_if<SubmitEvent>(&event)) {
    submit->reply->set_value({AdmissionError::kInternal, "the node is shutting down"});
  }
  // Any other event is dropped; a query's destroyed closure breaks its promise.
}

}  // namespace

Status Node::run() {
  const auto tick = std::chrono::milliseconds(config_.tick_ms);
  Clock::time_point next_tick = Clock::now();
  std::vector<NodeEvent> events;
  events.reserve(node_events_per_round_max);
  bool stop = false;
  Status result;
  publish_status();
  while (!stop && result.is_ok()) {
    events.clear();
    queue_->pop_wait(&events, node_events_per_round_max, next_tick);
    size_t handled = 0;
    while (handled < events.size() && !stop) handle(events[handled++], &stop);
    round_snapshot_.reset();
    for (size_t i = handled; i < events.size(); ++i) refuse(events[i]);
    if (stop) break;
    if (Clock::now() >= next_tick) {
      on_tick(unix_now_ms());
      next_tick = Clock::now() + tick;
    }
    result = loop_error_.is_ok() ? drain_ready() : loop_error_;
    watch_view();
    watch_catch_up();
    gossip();
    publish_status();
  }
  writer_->stop();  // writes what is queued; its answers are refused below
  queue_->close();
  drain_after_stop();
  if (!result) log_->critical("stopping on a fatal error: {}", result.message());
  return result;
}

void Node::handle(NodeEvent& event, bool* stop) {
  std::visit(
      [&](auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, PeerMessageEvent>) {
          if (e.message.kind == consensus::MessageKind::kCatchUpResponse) catch_up_source_ = e.from;
          if (hooks_) send_frames(hooks_->inbound(e.from, e.message));
          replica_->step(e.message);
        } else if constexpr (std::is_same_v<E, PeerTxsEvent>) {
          on_peer_txs(e);
        } else if constexpr (std::is_same_v<E, SubmitEvent>) {
          on_submit(e);
        } else if constexpr (std::is_same_v<E, TxsVerifiedEvent>) {
          on_txs_verified(e);
        } else if constexpr (std::is_same_v<E, BlockValidatedEvent>) {
          replica_->on_validated(e.height, e.digest, e.valid);
        } else if constexpr (std::is_same_v<E, LedgerBatchEvent>) {
          const Status applied = on_ledger_batch(e.batch);
          if (!applied && loop_error_.is_ok()) loop_error_ = applied;
        } else if constexpr (std::is_same_v<E, QueryEvent>) {
          e.run(*mempool_, *store_);
        } else {
          static_assert(std::is_same_v<E, StopEvent>);
          *stop = true;
        }
      },
      event);
}

void Node::drain_after_stop() {
  std::vector<NodeEvent> rest;
  while (queue_->pop_wait(&rest, node_events_per_round_max, Clock::now()) > 0) {
    for (NodeEvent& event : rest) refuse(event);
    rest.clear();
  }
}

// Ready batches until the replica has nothing more to say, interleaved with the answers
// for empty proposals and with proposing, each of which can produce another Ready.
Status Node::drain_ready() {
  const uint64_t now_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
          .count());
  for (size_t round = 0; round < node_ready_rounds_max; ++round) {
    if (replica_->has_ready()) {
      consensus::Ready ready = replica_->ready();
      PHALANX_RETURN_IF_ERROR(process(ready));
      replica_->advance(ready);
      continue;
    }
    if (!validated_inline_.empty()) {
      std::vector<BlockValidatedEvent> answers;
      answers.swap(validated_inline_);
      for (const auto& answer : answers) {
        replica_->on_validated(answer.height, answer.digest, answer.valid);
      }
      continue;
    }
    // A view entered in this round must release the old view's in-flight marks before we
    // propose: a tx marked in flight by the old primary's abandoned proposal would let its
    // successor nonce into our block alone, where it fails with "nonce gap" (tests/faults
    // partition-bridge).
    watch_view();
    if (!maybe_propose(now_ms)) break;
  }
  return Status::ok();
}

Status Node::process(consensus::Ready& ready) {
  PHALANX_RETURN_IF_ERROR(persist(ready.to_persist));  // 1. durable before anything leaves
  send(ready.messages);                                // 2.
  // 3. In height order. Blocks fetched by catch-up arrive here too, their commit
  // certificate verified by the replica; their tx signatures are not checked again (a
  // quorum validated them), and they are applied exactly like the others.
  note_catch_up(ready.committed);
  PHALANX_RETURN_IF_ERROR(apply(&ready.committed));
  request_validations(std::move(ready.validation_requests));                           // 4.
  for (const consensus::ServeRequest& request : ready.serve_requests) serve(request);  // 5.
  return Status::ok();
}

Status Node::persist(const std::vector<consensus::PersistOp>& ops) {
  const Status written = consensus_store_->write(ops);
  if (!written) return Status::error("cannot persist consensus records: " + written.message());
  return Status::ok();
}

void Node::send(const std::vector<consensus::Outbound>& messages) {
  for (const consensus::Outbound& outbound : messages) (void)send_message(outbound);
}

bool Node::send_message(const consensus::Outbound& outbound) {
  if (hooks_) return send_frames(hooks_->outbound(outbound));
  Bytes frame = encode_consensus_frame(outbound.message);
  if (outbound.to) return transport_->send(*outbound.to, std::move(frame));
  return transport_->broadcast(std::move(frame));
}

bool Node::send_frames(std::vector<HookFrame> frames) {
  bool all_sent = true;
  for (HookFrame& frame : frames) {
    const bool sent = frame.to ? transport_->send(*frame.to, std::move(frame.frame))
                               : transport_->broadcast(std::move(frame.frame));
    all_sent = all_sent && sent;
  }
  return all_sent;
}

// A whole catch-up window fits the writer's queue with room to spare for the normal case, so
// handing catch-up blocks over never makes the loop wait for the disk.
static_assert(consensus::kCatchUpWindowBlocks * 2 <= writer_blocks_queued_max);

// Committed blocks go to the ledger writer in height order (node/ledger_writer.h); the loop
// goes on voting while they are written. Until a block comes back its transactions stay
// marked in flight in the mempool, also across a view change (watch_view), so no primary
// proposes them again.
Status Node::apply(std::vector<consensus::CommittedBlock>* committed) {
  if (committed->empty()) return Status::ok();
  std::vector<BlockToWrite> blocks;
  blocks.reserve(committed->size());
  for (consensus::CommittedBlock& block : *committed) {
    writing_.push_back(ledger::transaction_hashes(block.block));
    mempool_->mark_committed(writing_.back());
    blocks.push_back({{std::move(block.block), std::move(block.certificate)}, block.hash});
  }
  if (!writer_->submit(std::move(blocks))) {
    return Status::error("the ledger writer stopped after an error");
  }
  return Status::ok();
}

// A ledger transaction came back (in submission order): the mempool forgets what the blocks
// included and re-checks the senders they touched, against the snapshot taken right after
// that transaction (an account changes only through a committed tx, so this is what
// block-by-block re-checks would leave); then the replica learns each new state root, in
// height order.
Status Node::on_ledger_batch(LedgerBatch& batch) {
  round_snapshot_.reset();  // admissions after the batch read the state it left
  if (!batch.status) return batch.status;
  PHALANX_ASSERT(batch.executed.size() == batch.blocks.size() &&
                 writing_.size() >= batch.blocks.size());
  std::vector<crypto::Hash> included;
  std::vector<crypto::Address> changed;
  for (size_t i = 0; i < batch.blocks.size(); ++i) {
    PHALANX_ASSERT_MSG(batch.executed[i].block_hash == batch.blocks[i].hash,
                       "ledger and consensus hash agree");
    const std::vector<crypto::Hash>& hashes = writing_.front();
    included.insert(included.end(), hashes.begin(), hashes.end());
    writing_.pop_front();
    for (const auto& [address, account] : batch.executed[i].outcome.accounts) {
      changed.push_back(address);
    }
  }
  const SnapshotAccounts accounts(*batch.snapshot);
  auto report = mempool_->on_block_committed(included, changed, accounts);
  if (!report) return Status::error("cannot reconcile the mempool: " + report.message());
  for (size_t i = 0; i < batch.blocks.size(); ++i) {
    const ledger::ExecutedBlock& block = batch.executed[i];
    replica_->on_executed(block.height, block.state_root);
    tip_hash_ = block.block_hash;
    ++counters_.blocks_committed;
    counters_.txs_committed += block.outcome.committed_count();
    log_committed(batch.blocks[i].block.block, block.block_hash, block.outcome.committed_count());
  }
  return Status::ok();
}

void Node::log_committed(const ledger::Block& block, const crypto::Hash& hash,
                         uint64_t committed_txs) {
  const uint64_t now = unix_now_ms();
  const uint64_t latency = now > block.header.timestamp_ms ? now - block.header.timestamp_ms : 0;
  log_->info("committed block {} {}: {} txs ({} failed), view {}, latency {} ms, mempool {}",
             block.header.height, hex_encode(hash).substr(0, 16), block.transactions.size(),
             block.transactions.size() - committed_txs, block.header.view, latency,
             mempool_->size());
}

void Node::request_validations(std::vector<consensus::ValidationRequest> requests) {
  for (consensus::ValidationRequest& request : requests) {
    // Another primary's proposal: its transactions are on their way into a block.
    if (request.block->header.proposer != self_) {
      const std::vector<crypto::Hash> hashes = ledger::transaction_hashes(*request.block);
      mempool_->mark_in_flight(hashes);
    }
    validations_waiting_.push_back(std::move(request));
  }
  retry_validations();
}

// Hands waiting validation requests to the verification pool; one the pool cannot take
// now stays first in line for the next tick (the replica waits for every answer).
void Node::retry_validations() {
  while (!validations_waiting_.empty()) {
    const consensus::ValidationRequest& request = validations_waiting_.front();
    std::shared_ptr<const ledger::Block> block = request.block;
    const uint64_t height = request.height;
    const crypto::Hash digest = request.digest;
    if (block->transactions.empty()) {
      validated_inline_.push_back({height, digest, true});
      validations_waiting_.pop_front();
      continue;
    }
    TxRefs txs;
    txs.reserve(block->transactions.size());
    for (const auto& tx : block->transactions) txs.push_back(&tx);
    // The completion holds the block, so the pointers stay valid until it ran.
    const Status submitted =
        pool_->submit(std::move(txs), [this, block, height, digest](std::vector<bool> valid) {
          const bool all = std::all_of(valid.begin(), valid.end(), [](bool ok) { return ok; });
          (void)queue_->push_always(BlockValidatedEvent{height, digest, all}, 0);
        });
    if (!submitted) return;
    validations_waiting_.pop_front();
  }
}

void Node::on_tick(uint64_t now_ms) {
  // PBFT's view-change timer waits on the requests the node holds: a tx the next block
  // could carry that no primary orders is the sign of a faulty one.
  replica_->note_pending_request(mempool_->has_executable());
  replica_->tick(now_ms);
  if (hooks_) send_frames(hooks_->tick(now_ms));
  retry_validations();
  const size_t expired = mempool_->expire_gapped(now_ms).size();
  if (expired > 0) log_->info("dropped {} txs that waited behind a nonce gap too long", expired);
  if (Clock::now() - peers_checked_ >= kPeerCheckInterval) {
    peers_checked_ = Clock::now();
    watch_peers();
  }
  if (Clock::now() - faults_logged_ >= kPeerFaultsLogInterval) {
    faults_logged_ = Clock::now();
    log_peer_faults(/*changed_only=*/true);
  }
}

// What the replica and the frame decoder refused from peers, so an operator (and the
// Byzantine tests, docs/byzantine.md) can see a misbehaving validator: one line when the
// counts changed, and one at shutdown.
void Node::log_peer_faults(bool changed_only) {
  const consensus::Counters& c = replica_->counters();
  const uint64_t malformed = counters_.frames_malformed.load();
  const uint64_t wrong_sender = counters_.frames_wrong_sender.load();
  const uint64_t sum = c.dropped_bad_signature + c.equivocations + c.dropped_invalid_proposal +
                       c.forged_certificates_refused + c.dropped_view_changes +
                       c.new_views_rejected + c.dropped_statuses + malformed + wrong_sender;
  if (changed_only && sum == faults_last_) return;
  faults_last_ = sum;
  log_->warn(
      "refused from peers so far: bad signatures {}, equivocating pre-prepares {}, invalid "
      "proposals {}, forged catch-up responses {}, invalid view changes {}, rejected new views "
      "{}, invalid statuses {}, malformed frames {}, frames naming another sender {}",
      c.dropped_bad_signature, c.equivocations, c.dropped_invalid_proposal,
      c.forged_certificates_refused, c.dropped_view_changes, c.new_views_rejected,
      c.dropped_statuses, malformed, wrong_sender);
}

void Node::watch_peers() {
  bool new_link = false;
  for (uint32_t peer = 0; peer < peer_up_.size(); ++peer) {
    if (peer == self_) continue;
    const uint64_t links_up = transport_->peer_links_up(peer);
    new_link = new_link || links_up != peer_links_up_[peer];
    peer_links_up_[peer] = links_up;
    const bool up = transport_->peer_connected(peer);
    if (up == peer_up_[peer]) continue;
    peer_up_[peer] = up;
    if (up) {
      log_->info("peer {} connected ({})", peer, genesis_.validators[peer].p2p);
    } else {
      log_->warn("peer {} lost ({})", peer, genesis_.validators[peer].p2p);
    }
  }
  // Gossip is sent once per tx, and frames queued on a link that died, or sent while the
  // peer was unreachable, are lost: a tx a client gave us during a partition would never
  // reach the others, and the sender's later txs would wait behind its nonce forever
  // (tests/faults partition scenarios). Every new link gets our clients' pending txs again;
  // peers that have them drop them by hash.
  if (new_link) {
    const size_t requeued = mempool_->requeue_client_gossip();
    if (requeued > 0) log_->info("new peer link: gossiping {} pending client txs again", requeued);
  }
  // Gossip frames are also dropped when a queue is full (overload, a paused peer): repair the
  // ones that matter, a sender's next tx still waiting here after a whole interval.
  if (Clock::now() - stale_heads_checked_ >= kStaleHeadInterval) {
    stale_heads_checked_ = Clock::now();
    const size_t requeued = mempool_->requeue_stale_heads();
    if (requeued > 0) log_->info("gossiping {} waiting client txs again", requeued);
  }
}

// A new view abandons the old primary's uncommitted proposals (a NEW-VIEW re-proposes what
// was prepared, and its validation requests mark those transactions in flight again), so
// every transaction becomes eligible again; propose() leaves out any still in a block.
void Node::watch_view() {
  const uint64_t view = replica_->view();
  const bool changing = replica_->view_changing();
  if (view == view_ && changing == view_changing_) return;
  if (view != view_) {
    mempool_->release_all_in_flight();
    for (const std::vector<crypto::Hash>& hashes : writing_) mempool_->mark_committed(hashes);
    log_->info("view change to view {}, primary {}{}", view, replica_->primary(),
               changing ? " (waiting for its NEW-VIEW)" : "");
  } else if (!changing) {
    log_->info("entered view {}, primary {}", view, replica_->primary());
  }
  view_ = view;
  view_changing_ = changing;
}

void Node::publish_status() {
  LoopStatus status;
  status.height = store_->height();
  status.last_block_hash = tip_hash_;
  status.view = replica_->view();
  status.primary = replica_->primary();
  status.mempool_size = mempool_->size();
  status.syncing = replica_->catching_up();
  board_.publish(status);
}

}  // namespace phalanx::node
