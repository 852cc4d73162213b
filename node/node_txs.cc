// The transaction path: client submissions and peer gossip into the mempool, gossip out,
// and proposing blocks from the mempool.
#include <spdlog/spdlog.h>

#include "node/node.h"
#include "node/node_internal.h"
#include "node/wire.h"

namespace phalanx::node {

// Signatures were checked on the RPC worker (NodeBackend) or by the verification pool
// (on_peer_txs), so the mempool's last check is a cache hit.
void Node::on_submit(SubmitEvent& event) {
  auto snapshot = round_snapshot();
  if (!snapshot) {
    event.reply->set_value(
        {AdmissionError::kInternal, "cannot read the ledger: " + snapshot.message()});
    return;
  }
  const SnapshotAccounts accounts(**snapshot);
  const Admission admission = mempool_->admit(
      std::move(event.tx), accounts,
      [this](const ledger::SignedTransaction& tx) { return cache_->verify(tx); },
      TxOrigin::kClient);
  event.reply->set_value({admission.error, admission.message});
}

Result<const ledger::Snapshot*> Node::round_snapshot() {
  if (!round_snapshot_) {
    auto snapshot = store_->snapshot();
    if (!snapshot) return snapshot.status();
    round_snapshot_.emplace(std::move(snapshot).value());
  }
  return &*round_snapshot_;
}

// Verification happens on the pool's workers; the batch comes back as TxsVerifiedEvent.
void Node::on_peer_txs(PeerTxsEvent& event) {
  auto txs = std::make_shared<std::vector<ledger::SignedTransaction>>();
  txs->reserve(event.txs.size());
  for (ledger::SignedTransaction& tx : event.txs) {
    if (!mempool_->contains(tx.hash)) txs->push_back(std::move(tx));
  }
  if (txs->empty()) return;
  TxRefs refs;
  refs.reserve(txs->size());
  for (const auto& tx : *txs) refs.push_back(&tx);
  const Status submitted = pool_->submit(std::move(refs), [this, txs](std::vector<bool>) {
    (void)queue_->push_always(TxsVerifiedEvent{txs}, 0);
  });
  // Gossip is best effort: the proposal carrying these txs brings them again.
  if (!submitted) counters_.peer_txs_dropped += txs->size();
}

void Node::on_txs_verified(const TxsVerifiedEvent& event) {
  auto snapshot = round_snapshot();
  if (!snapshot) {
    log_->error("cannot read the ledger to admit gossiped transactions: {}", snapshot.message());
    return;
  }
  const SnapshotAccounts accounts(**snapshot);
  const SignatureVerifier verify = [this](const ledger::SignedTransaction& tx) {
    return cache_->verify(tx);
  };
  for (const ledger::SignedTransaction& tx : *event.txs) {
    (void)mempool_->admit(tx, accounts, verify, TxOrigin::kPeer);
  }
}

// Adaptive batching: with none of our blocks in flight, propose whatever is eligible at
// once (lowest latency when idle); with some in flight, wait until propose_batch_txs are
// waiting or the oldest has waited propose_delay_ms (bigger blocks when busy). The
// pipeline depth W bounds how many blocks are in flight. Never an empty block.
bool Node::maybe_propose(uint64_t now_ms) {
  if (!replica_->can_propose()) return false;
  const size_t idle = mempool_->size() - mempool_->in_flight();
  if (idle == 0) {
    idle_since_ms_.reset();
    return false;
  }
  const std::pair<size_t, uint64_t> state{mempool_->size(), replica_->committed_height()};
  if (nothing_eligible_ == state) return false;
  if (proposed_height_ > replica_->committed_height()) {
    if (!idle_since_ms_) idle_since_ms_ = now_ms;
    if (idle < config_.propose_batch_txs && now_ms - *idle_since_ms_ < config_.propose_delay_ms) {
      return false;
    }
  }
  // Room for the header and each transaction's length prefix within the block byte limit.
  const ledger::BlockLimits& limits = genesis_.block_limits;
  const size_t room = limits.bytes_max - ledger::kBlockHeaderBytesMax;
  const size_t txs_max = std::min<size_t>(limits.txs_max, room / (2 + wire_tx_bytes_min));
  std::vector<ledger::SignedTransaction> txs = mempool_->take_batch(txs_max, room - 2 * txs_max);
  if (txs.empty()) {
    nothing_eligible_ = state;
    return false;
  }
  nothing_eligible_.reset();
  idle_since_ms_.reset();
  proposed_height_ = std::max(proposed_height_, replica_->committed_height()) + 1;
  ++counters_.blocks_proposed;
  replica_->propose(std::move(txs));
  return true;
}

// Each client transaction goes to every peer once; peers do not relay (full mesh).
void Node::gossip() {
  while (mempool_->gossip_backlog() > 0) {
    const std::vector<ledger::SignedTransaction> batch =
        mempool_->take_gossip_batch(wire_gossip_tx_bytes_max);
    if (batch.empty()) return;
    (void)transport_->broadcast(encode_tx_batch_frame(batch));
  }
}

}  // namespace phalanx::node
