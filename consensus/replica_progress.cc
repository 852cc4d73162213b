// The normal-case state machine of each height (PBFT §4.2): accepted -> PREPARE sent ->
// prepared -> COMMIT sent -> committed -> output in height order; and proposing (§4.2, the
// primary's side) with pipelining of up to W heights.
#include <algorithm>
#include <set>
#include <utility>

#include "consensus/codec.h"
#include "consensus/records.h"
#include "consensus/replica_impl.h"

namespace phalanx::consensus {

// One ascending pass suffices: a height's progress only depends on lower heights.
void Replica::Impl::progress() {
  for (auto& [height, entry] : log.entries()) {
    // PBFT §4.4: a replica changing views takes no further part in the old one.
    if (view_changing) break;
    if (entry.output || entry.body_missing) continue;
    try_prepare(height, entry);
    try_prepared(height, entry);
    try_committed(height, entry);
  }
  output_committed();
}

// The conditions a backup checks before it PREPAREs a proposal (docs/consensus.md). kWait:
// not yet decidable (parent not prepared, clock behind, root not executed, validation out).
Replica::Impl::Check Replica::Impl::check_prepare_conditions(uint64_t height, Entry& entry) {
  const ledger::BlockHeader& header = entry.header;
  // (a) the parent is prepared here and the proposal extends it.
  const auto parent = parent_of(height, /*require_prepared=*/true);
  if (!parent) return Check::kWait;
  if (!config.mutations.skip_prev_hash_check && header.prev_hash != parent->hash) {
    return Check::kReject;
  }
  // (c) time never runs backwards along the chain, nor far ahead of this replica's clock.
  if (header.timestamp_ms < parent->timestamp_ms) return Check::kReject;
  if (header.timestamp_ms > now_ms + config.timestamp_skew_ms) return Check::kWait;
  // (b) the header commits to the state after height - W, which this replica executed.
  const auto root = state_root_for(height);
  if (!root) return Check::kWait;
  if (header.state_root != *root) return Check::kReject;
  // (d) no transaction twice in the block or in another block in flight. Lower heights are
  // all accepted by now (their children prepared), so the answer cannot change later.
  if (!entry.duplicates_checked) {
    if (log.has_duplicate_tx(height, entry)) return Check::kReject;
    entry.duplicates_checked = true;
  }
  // (e) the caller checked every transaction signature.
  if (entry.validation == Validation::kNotRequested) request_validation(height, entry);
  return entry.validation == Validation::kValid ? Check::kPass : Check::kWait;
}

void Replica::Impl::try_prepare(uint64_t height, Entry& entry) {
  if (entry.rejected || entry.own_prepare || entry.commit_ready) return;
  if (config.primary_of(entry.view) == config.self) return;  // its pre-prepare is its vote
  switch (check_prepare_conditions(height, entry)) {
    case Check::kWait:
      return;
    case Check::kReject:
      entry.rejected = true;
      ++counters.dropped_invalid_proposal;
      return;
    case Check::kPass:
      break;
  }
  record_accept(height, entry);
  const Bytes body = vote_body(entry.view, height, entry.digest);
  auto signature = safety.sign(MessageKind::kPrepare, entry.view, height, body, &journal);
  if (!signature) {
    entry.rejected = true;
    return;
  }
  const Message prepare =
      make_vote(MessageKind::kPrepare, config.self, entry.view, height, entry.digest, *signature);
  (void)log.prepares().add(entry.view, height, config.self, entry.digest, *signature);
  entry.own_prepare = prepare;
  broadcast(prepare);
}

// PBFT §4.2: prepared(m, v, n) = the pre-prepare plus q-1 matching PREPAREs from distinct
// replicas other than the primary. The certificate is made durable before the COMMIT leaves.
void Replica::Impl::try_prepared(uint64_t height, Entry& entry) {
  if (entry.rejected) return;
  const uint32_t primary = config.primary_of(entry.view);
  if (!entry.prepared) {
    if (primary != config.self && !entry.own_prepare) return;
    const uint32_t needed = quorum() - 1;
    if (log.prepares().count(entry.view, height, entry.digest, primary) < needed) return;
    entry.prepared = true;
    record_prepared_proof(height, entry);
    if (persist_votes()) {
      const PreparedCertificate certificate{
          entry.pre_prepare,
          log.prepares().signatures(entry.view, height, entry.digest, needed, primary)};
      journal.put_at(height, prepared_key(height, entry.view), encode_prepared(certificate));
    }
  }
  if (!entry.own_commit) send_commit(height, entry);
}

void Replica::Impl::send_commit(uint64_t height, Entry& entry) {
  record_accept(height, entry);
  const Bytes body = vote_body(entry.view, height, entry.digest);
  auto signature = safety.sign(MessageKind::kCommit, entry.view, height, body, &journal);
  if (!signature) {
    entry.rejected = true;
    return;
  }
  const Message commit =
      make_vote(MessageKind::kCommit, config.self, entry.view, height, entry.digest, *signature);
  (void)log.commits().add(entry.view, height, config.self, entry.digest, *signature);
  entry.own_commit = commit;
  broadcast(commit);
}

// PBFT §4.2: committed once q replicas COMMITted (v, n, d). q matching COMMITs are also a
// commit certificate on their own (at least f+1 honest replicas prepared d), so a replica
// that missed PREPAREs still commits the block it accepted once it holds the certificate.
// It adds its own COMMIT too: a peer whose copies of the others' COMMITs were lost (and
// since garbage-collected by them) may be waiting for exactly this one. Signing it is safe:
// d already holds a commit certificate in this view, and SafetyRules still allows one vote.
void Replica::Impl::try_committed(uint64_t height, Entry& entry) {
  if (entry.commit_ready || entry.rejected || !entry.block) return;
  if (log.commits().count(entry.view, height, entry.digest) < quorum()) return;
  if (!entry.own_commit) send_commit(height, entry);
  if (entry.rejected) return;
  entry.commit_ready = true;
}

// Blocks leave strictly in height order: a committed height waits for the one below it.
void Replica::Impl::output_committed() {
  for (Entry* entry = log.find(committed_height + 1); entry != nullptr && entry->commit_ready;
       entry = log.find(committed_height + 1)) {
    const uint64_t height = committed_height + 1;
    ledger::CommitCertificate certificate{entry->view, {}};
    for (const ValidatorSignature& commit :
         log.commits().signatures(entry->view, height, entry->digest, quorum())) {
      certificate.signatures.push_back({commit.validator, commit.signature});
    }
    pending.committed.push_back({*entry->block, entry->digest, std::move(certificate)});
    entry->output = true;
    entry->block.reset();  // tx_hashes_sorted stays for the duplicate check of later heights
    committed_height = height;
    proposed_height = std::max(proposed_height, committed_height);
    last_output = BlockRef{height, entry->digest, entry->header.timestamp_ms};
    ++counters.blocks_committed;
    // PBFT §4.4: progress resets the view-change timer and its backoff.
    timer_start_ms = now_ms;
    timeout_multiplier = 1;
  }
}

// The block at height - 1 if this replica knows it (prepared or committed when asked for
// by a backup; its own proposal for the primary).
std::optional<BlockRef> Replica::Impl::parent_of(uint64_t height, bool require_prepared) const {
  PHALANX_ASSERT(height >= 1);
  if (height - 1 == last_output.height) return last_output;
  const Entry* parent = log.find(height - 1);
  if (parent == nullptr || parent->rejected || parent->body_missing) return std::nullopt;
  if (require_prepared && !parent->prepared && !parent->commit_ready) return std::nullopt;
  return BlockRef{height - 1, parent->digest, parent->header.timestamp_ms};
}

// The state root a header at `height` must carry: the root after height - W.
std::optional<Hash> Replica::Impl::state_root_for(uint64_t height) const {
  if (height <= config.pipeline_depth) return config.genesis_state_root;
  const uint64_t source = height - config.pipeline_depth;
  if (source > executed_height) return std::nullopt;
  auto it = state_roots.find(source);
  PHALANX_ASSERT_MSG(it != state_roots.end(), "state roots of the last W heights are kept");
  return it->second;
}

bool Replica::Impl::can_propose() const {
  if (!is_primary() || view_changing) return false;
  const uint64_t height = proposed_height + 1;
  return parent_of(height, /*require_prepared=*/false).has_value() && height <= log.high() &&
         height <= executed_height + config.pipeline_depth &&
         proposed_height - committed_height < config.pipeline_depth &&
         safety.find(MessageKind::kPrePrepare, view, height) == nullptr;
}

ledger::BlockHeader Replica::Impl::next_header(
    uint64_t height, const std::vector<ledger::SignedTransaction>& txs) const {
  const auto parent = parent_of(height, /*require_prepared=*/false);
  PHALANX_ASSERT_MSG(parent.has_value(), "the primary knows the block it proposed last");
  const auto root = state_root_for(height);
  PHALANX_ASSERT(root.has_value());
  std::vector<Hash> tx_hashes;
  tx_hashes.reserve(txs.size());
  for (const auto& tx : txs) tx_hashes.push_back(tx.hash);
  ledger::BlockHeader header;
  header.chain_id = config.chain_id;
  header.height = height;
  header.prev_hash = parent->hash;
  header.timestamp_ms = std::max(now_ms, parent->timestamp_ms);
  header.proposer = config.self;
  header.view = view;
  header.tx_root = ledger::merkle_root(tx_hashes);
  header.state_root = *root;
  header.tx_count = static_cast<uint32_t>(txs.size());
  return header;
}

// Backups reject a block repeating a transaction that is in flight, so the primary leaves
// such transactions out rather than have its whole block refused.
void Replica::Impl::propose(std::vector<ledger::SignedTransaction> txs) {
  PHALANX_ASSERT_MSG(can_propose(), "propose() requires can_propose()");
  PHALANX_ASSERT(txs.size() <= config.block_limits.txs_max);
  const uint64_t height = proposed_height + 1;
  std::set<Hash> seen;
  std::erase_if(txs, [&](const ledger::SignedTransaction& tx) {
    return !seen.insert(tx.hash).second || log.tx_in_flight(tx.hash);
  });
  ledger::Block block{next_header(height, txs), std::move(txs)};
  const Hash digest = ledger::block_hash(block.header);
  const Bytes body = vote_body(view, height, digest);
  auto signature = safety.sign(MessageKind::kPrePrepare, view, height, body, &journal);
  PHALANX_ASSERT_MSG(signature.has_value(), "can_propose() checked the slot is free");
  Message pre_prepare =
      make_vote(MessageKind::kPrePrepare, config.self, view, height, digest, *signature);
  pre_prepare.block = ledger::encode_block(block);
  PHALANX_ASSERT(pre_prepare.block.size() <= config.block_limits.bytes_max);
  if (committed_height + 1 < height) ++counters.pipelined_heights;
  Entry& entry = accept(pre_prepare, std::make_shared<const ledger::Block>(std::move(block)));
  entry.validation = Validation::kValid;
  proposed_height = height;
  broadcast(pre_prepare);
  progress();
}

void Replica::Impl::on_validated(uint64_t height, const Hash& digest, bool valid) {
  Entry* entry = log.find(height);
  // Answers for proposals collected or replaced since they were asked are stale.
  if (entry == nullptr || entry->digest != digest || entry->validation != Validation::kPending) {
    return;
  }
  if (!valid) {
    entry->rejected = true;
    ++counters.dropped_invalid_proposal;
    return;
  }
  entry->validation = Validation::kValid;
  progress();
}

}  // namespace phalanx::consensus
