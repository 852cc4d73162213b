// Status sync: every replica multicasts a signed STATUS (view, committed height and block,
// stable checkpoint proof) at start-up and every status_interval_ms. Peers' claims drive
// catch-up (replica_catch_up.cc) and idle rejoin: a replica that sees f+1 peers in a higher
// view fetches that view's NEW-VIEW and enters it after verifying it like any other, so a
// replica restarted on an idle chain rejoins without new client traffic.
#include <algorithm>
#include <functional>
#include <vector>

#include "consensus/codec.h"
#include "consensus/replica_impl.h"
#include "consensus/view_change.h"

namespace phalanx::consensus {

namespace {

// The (f+1)-th highest of `values` (at least one honest replica claims it), or 0.
uint64_t honest_bound(std::vector<uint64_t> values, uint32_t f) {
  if (values.size() < f + 1) return 0;
  std::nth_element(values.begin(), values.begin() + f, values.end(), std::greater<>());
  return values[f];
}

}  // namespace

void Replica::Impl::send_status() {
  StatusReport status;
  status.view = view;
  status.view_changing = view_changing;
  status.height = committed_height;
  status.block_hash = last_output.hash;
  if (stable_proof) status.stable = *stable_proof;
  Message message;
  message.kind = MessageKind::kStatus;
  message.from = config.self;
  message.view = status.view;
  message.height = status.height;
  message.digest = status.block_hash;
  message.block = encode_status(status);
  PHALANX_ASSERT(message.block.size() <= status_bytes_max(config));
  message.signature = safety.sign_statement(MessageKind::kStatus, message.block);
  last_status_ms = now_ms;
  ++counters.statuses_sent;
  broadcast(message);
}

void Replica::Impl::on_status(const Message& message) {
  if (!verified(message)) {
    ++counters.dropped_statuses;
    return;
  }
  auto status = decode_status(message.block, config);
  if (!status || status->view != message.view || status->height != message.height ||
      status->block_hash != message.digest) {
    ++counters.dropped_statuses;
    return;
  }
  // A proof is verified only when it would be news, so replayed STATUS costs one signature.
  const uint64_t known = peer_checkpoint ? peer_checkpoint->height : log.low();
  if (status->stable.height > std::max(known, log.low())) {
    if (!verify_checkpoint(config, *verifier, status->stable).is_ok()) {
      ++counters.dropped_statuses;
      return;
    }
    peer_checkpoint = status->stable;
  }
  PeerClaim& claim = peer_claims[message.from];
  claim.height = std::max(claim.height, status->height);
  if (!status->view_changing) claim.view = std::max(claim.view, status->view);
  try_adopt_peer_checkpoint();
  maybe_start_catch_up(false);
  maybe_fetch_new_view();
}

// A peer's CHECKPOINT at h says it executed h: as good a claim of height as a STATUS.
void Replica::Impl::note_checkpoint_claim(uint32_t peer, uint64_t height) {
  PeerClaim& claim = peer_claims[peer];
  claim.height = std::max(claim.height, height);
  maybe_start_catch_up(false);
}

uint64_t Replica::Impl::claimed_height() const {
  std::vector<uint64_t> heights;
  for (const auto& [peer, claim] : peer_claims) heights.push_back(claim.height);
  return honest_bound(std::move(heights), config.f());
}

// On the first tick after start-up and then once per status period: STATUS out, and a
// replica that made no progress over a whole period while f+1 peers claim more starts
// catching up. (Not from the constructor: a rebuilt replica has nothing to say until time
// or a message arrives.)
void Replica::Impl::on_status_tick() {
  if (statuses_started && now_ms - last_status_ms < config.status_interval_ms) return;
  statuses_started = true;
  send_status();
  maybe_start_catch_up(committed_height == committed_at_last_status);
  committed_at_last_status = committed_height;
  maybe_fetch_new_view();
}

// Idle rejoin: f+1 peers report having entered a view above this replica's (or the one it is
// still changing to), so at least one honest replica holds its NEW-VIEW. Ask one of those
// peers at a time, rotating, at most once per retransmission period.
void Replica::Impl::maybe_fetch_new_view() {
  std::vector<uint64_t> views;
  for (const auto& [peer, claim] : peer_claims) views.push_back(claim.view);
  const uint64_t target = honest_bound(std::move(views), config.f());
  if (target < view || (target == view && !view_changing)) return;
  if (last_new_view_fetch_ms != 0 && now_ms - last_new_view_fetch_ms < config.retransmit_ms) {
    return;
  }
  for (uint32_t step = 1; step <= config.n(); ++step) {
    const uint32_t peer = (new_view_fetch_peer + step) % config.n();
    auto claim = peer_claims.find(peer);
    if (peer == config.self || claim == peer_claims.end() || claim->second.view < target) continue;
    new_view_fetch_peer = peer;
    Message request;
    request.kind = MessageKind::kNewViewRequest;
    request.from = config.self;
    request.view = claim->second.view;
    send_to(peer, request);
    last_new_view_fetch_ms = std::max<uint64_t>(now_ms, 1);
    ++counters.new_views_fetched;
    return;
  }
}

// Serves the NEW-VIEW of this replica's view to a peer in that view or an older one (the
// requester accepts any verified NEW-VIEW above its own view).
void Replica::Impl::on_new_view_request(const Message& message) {
  if (message.view > view || view_changing || !new_view_message) {
    ++counters.dropped_wrong_view;
    return;
  }
  serve_new_view(message.from);
}

}  // namespace phalanx::consensus
