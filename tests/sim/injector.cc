// Byzantine primary injector (see injector.h).
#include "tests/sim/injector.h"

#include "consensus/codec.h"
#include "tests/sim/trace.h"

namespace phalanx::sim {

using consensus::Message;
using consensus::MessageKind;

Injector::Injector(const FaultPlan& plan, ledger::BlockLimits limits, uint32_t byzantine,
                   std::unique_ptr<consensus::Signer> signer, const Clients* clients, Prng prng)
    : plan_(plan),
      limits_(limits),
      byzantine_(byzantine),
      signer_(std::move(signer)),
      clients_(clients),
      prng_(prng) {}

uint32_t Injector::pick_kind() {
  const uint32_t on_proposal =
      plan_.forge_kinds & (kForgeEquivocation | kForgeWrongParent | kForgeUnknownTx);
  if (on_proposal == 0) return 0;
  for (;;) {
    const uint32_t kind = 1u << prng_.below(3);
    if (on_proposal & kind) return kind;
  }
}

std::vector<uint32_t> Injector::backups(uint32_t primary) const {
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < plan_.validators; ++i) {
    if (i != primary) out.push_back(i);
  }
  return out;
}

Message Injector::sign(MessageKind kind, const Message& real, const ledger::Block& block) {
  Message forged;
  forged.kind = kind;
  forged.from = real.from;
  forged.view = real.view;
  forged.height = real.height;
  forged.digest = ledger::block_hash(block.header);
  if (kind == MessageKind::kPrePrepare) forged.block = ledger::encode_block(block);
  forged.signature = signer_->sign(consensus::domain_of(kind),
                                   consensus::vote_body(forged.view, forged.height, forged.digest));
  return forged;
}

std::vector<Forgery> Injector::on_primary_pre_prepare(const Message& real) {
  std::vector<Forgery> forgeries;
  if (real.from != byzantine_) return forgeries;
  real_[real.height] = real;
  while (real_.size() > kRememberedHeightsMax) real_.erase(real_.begin());
  if (!budget_left() || forged_heights_.count(real.height) > 0) return forgeries;
  if (!prng_.chance(plan_.forge_per_million)) return forgeries;
  const uint32_t kind = pick_kind();
  if (kind == 0) return forgeries;
  auto block = ledger::decode_block(real.block, limits_);
  PHALANX_ASSERT_MSG(block.is_ok(), "the honest primary sent a block that does not decode");
  forged_heights_.insert(real.height);
  ++forgeries_;
  switch (kind) {
    case kForgeEquivocation:
      return equivocate(real, std::move(*block));
    case kForgeWrongParent:
      return wrong_parent(real, std::move(*block));
    default:
      return unknown_tx(real, std::move(*block));
  }
}

std::vector<Forgery> Injector::equivocate(const Message& real, ledger::Block block) {
  block.header.timestamp_ms += 1;
  if (!block.transactions.empty() && prng_.chance(500'000)) {
    block.transactions.pop_back();
    block.header.tx_count = static_cast<uint32_t>(block.transactions.size());
    block.header.tx_root = ledger::merkle_root(ledger::transaction_hashes(block));
  }
  std::vector<uint32_t> targets = backups(real.from);
  prng_.shuffle(&targets);
  targets.resize(prng_.range(1, targets.size() - 1));  // a proper, non-empty subset
  Forgery pre_prepare{targets, sign(MessageKind::kPrePrepare, real, block), "equivocating block"};
  Forgery commit{targets, sign(MessageKind::kCommit, real, block), "COMMIT for it"};
  return {pre_prepare, commit};
}

std::vector<Forgery> Injector::wrong_parent(const Message& real, ledger::Block block) {
  block.header.prev_hash = crypto::sha256(block.header.prev_hash);
  return {Forgery{backups(real.from), sign(MessageKind::kPrePrepare, real, block),
                  "block with a wrong prev_hash"}};
}

std::vector<Forgery> Injector::unknown_tx(const Message& real, ledger::Block block) {
  block.transactions.push_back(clients_->stranger(real.height));
  block.header.tx_count = static_cast<uint32_t>(block.transactions.size());
  block.header.tx_root = ledger::merkle_root(ledger::transaction_hashes(block));
  return {Forgery{backups(real.from), sign(MessageKind::kPrePrepare, real, block),
                  "block with a tx no client created"}};
}

std::vector<Forgery> Injector::on_restart(uint32_t replica, uint64_t executed_height) {
  std::vector<Forgery> forgeries;
  if (!budget_left() || (plan_.forge_kinds & kForgeAfterRestart) == 0) return forgeries;
  for (auto it = real_.upper_bound(executed_height); it != real_.end(); ++it) {
    const Message& real = it->second;
    if (real.from == replica) continue;  // the primary itself restarted
    auto block = ledger::decode_block(real.block, limits_);
    PHALANX_ASSERT_MSG(block.is_ok(), "the honest primary sent a block that does not decode");
    block->header.timestamp_ms += 2;  // unlike any equivocation forged earlier (+1)
    forgeries.push_back(Forgery{{replica},
                                sign(MessageKind::kPrePrepare, real, *block),
                                "different block for a height voted on before the crash"});
  }
  if (!forgeries.empty()) ++forgeries_;
  return forgeries;
}

}  // namespace phalanx::sim
