// View change (PBFT §4.4, with signatures): the view-change timer, VIEW-CHANGE, the f+1 join
// rule and NEW-VIEW from both sides. The payloads and their verification are in
// view_change.{h,cc}; installing a NEW-VIEW's re-proposals is in replica_reproposal.cc.
#include <algorithm>
#include <utility>
#include <vector>

#include "consensus/codec.h"
#include "consensus/records.h"
#include "consensus/replica_impl.h"

namespace phalanx::consensus {

namespace {

constexpr uint32_t kTimeoutMultiplierMax = 8;

}  // namespace

void Replica::Impl::note_pending_request(bool has_pending) { has_pending_requests = has_pending; }

// The timer runs while something waits to be committed: a request the caller holds, a
// proposal accepted here, or the view change itself (a NEW-VIEW that does not come).
bool Replica::Impl::timer_pending() const {
  if (view_changing || has_pending_requests) return true;
  for (const auto& [height, entry] : log.entries()) {
    if (!entry.output) return true;
  }
  return false;
}

void Replica::Impl::check_view_timer() {
  if (config.view_change_timeout_ms == 0) return;
  if (!timer_pending()) {
    timer_running = false;
    return;
  }
  if (!timer_running) {
    timer_running = true;
    timer_start_ms = now_ms;
    return;
  }
  // PBFT §4.5.2: a replica waiting for a NEW-VIEW runs its timer only once a quorum asked for
  // this view (or a later one). Otherwise one that timed out first would race ahead alone,
  // view after view, and the others could never gather a quorum with it.
  if (view_changing && !holds_view_change_quorum()) {
    timer_start_ms = now_ms;
    return;
  }
  if (now_ms - timer_start_ms < config.view_change_timeout_ms * timeout_multiplier) return;
  ++counters.view_change_timeouts;
  start_view_change(view + 1);
}

bool Replica::Impl::holds_view_change_quorum() const {
  uint32_t senders = 0;
  for (const auto& [sender, held] : view_changes) {
    if (held.message.view >= view) ++senders;
  }
  return senders >= quorum();
}

// PBFT §4.4: the replica moves to `new_view`, stops taking part in the old one, records that
// it left it, and multicasts VIEW-CHANGE with its stable checkpoint and prepared proofs.
void Replica::Impl::start_view_change(uint64_t new_view) {
  PHALANX_ASSERT(new_view > view);
  view = new_view;
  view_changing = true;
  journal.put(std::string(kViewKey), encode_view(view));
  new_view_message.reset();
  timeout_multiplier = std::min(timeout_multiplier * 2, kTimeoutMultiplierMax);
  timer_running = true;
  timer_start_ms = now_ms;
  proposed_height = std::max(proposed_height, committed_height);
  ++counters.view_changes;
  send_view_change();
}

// Multicasts this replica's VIEW-CHANGE for `view` (also at restart while changing views).
void Replica::Impl::send_view_change() {
  PHALANX_ASSERT(view_changing);
  const Message own = make_view_change();
  auto decoded = decode_view_change(own.block, config);
  PHALANX_ASSERT_MSG(decoded.is_ok(), "own view change decodes");
  view_changes[config.self] = HeldViewChange{own, std::move(decoded).value()};
  broadcast(own);
  try_send_new_view();
}

Message Replica::Impl::make_view_change() {
  ViewChange view_change;
  view_change.view = view;
  if (stable_proof) view_change.checkpoint = *stable_proof;
  if (!config.mutations.view_change_without_prepared) {
    for (const auto& [height, proof] : prepared_proofs) {
      if (log.in_window(height) && height > view_change.checkpoint.height) {
        view_change.prepared.push_back(proof);
      }
    }
  }
  Message message;
  message.kind = MessageKind::kViewChange;
  message.from = config.self;
  message.view = view;
  message.height = view_change.checkpoint.height;
  message.block = encode_view_change(view_change);
  PHALANX_ASSERT(message.block.size() <= view_change_bytes_max(config));
  message.signature = safety.sign_statement(MessageKind::kViewChange, message.block);
  return message;
}

void Replica::Impl::on_view_change(const Message& message) {
  const bool current = view_changing && message.view == view;
  if (message.view < view || (message.view == view && !current)) {
    // The sender is behind: it missed the NEW-VIEW of a view this replica is in.
    ++counters.dropped_wrong_view;
    if (!view_changing && new_view_message) serve_new_view(message.from);
    return;
  }
  auto held = view_changes.find(message.from);
  if (held != view_changes.end() && held->second.message.view >= message.view) {
    ++counters.duplicate_votes_ignored;
    return;
  }
  if (!accept_view_change(message)) return;
  try_join_view_change();
  try_send_new_view();
}

// Verifies a VIEW-CHANGE and keeps it as its sender's highest.
bool Replica::Impl::accept_view_change(const Message& message) {
  if (!verified(message)) {
    ++counters.dropped_bad_signature;
    return false;
  }
  auto view_change = decode_view_change(message.block, config);
  if (!view_change || view_change->view != message.view ||
      view_change->checkpoint.height != message.height ||
      !verify_view_change(config, *verifier, *view_change).is_ok()) {
    ++counters.dropped_view_changes;
    return false;
  }
  view_changes[message.from] = HeldViewChange{message, std::move(view_change).value()};
  return true;
}

// PBFT §4.5.2: f+1 replicas asking for views above this one include an honest one whose
// timer expired, so this replica joins the smallest of those views without waiting for its
// own timer.
void Replica::Impl::try_join_view_change() {
  std::vector<uint64_t> higher;
  for (const auto& [sender, held] : view_changes) {
    if (sender != config.self && held.message.view > view) higher.push_back(held.message.view);
  }
  if (higher.size() < config.f() + 1) return;
  start_view_change(*std::min_element(higher.begin(), higher.end()));
}

// PBFT §4.4: the primary of the new view, holding view changes from a quorum, derives the
// re-proposals and multicasts NEW-VIEW. It uses every view change it holds for the view, so
// a Byzantine sender that left out its predecessor proofs cannot leave a gap for long: the
// honest ones fill it once they arrive.
void Replica::Impl::try_send_new_view() {
  if (!view_changing || config.primary_of(view) != config.self) return;
  NewView new_view;
  new_view.view = view;
  std::vector<ViewChange> held;
  for (const auto& [sender, item] : view_changes) {
    if (item.message.view != view) continue;
    new_view.view_changes.push_back({sender, item.message.block, item.message.signature});
    held.push_back(item.view_change);
  }
  if (held.size() < quorum()) return;
  auto derivation = derive_new_view(config, held);
  if (!derivation) return;
  for (const auto& [height, digest] : derivation->reproposals) {
    if (!log.in_window(height)) return;  // beyond this replica's window until it catches up
    const Bytes body = vote_body(view, height, digest);
    auto signature = safety.sign(MessageKind::kPrePrepare, view, height, body, &journal);
    if (!signature) return;
    new_view.reproposals.push_back({height, digest, *signature});
  }
  Message message;
  message.kind = MessageKind::kNewView;
  message.from = config.self;
  message.view = view;
  message.block = encode_new_view(new_view);
  PHALANX_ASSERT(message.block.size() <= new_view_bytes_max(config));
  message.signature = safety.sign_statement(MessageKind::kNewView, message.block);
  ++counters.new_views_sent;
  broadcast(message);
  enter_view(message, new_view, *derivation);
}

// A backup checks a NEW-VIEW by re-deriving it (PBFT §4.4): every VIEW-CHANGE inside is
// verified and the re-proposals must be exactly the derived ones.
void Replica::Impl::on_new_view(const Message& message) {
  if (message.view < view || (message.view == view && !view_changing)) {
    ++counters.dropped_wrong_view;
    return;
  }
  if (message.from != config.primary_of(message.view)) {
    ++counters.dropped_malformed;
    return;
  }
  if (!verified(message)) {
    ++counters.dropped_bad_signature;
    return;
  }
  auto new_view = decode_new_view(message.block, config);
  if (!new_view || new_view->view != message.view) {
    ++counters.new_views_rejected;
    return;
  }
  auto derivation = verify_new_view(config, *verifier, *new_view);
  if (!derivation) {
    ++counters.new_views_rejected;
    return;
  }
  if (message.view > view) {
    view = message.view;
    proposed_height = std::max(proposed_height, committed_height);
  }
  ++counters.new_views_accepted;
  enter_view(message, *new_view, *derivation);
}

// Replicas serve the NEW-VIEW of their current view to a peer still asking to change to it.
void Replica::Impl::serve_new_view(uint32_t peer) {
  auto [it, inserted] = new_view_replies.try_emplace(peer, now_ms);
  if (!inserted) {
    if (now_ms - it->second < config.retransmit_ms) return;
    it->second = now_ms;
  }
  send_to(peer, *new_view_message);
}

void Replica::Impl::record_prepared_proof(uint64_t height, const Entry& entry) {
  const uint32_t primary = config.primary_of(entry.view);
  // A later NEW-VIEW may re-propose this digest after the entry itself was replaced.
  if (!entry.pre_prepare.block.empty()) {
    prepared_bodies[height] = {entry.digest, entry.pre_prepare.block};
  }
  prepared_proofs[height] = PreparedProof{
      height, entry.view, entry.digest, entry.pre_prepare.signature,
      log.prepares().signatures(entry.view, height, entry.digest, quorum() - 1, primary)};
}

}  // namespace phalanx::consensus
