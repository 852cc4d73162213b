// Catch-up: a replica that f+1 peers claim to be behind fetches the committed blocks it
// lacks, with their commit certificates, from one peer at a time, with several requests in
// flight (kCatchUpWindowBlocks heights, Config::catch_up_bytes_max). It trusts no sender: each
// block must carry a certificate of a quorum of valid COMMIT signatures for its hash at the
// next height and link to the block before it. Certified blocks leave through
// Ready::committed like any other; a peer's stable checkpoint proof (from its STATUS) moves
// the log window once this replica has executed that height to the same state.
//
// The replica drops block bodies once output, so serving is the caller's job: a request
// becomes a Ready::serve_requests entry that the caller answers from its ledger.
#include <algorithm>
#include <limits>
#include <utility>

#include "consensus/codec.h"
#include "consensus/replica_impl.h"

namespace phalanx::consensus {

namespace {

// Requests a peer's claim may fail (time out with no new block, or bring a forged one) at one
// claimed height before that claim alone no longer starts a round: two, so that one lost
// request does not cost an honest peer its standing.
constexpr uint32_t kCatchUpFailuresPerClaimMax = 2;
// The backoff after a failure doubles per failure in a row, up to 2^16 status periods.
constexpr uint32_t kCatchUpBackoffDoublingsMax = 16;

}  // namespace

// Starts a round when f+1 peers claim a committed height above this replica's (so an honest
// one did) beyond the log window, where the normal case cannot reach. A replica a few heights
// behind in a busy pipeline catches up through the normal case without fetching anything;
// only once it made no progress for a whole status period (`stalled`) does a single peer's
// claim suffice: that one honest replica may be the only one ahead (the others silent). A
// single claim is believed only while its peer is in good standing (`trusted_alone`), so a
// peer that lies about its height costs a bounded number of unanswered or refused requests,
// not one per period for ever.
void Replica::Impl::maybe_start_catch_up(bool stalled) {
  if (catching_up) return;
  uint64_t target = claimed_height();
  if (stalled) {
    for (const auto& [peer, claim] : peer_claims) {
      if (trusted_alone(claim)) target = std::max(target, claim.height);
    }
  } else if (target <= log.high()) {
    return;
  }
  if (target <= committed_height) return;
  catch_up_target = target;
  catching_up = true;
  catch_up_refused.clear();
  catch_up_peer = config.self;
  catch_up_response_bytes_seen = 0;
  ++counters.catch_ups;
  if (!rotate_catch_up_peer()) {
    catching_up = false;
    clear_catch_up_buffer();
    return;
  }
  restart_catch_up_requests();
}

void Replica::Impl::clear_catch_up_buffer() {
  catch_up_buffer.clear();
  catch_up_buffer_bytes = 0;
}

void Replica::Impl::drop_catch_up_responses(uint64_t first, uint64_t last) {
  for (auto it = catch_up_buffer.lower_bound(first);
       it != catch_up_buffer.end() && it->first <= last;) {
    catch_up_buffer_bytes -= it->second.block.size();
    it = catch_up_buffer.erase(it);
  }
}

// A new peer (or a new round) is asked from the first height this replica lacks; nothing
// buffered from the one before is kept.
void Replica::Impl::restart_catch_up_requests() {
  clear_catch_up_buffer();
  catch_up_requested_last = committed_height;
  catch_up_progress_ms = now_ms;
  request_catch_up_blocks();
}

// Keeps requests in flight to the asked peer, up to its claim (it serves up to its own
// committed height), while the window and the byte budget have room for their responses.
void Replica::Impl::request_catch_up_blocks() {
  PHALANX_ASSERT(catching_up && catch_up_peer != config.self);
  catch_up_requested_last = std::max(catch_up_requested_last, committed_height);
  const uint64_t claim = peer_claims[catch_up_peer].height;
  while (catch_up_requested_last < claim) {
    const uint64_t heights = catch_up_request_heights();
    if (heights == 0) return;
    const uint64_t first = catch_up_requested_last + 1;
    send_catch_up_request(first, first + heights - 1);
  }
}

// How many heights the next request asks for; 0 means wait. A request is whole (the server
// sends kCatchUpBlocksMax heights whatever is asked, so a smaller one wastes responses)
// unless the peer's claim ends sooner. It must fit the window, which counts every height in
// hand above the executed one, and the byte budget, which assumes each response in flight as
// large as the largest of this round (the largest possible before the first). With nothing
// in hand a request always goes, so a round cannot wait for ever.
uint64_t Replica::Impl::catch_up_request_heights() const {
  const uint64_t wanted =
      std::min(kCatchUpBlocksMax, peer_claims.at(catch_up_peer).height - catch_up_requested_last);
  const uint64_t in_hand = catch_up_requested_last - executed_height;
  if (in_hand == 0) return wanted;
  if (in_hand + wanted > kCatchUpWindowBlocks) return 0;
  const size_t response_bytes = catch_up_response_bytes_seen > 0
                                    ? catch_up_response_bytes_seen
                                    : catch_up_payload_bytes_max(config.block_limits);
  const uint64_t in_flight = catch_up_requested_last - committed_height - catch_up_buffer.size();
  const size_t held = catch_up_buffer_bytes + catch_up_output_bytes;
  const size_t needed = (in_flight + wanted) * response_bytes;
  return held + needed <= config.catch_up_bytes_max ? wanted : 0;
}

void Replica::Impl::send_catch_up_request(uint64_t first, uint64_t last) {
  PHALANX_ASSERT(first == catch_up_requested_last + 1 && last >= first &&
                 last - first < kCatchUpBlocksMax);
  Message request;
  request.kind = MessageKind::kCatchUpRequest;
  request.from = config.self;
  request.height = first;
  catch_up_requested_last = last;
  catch_up_progress_ms = now_ms;
  send_to(catch_up_peer, request);
}

// The next peer after the current one that claims a height above this replica's and has not
// failed this round, preferring peers in good standing: one that failed earlier rounds is
// asked only when no other is left (a round that f+1 claims started has an honest claimant,
// whatever its record). False when there is none.
bool Replica::Impl::rotate_catch_up_peer() {
  for (const bool trusted_only : {true, false}) {
    for (uint32_t step = 1; step <= config.n(); ++step) {
      const uint32_t peer = (catch_up_peer + step) % config.n();
      if (peer == config.self) continue;
      if (std::find(catch_up_refused.begin(), catch_up_refused.end(), peer) !=
          catch_up_refused.end()) {
        continue;
      }
      auto claim = peer_claims.find(peer);
      if (claim == peer_claims.end() || claim->second.height <= committed_height) continue;
      if (trusted_only && !trusted_alone(claim->second)) continue;
      catch_up_peer = peer;
      return true;
    }
  }
  return false;
}

// Whether a peer's claim alone may start a round. A peer with no failed request since it last
// served a block is believed. After k failures in a row it is not, for 2^(k-1) status
// periods; after that it is believed again only if it failed fewer than
// kCatchUpFailuresPerClaimMax times or now claims more than when it last failed. So a peer
// repeating one inflated height costs two requests in all, one that raises its claim every
// period costs O(log t) requests, and an honest peer ahead keeps its standing through one lost
// request and regains it by serving a block (or when f+1 claims start the round).
bool Replica::Impl::trusted_alone(const PeerClaim& claim) const {
  if (claim.failed_requests == 0) return true;
  const uint32_t doublings = std::min(claim.failed_requests - 1, kCatchUpBackoffDoublingsMax);
  if (now_ms - claim.failed_ms < (config.status_interval_ms << doublings)) return false;
  return claim.failed_requests < kCatchUpFailuresPerClaimMax || claim.height > claim.failed_height;
}

// The peer asked in this round brought no certified block: it loses its standing for a while.
void Replica::Impl::note_catch_up_failure(uint32_t peer) {
  auto claim = peer_claims.find(peer);
  PHALANX_ASSERT(claim != peer_claims.end());
  PeerClaim& record = claim->second;
  if (record.failed_requests < std::numeric_limits<uint32_t>::max()) ++record.failed_requests;
  record.failed_height = record.height;
  record.failed_ms = now_ms;
}

void Replica::Impl::check_catch_up_timer() {
  if (!catching_up) return;
  // Waiting for the caller to execute the blocks in hand is not the peer's fault.
  if (catch_up_waiting_on_execution()) catch_up_progress_ms = now_ms;
  if (now_ms - catch_up_progress_ms < config.catch_up_timeout_ms) return;
  // Not asked again this round either: a round ends once every claimant failed it, and the
  // next status period without progress may start a new one (`trusted_alone`).
  note_catch_up_failure(catch_up_peer);
  catch_up_refused.push_back(catch_up_peer);
  if (!rotate_catch_up_peer()) {
    catching_up = false;  // nobody left to ask; a later status period starts a new round
    clear_catch_up_buffer();
    return;
  }
  restart_catch_up_requests();
}

// Every height asked for has arrived (or was applied) and blocks wait for execution: the
// window or the byte budget holds the next request back, not the peer.
bool Replica::Impl::catch_up_waiting_on_execution() const {
  if (committed_height == executed_height) return false;
  return catch_up_requested_last <= committed_height ||
         catch_up_buffer.size() >= catch_up_requested_last - committed_height;
}

// Serving side: the caller reads the blocks from its ledger. A peer asking again for the same
// first height within a retransmission period is not served twice.
void Replica::Impl::on_catch_up_request(const Message& message) {
  const uint64_t first = message.height;
  if (first == 0 || first > committed_height) {
    ++counters.dropped_outside_watermarks;
    return;
  }
  auto served = catch_up_serves.find(message.from);
  if (served != catch_up_serves.end() && served->second.first == first &&
      now_ms - served->second.second < config.retransmit_ms) {
    ++counters.duplicate_votes_ignored;
    return;
  }
  catch_up_serves[message.from] = {first, now_ms};
  const uint64_t last = std::min(committed_height, first + kCatchUpBlocksMax - 1);
  pending.serve_requests.push_back({message.from, first, last});
  ++counters.catch_up_requests_served;
}

void Replica::Impl::on_catch_up_response(const Message& message) {
  if (!admit_catch_up_response(message)) {
    ++counters.dropped_catch_up_responses;
    return;
  }
  apply_catch_up_buffer();
}

// Buffers a response of the asked peer for a height requested and not yet here, if the byte
// budget has room (or nothing is held: the next block must always be able to arrive). One
// that does not fit is dropped with the heights after it, which are asked for again.
bool Replica::Impl::admit_catch_up_response(const Message& message) {
  if (!catching_up || message.from != catch_up_peer || message.height <= committed_height ||
      message.height > catch_up_requested_last || catch_up_buffer.contains(message.height)) {
    return false;
  }
  const size_t bytes = message.block.size();
  const size_t held = catch_up_buffer_bytes + catch_up_output_bytes;
  if (held > 0 && held + bytes > config.catch_up_bytes_max) {
    catch_up_requested_last = message.height - 1;
    drop_catch_up_responses(message.height, std::numeric_limits<uint64_t>::max());
    return false;
  }
  catch_up_response_bytes_seen = std::max(catch_up_response_bytes_seen, bytes);
  catch_up_buffer_bytes += bytes;
  catch_up_buffer.emplace(message.height, message);
  return true;
}

// Applies buffered responses in height order while the caller keeps up with execution (at
// most kCatchUpWindowBlocks output and not executed), then asks for more or ends the round.
void Replica::Impl::apply_catch_up_buffer() {
  if (!catching_up) return;
  bool applied = false;
  while (committed_height - executed_height < kCatchUpWindowBlocks) {
    auto next = catch_up_buffer.find(committed_height + 1);
    if (next == catch_up_buffer.end()) break;
    const Message message = std::move(next->second);
    catch_up_buffer.erase(next);
    catch_up_buffer_bytes -= message.block.size();
    if (!apply_catch_up_block(message)) {
      refuse_catch_up_peer();
      return;
    }
    peer_claims[catch_up_peer].failed_requests = 0;  // it served: its claims count again
    applied = true;
  }
  if (applied) progress();  // entries above may now be output by the normal case
  // The normal case may also have moved the committed height past buffered responses.
  drop_catch_up_responses(0, committed_height);
  if (committed_height >= std::max(catch_up_target, claimed_height())) {
    catching_up = false;
    clear_catch_up_buffer();
    return;
  }
  if (peer_claims[catch_up_peer].height > committed_height) {
    request_catch_up_blocks();  // the same peer, as far as the window allows
    return;
  }
  // Everything it claimed is applied: the next peer that claims more, or the round ends.
  if (!rotate_catch_up_peer()) {
    catching_up = false;
    clear_catch_up_buffer();
    return;
  }
  restart_catch_up_requests();
}

// Checks one response against the chain this replica has and outputs its block.
bool Replica::Impl::apply_catch_up_block(const Message& message) {
  auto decoded = decode_catch_up_response(message, config);
  if (!decoded) return false;
  const uint64_t height = committed_height + 1;
  if (decoded->block.header.height != height ||
      decoded->block.header.prev_hash != last_output.hash) {
    return false;
  }
  if (!config.mutations.catch_up_without_certificate_check &&
      !verify_commit_certificate(config, *verifier, height, decoded->hash, decoded->certificate)
           .is_ok()) {
    return false;
  }
  output_certified(std::move(decoded).value(), message.block.size());
  return true;
}

// A certified block is committed whatever this replica's log says: a matching entry is
// marked output; a different digest there was a proposal that can never commit (a quorum
// committed this one), so it goes.
void Replica::Impl::output_certified(CatchUpBlock block, size_t bytes) {
  const uint64_t height = block.block.header.height;
  if (Entry* entry = log.find(height); entry != nullptr) {
    if (entry->digest == block.hash) {
      if (entry->body_missing) {
        entry->header = block.block.header;
        entry->pre_prepare.block = ledger::encode_block(block.block);
        entry->body_missing = false;
      }
      entry->commit_ready = entry->output = true;
      entry->block.reset();
      // Kept for the duplicate check of later heights, as for a block output normally.
      entry->tx_hashes_sorted = sorted_tx_hashes(block.block);
    } else {
      log.erase(height);
    }
  }
  committed_height = height;
  proposed_height = std::max(proposed_height, committed_height);
  last_output = BlockRef{height, block.hash, block.block.header.timestamp_ms};
  PHALANX_ASSERT(!catch_up_outputs.contains(height));
  catch_up_outputs[height] = {block.hash, bytes};
  catch_up_output_bytes += bytes;
  catch_up_progress_ms = now_ms;
  timer_start_ms = now_ms;
  timeout_multiplier = 1;
  ++counters.blocks_committed;
  ++counters.catch_up_blocks;
  pending.committed.push_back(
      {std::move(block.block), block.hash, std::move(block.certificate), true});
}

// The asked peer sent something that is not a certified next block: it is not asked again
// this round, and the next peer is.
void Replica::Impl::refuse_catch_up_peer() {
  ++counters.forged_certificates_refused;
  note_catch_up_failure(catch_up_peer);
  catch_up_refused.push_back(catch_up_peer);
  if (!rotate_catch_up_peer()) {
    catching_up = false;
    clear_catch_up_buffer();
    return;
  }
  restart_catch_up_requests();
}

// A quorum signed the peer's stable checkpoint; once this replica executed that height to
// the same block and state it can discard below it like after its own stable checkpoint
// (PBFT §4.3). A mismatch means this ledger diverged: nothing is discarded.
void Replica::Impl::try_adopt_peer_checkpoint() {
  if (!peer_checkpoint) return;
  const CheckpointProof& proof = *peer_checkpoint;
  if (proof.height <= log.low()) {
    peer_checkpoint.reset();
    return;
  }
  if (proof.height > executed_height) return;
  auto root = state_roots.find(proof.height);
  auto hash = checkpoint_hashes.find(proof.height);
  if (root == state_roots.end() || hash == checkpoint_hashes.end() ||
      root->second != proof.state_root || hash->second != proof.block_hash) {
    peer_checkpoint.reset();
    return;
  }
  const CheckpointProof adopted = proof;
  peer_checkpoint.reset();
  collect_garbage(adopted);
  ++counters.catch_up_checkpoints_adopted;
  sign_missing_checkpoints();
}

// Checkpoints this replica executed but never signed: above its window at the time (catch-up
// ran ahead of it), or executed by the ledger just before a crash. The others may need
// exactly this vote to make the checkpoint stable, so it is signed once the height is inside
// the window with its block and state known.
void Replica::Impl::sign_missing_checkpoints() {
  const uint64_t interval = config.checkpoint_interval;
  const uint64_t last = std::min(executed_height, log.high());
  for (uint64_t height = (log.low() / interval + 1) * interval; height <= last;
       height += interval) {
    if (safety.find(MessageKind::kCheckpoint, 0, height) != nullptr) continue;
    auto root = state_roots.find(height);
    std::optional<Hash> hash = executed_hash(height);
    if (root == state_roots.end() || !hash) continue;
    sign_checkpoint(height, *hash, root->second);
  }
}

// The hash of the block executed at `height` (<= committed_height), if still known.
std::optional<Hash> Replica::Impl::executed_hash(uint64_t height) const {
  if (height == last_output.height) return last_output.hash;
  if (const Entry* entry = log.find(height); entry != nullptr) return entry->digest;
  auto it = catch_up_outputs.find(height);
  if (it != catch_up_outputs.end()) return it->second.hash;
  auto checkpoint = checkpoint_hashes.find(height);
  if (checkpoint != checkpoint_hashes.end()) return checkpoint->second;
  return std::nullopt;
}

}  // namespace phalanx::consensus
