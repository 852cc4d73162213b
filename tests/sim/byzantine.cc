// A Byzantine replica's outbound filter (see byzantine.h).
#include "tests/sim/byzantine.h"

#include <algorithm>

#include "consensus/catch_up.h"
#include "consensus/codec.h"
#include "consensus/view_change.h"

namespace phalanx::sim {

using consensus::Message;
using consensus::MessageKind;

Byzantine::Byzantine(const FaultPlan& plan, const consensus::Config& config, uint32_t self,
                     std::unique_ptr<consensus::Signer> signer, const Clients* clients, Prng prng)
    : plan_(plan),
      config_(config),
      self_(self),
      behaviours_(plan.behaviours_of(self)),
      signer_(std::move(signer)),
      clients_(clients),
      prng_(prng) {
  PHALANX_ASSERT(plan.is_byzantine(self));
}

bool Byzantine::censors(const crypto::Hash& tx_hash) const {
  return has(kByzCensor) && tx_hash[0] % 3 == 0;
}

void Byzantine::remember_body(const Message& message) {
  if (message.kind != MessageKind::kPrePrepare || bodies_.count(message.digest) > 0) return;
  auto block = ledger::decode_block(message.block, config_.block_limits);
  if (!block) return;
  bodies_.emplace(message.digest, std::move(block).value());
  body_order_.push_back(message.digest);
  while (body_order_.size() > kBodiesMax) {
    bodies_.erase(body_order_.front());
    body_order_.pop_front();
  }
}

void Byzantine::on_received(const std::shared_ptr<const Bytes>& wire) {
  if (has(kByzDropCertificate)) {
    auto message = consensus::decode_message(*wire, config_.block_limits);
    if (message) remember_body(*message);
  }
  if (!has(kByzReplay)) return;
  received_.push_back(wire);
  while (received_.size() > kReplayMessagesMax) received_.pop_front();
}

std::vector<uint32_t> Byzantine::others() const {
  std::vector<uint32_t> out;
  for (uint32_t to = 0; to < plan_.validators; ++to) {
    if (to != self_) out.push_back(to);
  }
  return out;
}

std::vector<uint32_t> Byzantine::recipients(const consensus::Outbound& outbound) const {
  std::vector<uint32_t> out;
  for (uint32_t to = 0; to < plan_.validators; ++to) {
    if (to != self_ && (!outbound.to || *outbound.to == to)) out.push_back(to);
  }
  return out;
}

std::shared_ptr<const Bytes> Byzantine::wire(const Message& message) const {
  return std::make_shared<const Bytes>(consensus::encode_message(message));
}

Message Byzantine::resign(Message message) {
  message.signature =
      signer_->sign(consensus::domain_of(message.kind), consensus::signed_body(message));
  return message;
}

std::pair<std::vector<uint32_t>, std::vector<uint32_t>> Byzantine::split(
    std::vector<uint32_t> targets) {
  prng_.shuffle(&targets);
  const size_t keep = targets.size() < 2 ? targets.size() : prng_.range(1, targets.size() - 1);
  std::vector<uint32_t> rest(targets.begin() + static_cast<ptrdiff_t>(keep), targets.end());
  targets.resize(keep);
  return {targets, rest};
}

std::vector<Emission> Byzantine::on_send(const consensus::Outbound& outbound) {
  std::vector<Emission> out;
  if (silent()) {
    ++counters_.misbehaviours;
    return out;
  }
  const Message& real = outbound.message;
  if (has(kByzDropCertificate)) remember_body(real);
  if (real.kind == MessageKind::kNewView && has(kByzDropCertificate) &&
      drop_certificate(real, &out)) {
    return out;
  }
  if (real.kind == MessageKind::kCatchUpResponse && has(kByzForgedCatchUp)) {
    out.push_back(Emission{recipients(outbound), wire(forge_catch_up(real)),
                           "catch-up block with a forged certificate"});
    return out;
  }
  if (prng_.chance(plan_.misbehave_per_million)) {
    misbehave(outbound, &out);
    if (!out.empty()) return out;
  }
  out.push_back(Emission{recipients(outbound), wire(real), ""});
  return out;
}

// Tries the misbehaviours that fit the message, most specific first; when one applies it
// fills `out` (which then replaces the real message entirely).
void Byzantine::misbehave(const consensus::Outbound& outbound, std::vector<Emission>* out) {
  const Message& real = outbound.message;
  std::vector<Emission> extra;
  bool replaced = false;
  if (real.kind == MessageKind::kPrePrepare || real.kind == MessageKind::kBlockResponse) {
    replaced = proposal_misbehaviour(real, &extra);
  } else if (real.kind == MessageKind::kPrepare || real.kind == MessageKind::kCommit) {
    replaced = vote_misbehaviour(real, &extra);
  }
  if (!replaced && !any_misbehaviour(real, &extra)) return;
  ++counters_.misbehaviours;
  if (!replaced) extra.insert(extra.begin(), Emission{recipients(outbound), wire(real), ""});
  // A replaced message keeps going to the recipients the misbehaviour left it.
  for (Emission& emission : extra) {
    if (emission.what.empty() && outbound.to) {
      std::erase_if(emission.targets, [&](uint32_t to) { return to != *outbound.to; });
    }
  }
  *out = std::move(extra);
}

bool Byzantine::proposal_misbehaviour(const Message& real, std::vector<Emission>* out) {
  const bool is_primary = real.kind == MessageKind::kPrePrepare && real.from == self_ &&
                          config_.primary_of(real.view) == self_;
  const bool equivocate = is_primary && has(kByzEquivocate);
  const bool bad = has(kByzBadTxs);
  if (!equivocate && !bad) return false;
  auto block = ledger::decode_block(real.block, config_.block_limits);
  PHALANX_ASSERT_MSG(block.is_ok(), "the honest core sent a block that does not decode");
  const std::vector<uint32_t> everyone = others();
  Message forged = real;
  if (real.kind == MessageKind::kBlockResponse) {
    if (!bad) return false;
    block->header.timestamp_ms += 3;  // no longer the block that hashes to the digest
    forged.block = ledger::encode_block(*block);
    ++counters_.bad_proposals;
    out->push_back(Emission{everyone, wire(forged), "block response with a forged body"});
    return true;
  }
  if (equivocate && (!bad || prng_.chance(500'000))) {
    auto [keep, rest] = split(everyone);
    block->header.timestamp_ms += 1;
    forged.digest = ledger::block_hash(block->header);
    forged.block = ledger::encode_block(*block);
    Message commit = forged;
    commit.kind = MessageKind::kCommit;
    commit.block.clear();
    ++counters_.equivocations;
    out->push_back(Emission{keep, wire(real), ""});
    out->push_back(Emission{rest, wire(resign(forged)), "equivocating PRE-PREPARE"});
    out->push_back(Emission{rest, wire(resign(commit)), "COMMIT for the equivocating block"});
    return true;
  }
  if (!is_primary) return false;
  if (block->transactions.empty() || prng_.chance(400'000)) {
    block->transactions.push_back(clients_->stranger(real.height));
  } else {
    block->transactions.push_back(block->transactions[prng_.below(block->transactions.size())]);
  }
  block->header.tx_count = static_cast<uint32_t>(block->transactions.size());
  block->header.tx_root = ledger::merkle_root(ledger::transaction_hashes(*block));
  forged.digest = ledger::block_hash(block->header);
  forged.block = ledger::encode_block(*block);
  ++counters_.bad_proposals;
  out->push_back(Emission{everyone, wire(resign(forged)), "block with an unknown or repeated tx"});
  return true;
}

bool Byzantine::vote_misbehaviour(const Message& real, std::vector<Emission>* out) {
  std::vector<uint32_t> picks;
  for (uint32_t behaviour : {kByzConflictingVotes, kByzStaleView, kByzFutureView}) {
    if (has(behaviour)) picks.push_back(behaviour);
  }
  if (picks.empty()) return false;
  const uint32_t pick = picks[prng_.below(picks.size())];
  const std::vector<uint32_t> everyone = others();
  Message forged = real;
  if (pick == kByzConflictingVotes) {
    auto [keep, rest] = split(everyone);
    forged.digest = crypto::sha256(real.digest);
    out->push_back(Emission{keep, wire(real), ""});
    out->push_back(Emission{rest, wire(resign(forged)), "conflicting vote"});
    return true;
  }
  if (pick == kByzStaleView && real.view == 0) return false;
  forged.view = pick == kByzStaleView ? real.view - 1 : real.view + prng_.range(2, kFutureViewsMax);
  out->push_back(Emission{everyone, wire(real), ""});
  out->push_back(Emission{everyone, wire(resign(forged)),
                          pick == kByzStaleView ? "vote for a stale view" : "vote for a far view"});
  return true;
}

// Misbehaviours that add a message next to the real one (which still goes out).
bool Byzantine::any_misbehaviour(const Message& real, std::vector<Emission>* out) {
  std::vector<uint32_t> picks;
  for (uint32_t behaviour :
       {kByzForgedSignature, kByzInvalidSignature, kByzReplay, kByzGarbage, kByzFutureView}) {
    if (has(behaviour)) picks.push_back(behaviour);
  }
  if (picks.empty()) return false;
  const uint32_t pick = picks[prng_.below(picks.size())];
  const std::vector<uint32_t> everyone = others();
  std::vector<uint32_t> someone{everyone[prng_.below(everyone.size())]};
  Message forged = real;
  switch (pick) {
    case kByzForgedSignature: {
      forged.from = someone[0];  // claimed sender; goes to everyone else
      std::vector<uint32_t> targets = everyone;
      std::erase(targets, forged.from);
      out->push_back(Emission{targets, wire(forged), "message in another replica's name"});
      return true;
    }
    case kByzInvalidSignature:
      forged.signature[prng_.below(forged.signature.size())] ^= 0x01;
      out->push_back(Emission{someone, wire(forged), "corrupted signature"});
      return true;
    case kByzReplay:
      if (received_.empty()) return false;
      ++counters_.replays;
      out->push_back(
          Emission{someone, received_[prng_.below(received_.size())], "replayed old message"});
      return true;
    case kByzGarbage:
      ++counters_.garbage;
      out->push_back(
          Emission{someone, std::make_shared<const Bytes>(garbage(real)), "garbage bytes"});
      return true;
    default:
      future_view_change(real, out);
      return true;
  }
}

// A validly signed VIEW-CHANGE for a view far ahead (genesis checkpoint, nothing
// prepared): alone it must move nobody, since joining takes f+1 senders.
void Byzantine::future_view_change(const Message& real, std::vector<Emission>* out) {
  consensus::ViewChange view_change;
  view_change.view = real.view + prng_.range(2, kFutureViewsMax);
  Message forged;
  forged.kind = MessageKind::kViewChange;
  forged.from = self_;
  forged.view = view_change.view;
  forged.height = 0;
  forged.block = consensus::encode_view_change(view_change);
  const std::vector<uint32_t> everyone = others();
  out->push_back(Emission{everyone, wire(resign(forged)), "VIEW-CHANGE for a far view"});
}

Bytes Byzantine::garbage(const Message& real) {
  Bytes bytes;
  switch (prng_.below(3)) {
    case 0: {  // random bytes
      bytes.resize(prng_.range(0, kGarbageBytesMax));
      for (auto& byte : bytes) byte = static_cast<uint8_t>(prng_.next());
      return bytes;
    }
    case 1:  // a real envelope cut short
      bytes = consensus::encode_message(real);
      bytes.resize(prng_.below(bytes.size()));
      return bytes;
    default: {  // a real envelope with a few bytes flipped
      bytes = consensus::encode_message(real);
      const uint64_t flips = prng_.range(1, 4);
      for (uint64_t i = 0; i < flips; ++i) {
        bytes[prng_.below(bytes.size())] ^= static_cast<uint8_t>(prng_.range(1, 255));
      }
      return bytes;
    }
  }
}

// Catch-up must verify each certificate against the validator set, never trust the peer:
// a certificate one signature short of a quorum, one with a corrupted signature, or a
// different block under the real certificate.
Message Byzantine::forge_catch_up(const Message& real) {
  auto response = consensus::decode_catch_up_response(real, config_);
  PHALANX_ASSERT_MSG(response.is_ok(), "the honest core served a response that does not decode");
  ledger::Block block = response->block;
  ledger::CommitCertificate certificate = response->certificate;
  switch (prng_.below(3)) {
    case 0:
      certificate.signatures.resize(
          std::min<size_t>(certificate.signatures.size(), config_.quorum() - 1));
      break;
    case 1:
      if (!certificate.signatures.empty()) certificate.signatures.back().signature[0] ^= 0x01;
      break;
    default:
      block.header.timestamp_ms += 1;
      break;
  }
  ++counters_.misbehaviours;
  ++counters_.forged_catch_ups;
  return consensus::make_catch_up_response(self_, block, certificate);
}

// PBFT §4.4 attack: leave out the highest re-proposal, so the block prepared there could be
// replaced by a new one. Backups re-derive the re-proposals and must reject it.
bool Byzantine::drop_certificate(const Message& real, std::vector<Emission>* out) {
  auto new_view = consensus::decode_new_view(real.block, config_);
  PHALANX_ASSERT_MSG(new_view.is_ok(), "the honest core sent a NEW-VIEW that does not decode");
  if (new_view->reproposals.empty()) return false;
  const consensus::Reproposal dropped = new_view->reproposals.back();
  new_view->reproposals.pop_back();
  Message forged = real;
  forged.block = consensus::encode_new_view(*new_view);
  ++counters_.misbehaviours;
  ++counters_.dropped_certificates;
  const std::vector<uint32_t> everyone = others();
  out->push_back(
      Emission{everyone, wire(resign(forged)), "NEW-VIEW without its highest re-proposal"});
  auto body = bodies_.find(dropped.digest);
  if (body == bodies_.end()) return true;
  // The point of dropping it: a different block at that height, on the same parent.
  ledger::Block block = body->second;
  block.header.view = real.view;
  block.header.proposer = self_;
  block.header.timestamp_ms += 1;
  Message replacement;
  replacement.kind = MessageKind::kPrePrepare;
  replacement.from = self_;
  replacement.view = real.view;
  replacement.height = dropped.height;
  replacement.digest = ledger::block_hash(block.header);
  replacement.block = ledger::encode_block(block);
  out->push_back(
      Emission{everyone, wire(resign(replacement)), "a different block at the dropped height"});
  return true;
}

}  // namespace phalanx::sim
