#include "consensus/safety_rules.h"

#include <algorithm>
#include <utility>

#include "consensus/codec.h"

namespace phalanx::consensus {

SafetyRules::SafetyRules(std::unique_ptr<Signer> signer, bool persist_votes)
    : signer_(std::move(signer)), persist_votes_(persist_votes) {
  PHALANX_ASSERT(signer_ != nullptr);
}

void SafetyRules::restore(MessageKind kind, uint64_t height, uint64_t view, VoteRecord record) {
  records_[{height, static_cast<uint8_t>(kind), view}] = std::move(record);
}

std::optional<Signature> SafetyRules::sign(MessageKind kind, uint64_t view, uint64_t height,
                                           ByteSpan body, Journal* journal) {
  PHALANX_ASSERT(journal != nullptr);
  PHALANX_ASSERT(body.size() ==
                 (kind == MessageKind::kCheckpoint ? kCheckpointBodyBytes : kVoteBodyBytes));
  const Slot slot{height, static_cast<uint8_t>(kind), view};
  auto it = records_.find(slot);
  if (it != records_.end()) {
    if (std::equal(body.begin(), body.end(), it->second.body.begin(), it->second.body.end())) {
      return it->second.signature;
    }
    ++refusals_;
    return std::nullopt;
  }
  VoteRecord record{Bytes(body.begin(), body.end()), signer_->sign(domain_of(kind), body)};
  if (persist_votes_) {
    journal->put_at(height, vote_key(kind, height, view), encode_vote_record(record));
  }
  const Signature signature = record.signature;
  records_.emplace(slot, std::move(record));
  return signature;
}

Signature SafetyRules::sign_statement(MessageKind kind, ByteSpan body) {
  PHALANX_ASSERT(kind == MessageKind::kViewChange || kind == MessageKind::kNewView ||
                 kind == MessageKind::kStatus);
  return signer_->sign(domain_of(kind), body);
}

const VoteRecord* SafetyRules::find(MessageKind kind, uint64_t view, uint64_t height) const {
  auto it = records_.find({height, static_cast<uint8_t>(kind), view});
  return it == records_.end() ? nullptr : &it->second;
}

void SafetyRules::forget_through(uint64_t height) {
  records_.erase(records_.begin(), records_.lower_bound({height + 1, 0, 0}));
}

}  // namespace phalanx::consensus
