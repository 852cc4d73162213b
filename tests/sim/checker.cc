// Invariant checks (see checker.h). Signed bodies are rebuilt here from the grammar in
// consensus/types.h rather than through consensus/codec.h, so a codec that drifts from the
// documented bytes shows up as a signature violation.
#include "tests/sim/checker.h"

#include "crypto/hash.h"
#include "ledger/block.h"
#include "tests/sim/trace.h"

namespace phalanx::sim {
namespace {

using consensus::Message;
using consensus::MessageKind;

Bytes documented_vote_body(uint64_t view, uint64_t height, const Hash& digest) {
  Writer writer;
  writer.u64(view);
  writer.u64(height);
  writer.fixed(digest);
  return writer.take();
}

Bytes documented_checkpoint_body(uint64_t height, const Hash& block_hash, const Hash& root) {
  Writer writer;
  writer.u64(height);
  writer.fixed(block_hash);
  writer.fixed(root);
  return writer.take();
}

// The kinds whose signed body this checker rebuilds (the part-1 normal case and
// checkpoints); other kinds are not checked here.
std::optional<crypto::Domain> checked_domain(MessageKind kind) {
  if (kind == MessageKind::kPrePrepare) return crypto::Domain::kPrePrepare;
  if (kind == MessageKind::kPrepare) return crypto::Domain::kPrepare;
  if (kind == MessageKind::kCommit) return crypto::Domain::kCommit;
  if (kind == MessageKind::kCheckpoint) return crypto::Domain::kCheckpoint;
  return std::nullopt;
}

std::string at(uint32_t replica, uint64_t height) {
  return "replica " + std::to_string(replica) + " at height " + std::to_string(height);
}

}  // namespace

std::string_view invariant_name(Invariant invariant) {
  switch (invariant) {
    case Invariant::kAgreement:
      return "agreement";
    case Invariant::kLinkage:
      return "linkage";
    case Invariant::kOrder:
      return "order";
    case Invariant::kValidity:
      return "validity";
    case Invariant::kDuplicateTx:
      return "no-duplicate";
    case Invariant::kStateRoot:
      return "state-root";
    case Invariant::kCertificate:
      return "certificate";
    case Invariant::kSingleVote:
      return "single-vote";
    case Invariant::kSignature:
      return "signature";
    case Invariant::kLiveness:
      return "liveness";
    case Invariant::kCodec:
      return "codec";
    case Invariant::kBounds:
      return "bounds";
    case Invariant::kProgress:
      return "progress";
  }
  return "unknown";
}

Checker::Checker(CheckerConfig config, std::unique_ptr<consensus::Verifier> verifier,
                 const std::set<Hash>* known_txs)
    : config_(config), verifier_(std::move(verifier)), known_txs_(known_txs) {
  counted_.assign(config_.validators, config_.liveness_replicas.empty());
  for (uint32_t replica : config_.liveness_replicas) {
    PHALANX_ASSERT(replica < config_.validators);
    counted_[replica] = true;
  }
  target_ = config_.liveness_replicas.empty()
                ? config_.quorum
                : static_cast<uint32_t>(config_.liveness_replicas.size());
}

void Checker::fail(Invariant invariant, std::string detail) {
  if (violation_) return;
  violation_ = Violation{invariant, std::move(detail)};
}

void Checker::check_signature(uint32_t sender, const Message& message, crypto::Domain domain) {
  const Bytes body =
      message.kind == MessageKind::kCheckpoint
          ? documented_checkpoint_body(message.height, message.digest, message.state_root)
          : documented_vote_body(message.view, message.height, message.digest);
  if (message.from >= config_.validators ||
      !verifier_->verify(message.from, domain, body, message.signature)) {
    fail(Invariant::kSignature,
         "replica " + std::to_string(sender) + " sent " + format_message(message) + " signed by " +
             std::to_string(message.from) + " with a signature that does not verify");
  }
}

void Checker::on_sent(uint32_t from, const Message& message) {
  const std::optional<crypto::Domain> domain = checked_domain(message.kind);
  if (!domain) return;
  check_signature(from, message, *domain);
  // A message relayed for its signer is checked when the signer itself sends.
  if (message.from != from) return;
  Hash digest = message.digest;
  uint64_t view = message.view;
  if (message.kind == MessageKind::kCheckpoint) {
    digest = crypto::sha256_pair(message.digest, message.state_root);
    view = 0;
  }
  const auto key = std::make_tuple(from, static_cast<uint8_t>(message.kind), view, message.height);
  auto [it, inserted] = votes_.emplace(key, digest);
  if (!inserted && it->second != digest) {
    fail(Invariant::kSingleVote, "replica " + std::to_string(from) + " signed two different " +
                                     std::string(consensus_kind_name(message.kind)) +
                                     " digests for view " + std::to_string(view) + " height " +
                                     std::to_string(message.height) + ": " + short_hex(it->second) +
                                     " then " + short_hex(digest));
  }
}

bool Checker::on_committed(uint32_t replica, uint64_t tip_height, const Hash& tip_hash,
                           const consensus::CommittedBlock& block) {
  const ledger::BlockHeader& header = block.block.header;
  if (header.height != tip_height + 1) {
    fail(Invariant::kOrder, at(replica, tip_height) + " was handed block " +
                                std::to_string(header.height) + " (expected " +
                                std::to_string(tip_height + 1) + ")");
    return false;
  }
  if (ledger::block_hash(header) != block.hash) {
    fail(Invariant::kOrder, at(replica, header.height) + ": CommittedBlock.hash " +
                                short_hex(block.hash) + " is not the header's hash");
  }
  if (header.prev_hash != tip_hash) {
    fail(Invariant::kLinkage, at(replica, header.height) + ": block " + short_hex(block.hash) +
                                  " has prev_hash " + short_hex(header.prev_hash) +
                                  " but the committed block below is " + short_hex(tip_hash));
  }
  // The certificate first: a block committed without a quorum's COMMITs is the cause when it
  // also disagrees with another replica's (a forged catch-up block is both).
  if (config_.check_certificates) check_certificate(replica, block);
  auto [it, inserted] = committed_.emplace(header.height, block.hash);
  if (!inserted && it->second != block.hash) {
    fail(Invariant::kAgreement, at(replica, header.height) + " committed " + short_hex(block.hash) +
                                    " but another replica committed " + short_hex(it->second));
  }
  check_transactions(replica, block);
  return true;
}

void Checker::check_certificate(uint32_t replica, const consensus::CommittedBlock& block) {
  const auto& certificate = block.certificate;
  const uint64_t height = block.block.header.height;
  std::set<uint32_t> signers;
  const Bytes body = documented_vote_body(certificate.view, height, block.hash);
  for (const auto& entry : certificate.signatures) {
    if (entry.validator >= config_.validators || !signers.insert(entry.validator).second ||
        !verifier_->verify(entry.validator, crypto::Domain::kCommit, body, entry.signature)) {
      fail(Invariant::kCertificate, at(replica, height) + ": certificate entry for validator " +
                                        std::to_string(entry.validator) +
                                        " is out of range, repeated or does not verify");
      return;
    }
  }
  if (signers.size() < config_.quorum) {
    fail(Invariant::kCertificate,
         at(replica, height) + ": certificate has " + std::to_string(signers.size()) +
             " COMMIT signatures, a quorum is " + std::to_string(config_.quorum));
  }
}

void Checker::check_transactions(uint32_t replica, const consensus::CommittedBlock& block) {
  const uint64_t height = block.block.header.height;
  for (const auto& tx : block.block.transactions) {
    if (known_txs_->count(tx.hash) == 0) {
      fail(Invariant::kValidity,
           at(replica, height) + " committed tx " + short_hex(tx.hash) + " no client created");
    }
    auto [it, inserted] = tx_heights_.emplace(tx.hash, height);
    if (!inserted && it->second != height) {
      fail(Invariant::kDuplicateTx, at(replica, height) + " committed tx " + short_hex(tx.hash) +
                                        " already committed at height " +
                                        std::to_string(it->second));
    }
  }
  std::set<Hash> in_block;
  for (const auto& tx : block.block.transactions) {
    if (!in_block.insert(tx.hash).second) {
      fail(Invariant::kDuplicateTx,
           at(replica, height) + " committed a block holding tx " + short_hex(tx.hash) + " twice");
    }
    if (replica < counted_.size() && counted_[replica] && ++tx_replicas_[tx.hash] == target_) {
      ++txs_at_quorum_;
    }
  }
}

void Checker::on_executed(uint32_t replica, uint64_t height, const Hash& state_root) {
  auto [it, inserted] = roots_.emplace(height, state_root);
  if (!inserted && it->second != state_root) {
    fail(Invariant::kStateRoot, at(replica, height) + " executed to state root " +
                                    short_hex(state_root) + " but another replica reached " +
                                    short_hex(it->second));
  }
}

uint32_t Checker::replicas_with_tx(const Hash& tx_hash) const {
  auto it = tx_replicas_.find(tx_hash);
  return it == tx_replicas_.end() ? 0 : it->second;
}

}  // namespace phalanx::sim
