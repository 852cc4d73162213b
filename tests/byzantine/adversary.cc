#include "tests/byzantine/adversary.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "consensus/catch_up.h"
#include "consensus/codec.h"
#include "node/node.h"
#include "node/wire.h"
#include "tests/byzantine/forge.h"

namespace phalanx::byzantine {

namespace {

using consensus::kCatchUpBlocksMax;
using consensus::Message;
using consensus::MessageKind;

constexpr size_t kProposalsMax = 64;
constexpr size_t kProposedTxsMax = 64;
constexpr size_t kSentMax = 256;
constexpr uint64_t kFiredLoggedMax = 3;        // per behaviour, in full
constexpr uint64_t kJunkIntervalMs = 100;      // one garbage frame per interval
constexpr uint64_t kReplayIntervalMs = 100;    // one replayed message per interval
constexpr uint64_t kReplayAgeMinMs = 2000;     // replays are at least this old
constexpr uint64_t kSummaryIntervalMs = 5000;  // counts per behaviour, when they changed
constexpr uint64_t kStatusInflation = 100;     // heights added to the STATUS claim
constexpr uint64_t kStatusHugeOneIn = 4;       // share of claims near 2^64 instead
constexpr uint64_t kForgedResponsesMax = 2;    // per catch-up request beyond our height
constexpr uint64_t kBadSignatureOneIn = 4;     // share of messages preceded by a bad copy

crypto::SecretKey copy_key(const crypto::SecretKey& key) {
  crypto::Seed seed = key.seed();
  crypto::SecretKey copy = crypto::SecretKey::from_seed(seed);
  crypto::secure_wipe(seed.data(), seed.size());
  return copy;
}

std::string describe(const Message& message) {
  return std::string(consensus::kind_name(message.kind)) + " view " + std::to_string(message.view) +
         " height " + std::to_string(message.height);
}

}  // namespace

Adversary::Adversary(AdversaryOptions options) : options_(std::move(options)) {}

Adversary::~Adversary() {
  if (log_ != nullptr) log_summary();
}

void Adversary::attach(const node::HookContext& context) {
  self_ = context.self;
  genesis_ = context.genesis;
  store_ = context.store;
  log_ = context.log;
  key_.emplace(copy_key(*context.key));
  config_.chain_id = genesis_->chain_id;
  for (const ledger::Validator& validator : genesis_->validators) {
    config_.validators.push_back(validator.public_key);
  }
  config_.self = self_;
  config_.block_limits = genesis_->block_limits;
  config_.pipeline_depth = genesis_->pipeline_depth;
  config_.checkpoint_interval = genesis_->checkpoint_interval;
  config_.log_window = node::node_log_window(*genesis_);
  const uint64_t seed = options_.seed.value_or(self_);
  rng_ = testutil::Rng(seed);
  crypto::Seed stranger_seed;
  for (auto& byte : stranger_seed) byte = static_cast<uint8_t>(rng_.next());
  stranger_.emplace(crypto::SecretKey::from_seed(stranger_seed));
  log_->warn("byzantine: behaviours {}, seed {}, slow commit {} ms",
             options_.behaviours.to_string(), seed, options_.slow_commit_ms);
}

std::vector<node::HookFrame> Adversary::outbound(const consensus::Outbound& outbound) {
  return finish(plan(outbound));
}

Adversary::Plan Adversary::plan(const consensus::Outbound& outbound) {
  const Message& message = outbound.message;
  const Behaviours& b = options_.behaviours;
  switch (message.kind) {
    case MessageKind::kPrePrepare:
      if (b.has(Behaviour::kEquivocate) || b.has(Behaviour::kBadTxs)) {
        return proposal_plan(outbound);
      }
      break;
    case MessageKind::kPrepare:
    case MessageKind::kCommit:
      if (b.has(Behaviour::kConflictingVotes)) return vote_plan(outbound);
      break;
    case MessageKind::kViewChange:
      if (b.has(Behaviour::kConflictingVotes)) {
        auto hidden = view_change_without_prepared(message, config_, *key_);
        if (hidden) {
          fired(Behaviour::kConflictingVotes,
                "view change to view " + std::to_string(message.view) + " hiding what prepared");
          return split_plan(outbound, *hidden);
        }
      }
      break;
    case MessageKind::kStatus:
      if (b.has(Behaviour::kForgedCatchUp)) {
        // Mostly a little more; now and then all but the largest height there can be.
        const uint64_t claimed = rng_.below(kStatusHugeOneIn) == 0
                                     ? UINT64_MAX - rng_.below(kCatchUpBlocksMax)
                                     : message.height + kStatusInflation;
        auto inflated = inflated_status(message, config_, claimed, *key_, rng_);
        if (inflated) {
          fired(Behaviour::kForgedCatchUp, "STATUS claims height " +
                                               std::to_string(inflated->height) + " instead of " +
                                               std::to_string(message.height));
          return {{outbound.to, std::move(inflated).value()}};
        }
      }
      break;
    case MessageKind::kCatchUpResponse:
      if (b.has(Behaviour::kForgedCatchUp) && outbound.to) {
        fired(Behaviour::kForgedCatchUp, "forged catch-up response for height " +
                                             std::to_string(message.height) + " to validator " +
                                             std::to_string(*outbound.to));
        return {{outbound.to, forged_response(message.height)}};
      }
      break;
    default:
      break;
  }
  return {{outbound.to, message}};
}

std::vector<uint32_t> Adversary::recipients(const consensus::Outbound& outbound) const {
  if (outbound.to) return {*outbound.to};
  std::vector<uint32_t> peers;
  for (uint32_t peer = 0; peer < config_.n(); ++peer) {
    if (peer != self_) peers.push_back(peer);
  }
  return peers;
}

// Equivocation: the first half of the backups gets the replica's proposal, the second half a
// twin; the first backup then also gets the twin (so it sees the primary equivocate). Bad
// transactions: every backup gets the spoiled block. One plan per (view, height), so the
// replica's retransmissions repeat the same lies.
Adversary::Plan Adversary::proposal_plan(const consensus::Outbound& outbound) {
  const Message& original = outbound.message;
  const auto slot = std::make_pair(original.view, original.height);
  auto it = proposals_.find(slot);
  if (it == proposals_.end()) {
    std::optional<Proposal> made = make_proposal(original);
    if (!made) return {{outbound.to, original}};
    if (proposals_.size() >= kProposalsMax) proposals_.erase(proposals_.begin());
    it = proposals_.emplace(slot, std::move(made).value()).first;
  }
  const Proposal& proposal = it->second;
  if (!proposal.equivocate) return {{outbound.to, proposal.twin}};
  std::vector<uint32_t> backups = recipients({std::nullopt, original});
  const size_t half = (backups.size() + 1) / 2;
  Plan plan;
  for (uint32_t peer : recipients(outbound)) {
    const size_t index = std::find(backups.begin(), backups.end(), peer) - backups.begin();
    plan.emplace_back(peer, index < half ? original : proposal.twin);
    if (index == 0) plan.emplace_back(peer, proposal.twin);
  }
  return plan;
}

std::optional<Adversary::Proposal> Adversary::make_proposal(const Message& original) {
  auto block = ledger::decode_block(original.block, config_.block_limits);
  if (!block) return std::nullopt;
  const Behaviours& b = options_.behaviours;
  const bool can_spoil = b.has(Behaviour::kBadTxs) && !block->transactions.empty();
  if (!can_spoil && !b.has(Behaviour::kEquivocate)) return std::nullopt;
  Proposal proposal;
  proposal.equivocate = !can_spoil || (b.has(Behaviour::kEquivocate) && rng_.below(2) == 0);
  if (proposal.equivocate) {
    proposal.twin = pre_prepare_for(original, equivocal_twin(*block), *key_);
    fired(Behaviour::kEquivocate, "two pre-prepares for view " + std::to_string(original.view) +
                                      " height " + std::to_string(original.height));
  } else {
    const auto kind = static_cast<BadTxs>(rng_.below(kBadTxsCount));
    proposal.twin = pre_prepare_for(
        original, with_bad_txs(*block, kind, proposed_txs_, *stranger_, rng_), *key_);
    fired(Behaviour::kBadTxs,
          "proposed height " + std::to_string(original.height) + " with " + bad_txs_name(kind));
  }
  for (const ledger::SignedTransaction& tx : block->transactions) {
    if (proposed_txs_.size() >= kProposedTxsMax) proposed_txs_.erase(proposed_txs_.begin());
    proposed_txs_.push_back(tx);
  }
  return proposal;
}

// A vote for a random digest to some recipients (split_plan).
Adversary::Plan Adversary::vote_plan(const consensus::Outbound& outbound) {
  const Message& vote = outbound.message;
  Message lie = vote;
  lie.digest = rng_.hash();
  sign_message(&lie, *key_, config_.chain_id);
  fired(Behaviour::kConflictingVotes, "conflicting " + describe(vote));
  return split_plan(outbound, lie);
}

// Odd-indexed recipients (shifted by the height) get `lie`, the others the real message.
Adversary::Plan Adversary::split_plan(const consensus::Outbound& outbound, const Message& lie) {
  Plan plan;
  const std::vector<uint32_t> peers = recipients(outbound);
  for (size_t i = 0; i < peers.size(); ++i) {
    plan.emplace_back(peers[i], (i + outbound.message.height) % 2 == 1 ? lie : outbound.message);
  }
  return plan;
}

Message Adversary::forged_response(uint64_t height) {
  std::optional<ledger::CertifiedBlock> real;
  std::optional<crypto::Hash> parent;
  auto snapshot = store_->snapshot();
  if (snapshot) {
    auto block = snapshot->block(height);
    auto certificate = snapshot->certificate(height);
    if (block && certificate && block->has_value() && certificate->has_value()) {
      real = ledger::CertifiedBlock{**block, **certificate};
    }
    if (height == snapshot->height() + 1) parent = snapshot->tip_hash();
  }
  return forged_catch_up_response(self_, config_.n(), height, real, parent, config_.chain_id, *key_,
                                  rng_);
}

std::vector<node::HookFrame> Adversary::inbound(uint32_t from, const Message& message) {
  std::vector<node::HookFrame> frames;
  if (message.kind != MessageKind::kCatchUpRequest ||
      !options_.behaviours.has(Behaviour::kForgedCatchUp) || message.height <= store_->height()) {
    return frames;  // a request this node can serve reaches outbound() as responses
  }
  fired(Behaviour::kForgedCatchUp, "invented blocks from height " + std::to_string(message.height) +
                                       " for validator " + std::to_string(from));
  for (uint64_t i = 0; i < kForgedResponsesMax; ++i) {
    frames.push_back({from, node::encode_consensus_frame(forged_response(message.height + i))});
  }
  return frames;
}

std::vector<node::HookFrame> Adversary::finish(const Plan& plan) {
  std::vector<node::HookFrame> frames;
  for (const auto& [to, message] : plan) {
    const bool is_signed = is_signed_kind(message.kind);
    if (is_signed && options_.behaviours.has(Behaviour::kBadSignatures) &&
        rng_.below(kBadSignatureOneIn) == 0) {
      fired(Behaviour::kBadSignatures, "bad signature on " + describe(message));
      frames.push_back({to, node::encode_consensus_frame(with_bad_signature(message))});
    }
    frames.push_back({to, node::encode_consensus_frame(message)});
    if (!is_signed) continue;
    if (sent_.size() >= kSentMax) sent_.pop_front();
    sent_.push_back({now_ms_, frames.back().frame});
  }
  return frames;
}

std::vector<node::HookFrame> Adversary::tick(uint64_t now_ms) {
  now_ms_ = now_ms;
  std::vector<node::HookFrame> frames;
  junk(&frames);
  if (now_ms_ - summary_ms_ >= kSummaryIntervalMs) {
    summary_ms_ = now_ms_;
    log_summary();
  }
  return frames;
}

// One garbage frame and one replayed message per interval, each to a random peer.
void Adversary::junk(std::vector<node::HookFrame>* frames) {
  const Behaviours& b = options_.behaviours;
  if (b.has(Behaviour::kGarbage) && now_ms_ - junk_ms_ >= kJunkIntervalMs) {
    junk_ms_ = now_ms_;
    const Bytes recent = sent_.empty() ? Bytes{} : sent_.back().frame;
    Bytes frame = garbage_frame(recent, self_, config_.n(), config_.block_limits, rng_);
    fired(Behaviour::kGarbage, std::to_string(frame.size()) + " bytes of garbage");
    frames->push_back({random_peer(), std::move(frame)});
  }
  if (b.has(Behaviour::kReplay) && now_ms_ - replay_ms_ >= kReplayIntervalMs) {
    replay_ms_ = now_ms_;
    // sent_ is oldest first: pick among the prefix old enough.
    size_t old = 0;
    while (old < sent_.size() && now_ms_ - sent_[old].at_ms >= kReplayAgeMinMs) ++old;
    if (old == 0) return;
    const Sent& replayed = sent_[rng_.below(old)];
    fired(Behaviour::kReplay,
          "replayed a message " + std::to_string(now_ms_ - replayed.at_ms) + " ms old");
    frames->push_back({random_peer(), replayed.frame});
  }
}

uint32_t Adversary::random_peer() {
  return static_cast<uint32_t>((self_ + 1 + rng_.below(config_.n() - 1)) % config_.n());
}

void Adversary::fired(Behaviour behaviour, const std::string& detail) {
  const uint64_t count = ++fired_[static_cast<size_t>(behaviour)];
  if (count <= kFiredLoggedMax) {
    log_->warn("byzantine: {}: {}", kBehaviourNames[static_cast<size_t>(behaviour)], detail);
  }
}

void Adversary::log_summary() {
  uint64_t sum = 0;
  std::string counts;
  for (size_t i = 0; i < kBehaviourCount; ++i) {
    sum += fired_[i];
    if (!options_.behaviours.has(static_cast<Behaviour>(i))) continue;
    if (!counts.empty()) counts += ", ";
    counts += std::string(kBehaviourNames[i]) + " " + std::to_string(fired_[i]);
  }
  if (sum == fired_logged_sum_) return;
  fired_logged_sum_ = sum;
  if (!counts.empty()) log_->warn("byzantine: fired so far: {}", counts);
}

void Adversary::before_commit(uint64_t) {
  if (options_.slow_commit_ms == 0) return;
  // The point is a slow disk: the ledger writer blocks here as it would in fsync.
  std::this_thread::sleep_for(std::chrono::milliseconds(options_.slow_commit_ms));
}

}  // namespace phalanx::byzantine
