// step(): admission of peer messages and the normal-case handlers (PBFT §4.2).
//
// Cheap checks come first (sender, view, watermarks, exact duplicates) so replayed and
// retransmitted messages never cost a signature verification; a message is only stored after
// its signature verified.
#include <memory>
#include <utility>

#include "consensus/codec.h"
#include "consensus/records.h"
#include "consensus/replica_impl.h"

namespace phalanx::consensus {

void Replica::Impl::step(const Message& message) {
  if (message.from >= config.n()) {
    ++counters.dropped_not_validator;
    return;
  }
  // This replica never sends to itself: a message under its own name is a replay or a forgery.
  if (message.from == config.self) {
    ++counters.dropped_malformed;
    return;
  }
  switch (message.kind) {
    case MessageKind::kPrePrepare:
      on_pre_prepare(message);
      return;
    case MessageKind::kPrepare:
    case MessageKind::kCommit:
      on_vote(message);
      return;
    case MessageKind::kCheckpoint:
      on_checkpoint(message);
      return;
    case MessageKind::kViewChange:
      on_view_change(message);
      return;
    case MessageKind::kNewView:
      on_new_view(message);
      return;
    case MessageKind::kBlockRequest:
      on_block_request(message);
      return;
    case MessageKind::kBlockResponse:
      if (!attach_body(message)) ++counters.duplicate_votes_ignored;
      return;
    case MessageKind::kStatus:
      on_status(message);
      return;
    case MessageKind::kCatchUpRequest:
      on_catch_up_request(message);
      return;
    case MessageKind::kCatchUpResponse:
      on_catch_up_response(message);
      return;
    case MessageKind::kNewViewRequest:
      on_new_view_request(message);
      return;
  }
  ++counters.dropped_malformed;
}

// PBFT §4.2: a backup accepts PRE-PREPARE(v, n, d) if it is in view v, the signature is the
// primary's, n is between the watermarks and it has not accepted another digest for (v, n).
void Replica::Impl::on_pre_prepare(const Message& message) {
  if (attach_body(message)) return;
  if (message.view != view || view_changing) {
    ++counters.dropped_wrong_view;
    return;
  }
  if (!log.in_window(message.height)) {
    ++counters.dropped_outside_watermarks;
    return;
  }
  if (message.from != config.primary_of(message.view)) {
    ++counters.dropped_invalid_proposal;
    return;
  }
  if (const Entry* entry = log.find(message.height)) {
    if (entry->digest == message.digest) {
      ++counters.duplicate_votes_ignored;
      reply_to_laggard(message);
    } else if (!verified(message)) {
      ++counters.dropped_bad_signature;
    } else {
      ++counters.equivocations;
    }
    return;
  }
  // Executed before a restart and not in the log: nothing left to do for it.
  if (message.height <= committed_height) {
    ++counters.duplicate_votes_ignored;
    return;
  }
  if (!verified(message)) {
    ++counters.dropped_bad_signature;
    return;
  }
  auto block = ledger::decode_block(message.block, config.block_limits);
  if (!block || !check_proposal(message, *block).is_ok()) {
    ++counters.dropped_invalid_proposal;
    return;
  }
  Entry& entry = accept(message, std::make_shared<const ledger::Block>(std::move(block).value()),
                        /*record_now=*/false);
  request_validation(message.height, entry);
  progress();
}

// The header must be the one the signed digest names, at this height, view and chain, by
// this view's primary.
Status Replica::Impl::check_proposal(const Message& message, const ledger::Block& block) const {
  const ledger::BlockHeader& header = block.header;
  if (ledger::block_hash(header) != message.digest) {
    return Status::error("block does not hash to the digest");
  }
  if (header.height != message.height) return Status::error("header height differs");
  if (header.chain_id != config.chain_id) return Status::error("header chain id differs");
  if (header.view != message.view) return Status::error("header view differs");
  if (header.proposer != config.primary_of(message.view)) {
    return Status::error("header proposer is not the primary");
  }
  return Status::ok();
}

// Records the accepted pre-prepare durably before anything is sent for it, so a restarted
// replica never votes for a second digest at the same (view, height) and can rebuild the entry
// its votes are about. A backup's record waits for its first vote (record_accept, in the same
// Ready as the vote's own record): a proposal it accepted and never voted on binds it to
// nothing, and the primary re-sends it after a restart.
Entry& Replica::Impl::accept(const Message& pre_prepare,
                             std::shared_ptr<const ledger::Block> block, bool record_now) {
  Entry& entry = log.insert(pre_prepare.height, make_entry(pre_prepare, std::move(block)));
  if (record_now) record_accept(pre_prepare.height, entry);
  return entry;
}

void Replica::Impl::record_accept(uint64_t height, Entry& entry) {
  if (entry.accept_recorded || !persist_votes()) return;
  journal.put_at(height, accept_key(height, entry.view), encode_message(entry.pre_prepare));
  entry.accept_recorded = true;
}

// Asked as soon as the proposal is accepted, so signature checking overlaps waiting for the
// parent to prepare.
void Replica::Impl::request_validation(uint64_t height, Entry& entry) {
  if (entry.validation != Validation::kNotRequested) return;
  entry.validation = Validation::kPending;
  pending.validation_requests.push_back({height, entry.digest, entry.block});
}

// PBFT §4.2: PREPARE and COMMIT votes are accepted when signed, in the current view and
// inside the watermarks; each replica counts once per (kind, view, height).
void Replica::Impl::on_vote(const Message& message) {
  if (message.view != view || view_changing) {
    ++counters.dropped_wrong_view;
    return;
  }
  if (!log.in_window(message.height)) {
    ++counters.dropped_outside_watermarks;
    return;
  }
  const bool is_prepare = message.kind == MessageKind::kPrepare;
  // The primary's pre-prepare is its prepare; a PREPARE from it is not part of the protocol.
  if (is_prepare && message.from == config.primary_of(message.view)) {
    ++counters.dropped_malformed;
    return;
  }
  VoteTally& tally = is_prepare ? log.prepares() : log.commits();
  if (tally.holds(message.view, message.height, message.from, message.digest, message.signature)) {
    ++counters.duplicate_votes_ignored;
    reply_to_laggard(message);
    return;
  }
  if (!verified(message)) {
    ++counters.dropped_bad_signature;
    return;
  }
  if (tally.add(message.view, message.height, message.from, message.digest, message.signature) !=
      VoteTally::Outcome::kAdded) {
    ++counters.duplicate_votes_ignored;
    return;
  }
  progress();
}

// A peer retransmitting a vote (one this replica already holds) for a height it committed
// has missed messages: answer it (only it, at most once per retransmit period and height)
// with what it needs to commit — the PRE-PREPARE if this replica proposed it, and this
// replica's COMMIT. A first-time late vote is the normal tail of a quorum and gets no answer,
// so replies do not echo back and forth.
void Replica::Impl::reply_to_laggard(const Message& message) {
  if (message.height > committed_height) return;
  const Entry* entry = log.find(message.height);
  if (entry == nullptr || entry->view != message.view || entry->body_missing) return;
  auto [it, inserted] = laggard_replies.try_emplace({message.height, message.from}, now_ms);
  if (!inserted) {
    if (now_ms - it->second < config.retransmit_ms) return;
    it->second = now_ms;
  }
  if (config.primary_of(entry->view) == config.self) send_to(message.from, entry->pre_prepare);
  if (entry->own_commit) send_to(message.from, *entry->own_commit);
}

}  // namespace phalanx::consensus
