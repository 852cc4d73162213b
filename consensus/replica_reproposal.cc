// Entering a view through its NEW-VIEW (PBFT §4.4): the re-proposals replace the log above the
// committed height, each keeping its original block (same hash); a replica that lacks a
// re-proposed body asks its peers for it and accepts any copy that hashes to the digest.
#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "consensus/codec.h"
#include "consensus/records.h"
#include "consensus/replica_impl.h"

namespace phalanx::consensus {

// REQUIRES: `derivation` was derived from (or verified against) `new_view`.
void Replica::Impl::enter_view(const Message& new_view_message_in, const NewView& new_view,
                               const Derivation& derivation) {
  PHALANX_ASSERT(new_view.view == view);
  view_changing = false;
  new_view_message = new_view_message_in;
  journal.put(std::string(kViewKey), encode_view(view));
  journal.put(std::string(kNewViewKey), encode_message(new_view_message_in));
  log.prepares().erase_views_below(view);
  log.commits().erase_views_below(view);
  std::erase_if(view_changes, [&](const auto& item) { return item.second.message.view <= view; });
  timer_start_ms = now_ms;
  adopt_base_checkpoint(derivation.base);
  // Bodies of the proposals being replaced: a re-proposal keeps its original block.
  std::map<Hash, std::shared_ptr<const ledger::Block>> bodies;
  std::map<Hash, Bytes> body_bytes;
  std::vector<uint64_t> replaced;
  for (const auto& [height, entry] : log.entries()) {
    if (entry.output) continue;
    if (entry.block) {
      bodies[entry.digest] = entry.block;
      body_bytes[entry.digest] = entry.pre_prepare.block;
    }
    replaced.push_back(height);
  }
  for (uint64_t height : replaced) log.erase(height);
  // The new view's proposals continue after the re-proposals. What this replica proposed in
  // an older view and did not carry over is gone: keeping it as the last proposed height
  // would leave a primary waiting for a parent no longer in its log.
  proposed_height = committed_height;
  for (const Reproposal& reproposal : new_view.reproposals) {
    install_reproposal(reproposal, bodies, body_bytes);
    proposed_height = std::max(proposed_height, reproposal.height);
  }
  progress();
}

// A quorum signed the base checkpoint, so a replica that executed it can discard below it
// (PBFT §4.3); one that did not needs catch-up and keeps its log.
void Replica::Impl::adopt_base_checkpoint(const CheckpointProof& base) {
  if (base.height <= log.low() || base.height > executed_height) return;
  if (base.height != last_output.height && log.find(base.height) == nullptr) return;
  const Hash here =
      base.height == last_output.height ? last_output.hash : log.find(base.height)->digest;
  if (here != base.block_hash) return;
  collect_garbage(base);
}

void Replica::Impl::install_reproposal(const Reproposal& reproposal,
                                       std::map<Hash, std::shared_ptr<const ledger::Block>>& bodies,
                                       std::map<Hash, Bytes>& body_bytes) {
  const uint64_t height = reproposal.height;
  if (!log.in_window(height)) return;
  Message pre_prepare = make_vote(MessageKind::kPrePrepare, config.primary_of(view), view, height,
                                  reproposal.digest, reproposal.signature);
  ++counters.reproposed_certificates;
  if (Entry* committed = log.find(height); committed != nullptr) {
    PHALANX_ASSERT(committed->output);  // every other entry was replaced
    // PBFT's quorum intersection makes a differing digest impossible with at most f faults;
    // never vote against what this replica committed.
    if (committed->digest != reproposal.digest) return;
    pre_prepare.block = committed->pre_prepare.block;
    Entry entry = *committed;
    entry.view = view;
    entry.pre_prepare = std::move(pre_prepare);
    entry.own_prepare.reset();
    entry.own_commit.reset();
    *committed = std::move(entry);
    vote_for_committed(height, *committed);
    return;
  }
  if (height <= committed_height) return;  // executed before a restart, not in the log
  auto body = bodies.find(reproposal.digest);
  if (body == bodies.end()) {
    if (const Bytes* stored = prepared_body(height, reproposal.digest); stored != nullptr) {
      auto block = ledger::decode_block(*stored, config.block_limits);
      PHALANX_ASSERT_MSG(block.is_ok(), "prepared records were checked at restore");
      body_bytes[reproposal.digest] = *stored;
      body = bodies
                 .emplace(reproposal.digest,
                          std::make_shared<const ledger::Block>(std::move(block).value()))
                 .first;
    }
  }
  if (body == bodies.end()) {
    Entry entry;
    entry.view = view;
    entry.digest = reproposal.digest;
    entry.pre_prepare = std::move(pre_prepare);
    entry.body_missing = true;
    log.insert(height, std::move(entry));
    return;
  }
  pre_prepare.block = body_bytes[reproposal.digest];
  Entry& entry = accept(pre_prepare, body->second);
  if (is_primary()) entry.validation = Validation::kValid;
}

// A re-proposed height this replica already committed: it votes for it in the new view (the
// digest is the one it committed, so the votes are safe) so the others can commit it too.
void Replica::Impl::vote_for_committed(uint64_t height, Entry& entry) {
  const Bytes body = vote_body(view, height, entry.digest);
  if (!is_primary()) {
    auto prepare = safety.sign(MessageKind::kPrepare, view, height, body, &journal);
    if (!prepare) return;
    entry.own_prepare =
        make_vote(MessageKind::kPrepare, config.self, view, height, entry.digest, *prepare);
    (void)log.prepares().add(view, height, config.self, entry.digest, *prepare);
    broadcast(*entry.own_prepare);
  }
  auto commit = safety.sign(MessageKind::kCommit, view, height, body, &journal);
  if (!commit) return;
  entry.own_commit =
      make_vote(MessageKind::kCommit, config.self, view, height, entry.digest, *commit);
  (void)log.commits().add(view, height, config.self, entry.digest, *commit);
  broadcast(*entry.own_commit);
}

// A BLOCK-RESPONSE (or a PRE-PREPARE of any view) whose block hashes to the digest a
// NEW-VIEW re-proposed here: the hash binds the body, so no signature is needed.
bool Replica::Impl::attach_body(const Message& message) {
  Entry* entry = log.find(message.height);
  if (entry == nullptr || !entry->body_missing || entry->digest != message.digest) return false;
  auto block = ledger::decode_block(message.block, config.block_limits);
  if (!block || ledger::block_hash(block->header) != message.digest ||
      block->header.height != message.height || block->header.chain_id != config.chain_id) {
    ++counters.dropped_invalid_proposal;
    return true;
  }
  Message pre_prepare = entry->pre_prepare;
  pre_prepare.block = message.block;
  const uint64_t height = message.height;
  log.erase(height);
  Entry& attached =
      accept(pre_prepare, std::make_shared<const ledger::Block>(std::move(block).value()));
  if (is_primary()) attached.validation = Validation::kValid;
  ++counters.bodies_fetched;
  if (!is_primary()) request_validation(height, attached);
  progress();
  return true;
}

// Answers a peer missing a body with the PRE-PREPARE this replica holds for that digest,
// at most once per retransmit period and height.
void Replica::Impl::on_block_request(const Message& message) {
  const Entry* entry = log.find(message.height);
  const Bytes* body = nullptr;
  if (entry != nullptr && entry->digest == message.digest && !entry->pre_prepare.block.empty()) {
    body = &entry->pre_prepare.block;
  } else {
    body = prepared_body(message.height, message.digest);
  }
  if (body == nullptr) return;
  auto [it, inserted] = body_replies.try_emplace({message.height, message.from}, now_ms);
  if (!inserted) {
    if (now_ms - it->second < config.retransmit_ms) return;
    it->second = now_ms;
  }
  // Under this replica's own name: the hash, not a signature, vouches for the body.
  Message response = make_vote(MessageKind::kBlockResponse, config.self, message.view,
                               message.height, message.digest, Signature{});
  response.block = *body;
  send_to(message.from, response);
}

const Bytes* Replica::Impl::prepared_body(uint64_t height, const Hash& digest) const {
  auto it = prepared_bodies.find(height);
  return it != prepared_bodies.end() && it->second.first == digest ? &it->second.second : nullptr;
}

// At restart: a re-proposal whose body had not arrived may be one this replica prepared in an
// older view, whose record still holds the block.
void Replica::Impl::attach_prepared_bodies() {
  std::vector<Message> found;
  for (const auto& [height, entry] : log.entries()) {
    const Bytes* body = entry.body_missing ? prepared_body(height, entry.digest) : nullptr;
    if (body == nullptr) continue;
    Message message = make_vote(MessageKind::kBlockResponse, config.self, entry.view, height,
                                entry.digest, Signature{});
    message.block = *body;
    found.push_back(std::move(message));
  }
  for (const Message& message : found) {
    const bool attached = attach_body(message);
    PHALANX_ASSERT(attached);
    --counters.bodies_fetched;  // not fetched: it was here all along
  }
}

void Replica::Impl::request_missing_bodies() {
  for (const auto& [height, entry] : log.entries()) {
    if (!entry.body_missing) continue;
    Message request;
    request.kind = MessageKind::kBlockRequest;
    request.from = config.self;
    request.view = view;
    request.height = height;
    request.digest = entry.digest;
    broadcast(request);
  }
}

// At restart in a view entered through a NEW-VIEW: re-install what the accepted records do
// not hold (re-proposals whose body had not arrived).
void Replica::Impl::restore_new_view(const Message& message) {
  auto new_view = decode_new_view(message.block, config);
  PHALANX_ASSERT_MSG(new_view.is_ok() && new_view->view == view, "stored new view checked");
  new_view_message = message;
  for (const Reproposal& reproposal : new_view->reproposals) {
    proposed_height = std::max(proposed_height, reproposal.height);
    if (!log.in_window(reproposal.height) || reproposal.height <= committed_height ||
        log.find(reproposal.height) != nullptr) {
      continue;
    }
    Entry entry;
    entry.view = view;
    entry.digest = reproposal.digest;
    entry.pre_prepare = make_vote(MessageKind::kPrePrepare, config.primary_of(view), view,
                                  reproposal.height, reproposal.digest, reproposal.signature);
    entry.body_missing = true;
    log.insert(reproposal.height, std::move(entry));
  }
}

}  // namespace phalanx::consensus
