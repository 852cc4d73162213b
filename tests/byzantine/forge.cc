#include "tests/byzantine/forge.h"

#include <algorithm>

#include "consensus/catch_up.h"
#include "consensus/codec.h"
#include "consensus/view_change.h"
#include "crypto/address.h"
#include "crypto/domain.h"
#include "node/wire.h"

namespace phalanx::byzantine {

namespace {

using consensus::Message;
using consensus::MessageKind;

constexpr size_t kGarbageBytesMax = 256;
constexpr uint64_t kWrongNonceAheadMax = 1000;

ledger::SignedTransaction with_corrupted_signature(const ledger::SignedTransaction& original) {
  ledger::Transaction tx = original.tx;
  tx.signature[0] ^= 0x01;
  auto parsed = ledger::parse_signed_transaction(ledger::encode_transaction(tx));
  PHALANX_ASSERT(parsed.is_ok());  // only the signature changed
  return std::move(parsed).value();
}

// A block for `height` that nobody proposed: empty, on top of `parent_hash` (or of nothing).
ledger::Block invented_block(uint64_t height, const std::optional<crypto::Hash>& parent_hash,
                             uint32_t proposer, const std::string& chain_id, Rng& rng) {
  ledger::Block block;
  block.header.chain_id = chain_id;
  block.header.height = height;
  block.header.prev_hash = parent_hash.value_or(rng.hash());
  block.header.timestamp_ms = rng.next() >> 24;
  block.header.proposer = proposer;
  block.header.state_root = rng.hash();
  return reseal(std::move(block));
}

// Our valid COMMIT signature for (view, height, hash) and junk from quorum - 1 others.
ledger::CommitCertificate junk_certificate(uint32_t self, uint32_t validators, uint64_t height,
                                           const crypto::Hash& hash, const std::string& chain_id,
                                           const crypto::SecretKey& key, Rng& rng) {
  ledger::CommitCertificate certificate;
  certificate.view = rng.below(4);
  const uint32_t f = (validators - 1) / 3;
  const uint32_t quorum = (validators + f + 2) / 2;
  for (uint32_t validator = 0; validator < validators && certificate.signatures.size() < quorum;
       ++validator) {
    ledger::CommitSignature entry;
    entry.validator = validator;
    if (validator == self) {
      entry.signature = crypto::sign_domain(key, crypto::Domain::kCommit, chain_id,
                                            consensus::vote_body(certificate.view, height, hash));
    } else {
      for (auto& byte : entry.signature) byte = static_cast<uint8_t>(rng.next());
    }
    certificate.signatures.push_back(entry);
  }
  return certificate;
}

}  // namespace

bool is_signed_kind(MessageKind kind) {
  switch (kind) {
    case MessageKind::kPrePrepare:
    case MessageKind::kPrepare:
    case MessageKind::kCommit:
    case MessageKind::kCheckpoint:
    case MessageKind::kViewChange:
    case MessageKind::kNewView:
    case MessageKind::kStatus:
      return true;
    default:
      return false;
  }
}

void sign_message(Message* message, const crypto::SecretKey& key, const std::string& chain_id) {
  PHALANX_ASSERT(is_signed_kind(message->kind));
  message->signature = crypto::sign_domain(key, consensus::domain_of(message->kind), chain_id,
                                           consensus::signed_body(*message));
}

Message with_bad_signature(Message message) {
  message.signature[message.signature.size() / 2] ^= 0x80;
  return message;
}

ledger::Block reseal(ledger::Block block) {
  block.header.tx_count = static_cast<uint32_t>(block.transactions.size());
  block.header.tx_root = ledger::merkle_root(ledger::transaction_hashes(block));
  return block;
}

Message pre_prepare_for(const Message& original, const ledger::Block& block,
                        const crypto::SecretKey& key) {
  Message message = original;
  message.digest = ledger::block_hash(block.header);
  message.block = ledger::encode_block(block);
  sign_message(&message, key, block.header.chain_id);
  return message;
}

ledger::Block equivocal_twin(ledger::Block block) {
  if (block.transactions.size() >= 2) {
    block.transactions.pop_back();
    return reseal(std::move(block));
  }
  block.header.timestamp_ms += 1;
  return block;
}

const char* bad_txs_name(BadTxs kind) {
  switch (kind) {
    case BadTxs::kBadSignature:
      return "a transaction with a corrupted signature";
    case BadTxs::kDuplicate:
      return "a transaction twice";
    case BadTxs::kAlreadyProposed:
      return "a transaction of an earlier proposal";
    case BadTxs::kWrongNonce:
      return "a transfer from an unfunded account with a wrong nonce";
  }
  return "?";
}

ledger::Block with_bad_txs(ledger::Block block, BadTxs kind,
                           const std::vector<ledger::SignedTransaction>& earlier,
                           const crypto::SecretKey& stranger, Rng& rng) {
  PHALANX_ASSERT(!block.transactions.empty());
  const ledger::SignedTransaction first = block.transactions.front();
  if (kind == BadTxs::kAlreadyProposed && earlier.empty()) kind = BadTxs::kDuplicate;
  switch (kind) {
    case BadTxs::kBadSignature:
      block.transactions.push_back(with_corrupted_signature(first));
      break;
    case BadTxs::kDuplicate:
      block.transactions.push_back(first);
      break;
    case BadTxs::kAlreadyProposed:
      block.transactions.push_back(earlier[rng.below(earlier.size())]);
      break;
    case BadTxs::kWrongNonce:
      block.transactions.push_back(ledger::make_transfer(stranger, block.header.chain_id,
                                                         crypto::address_of(first.tx.sender), 1, 1,
                                                         1 + rng.below(kWrongNonceAheadMax)));
      break;
  }
  return reseal(std::move(block));
}

Message forged_catch_up_response(uint32_t self, uint32_t validators, uint64_t height,
                                 const std::optional<ledger::CertifiedBlock>& real,
                                 const std::optional<crypto::Hash>& parent_hash,
                                 const std::string& chain_id, const crypto::SecretKey& key,
                                 Rng& rng) {
  if (real && rng.below(2) == 0) {
    // The real certificate under a block it does not sign.
    ledger::Block altered = real->block;
    altered.header.timestamp_ms += 1 + rng.below(1000);
    return consensus::make_catch_up_response(self, altered, real->certificate);
  }
  const ledger::Block block =
      real ? real->block : invented_block(height, parent_hash, self, chain_id, rng);
  const crypto::Hash hash = ledger::block_hash(block.header);
  return consensus::make_catch_up_response(
      self, block, junk_certificate(self, validators, height, hash, chain_id, key, rng));
}

std::optional<Message> inflated_status(const Message& status, const consensus::Config& config,
                                       uint64_t claimed, const crypto::SecretKey& key, Rng& rng) {
  auto report = consensus::decode_status(status.block, config);
  if (!report) return std::nullopt;
  report->height = claimed;
  report->block_hash = rng.hash();
  Message message = status;
  message.height = report->height;
  message.digest = report->block_hash;
  message.block = consensus::encode_status(*report);
  sign_message(&message, key, config.chain_id);
  return message;
}

std::optional<Message> view_change_without_prepared(const Message& view_change,
                                                    const consensus::Config& config,
                                                    const crypto::SecretKey& key) {
  auto decoded = consensus::decode_view_change(view_change.block, config);
  if (!decoded || decoded->prepared.empty()) return std::nullopt;
  decoded->prepared.clear();
  Message message = view_change;
  message.block = consensus::encode_view_change(*decoded);
  sign_message(&message, key, config.chain_id);
  return message;
}

Bytes garbage_frame(const Bytes& recent, uint32_t self, uint32_t validators,
                    const ledger::BlockLimits& limits, Rng& rng) {
  const uint64_t variant = rng.below(recent.size() < 2 ? 2 : 4);
  if (variant == 2) {  // cut short
    return Bytes(recent.begin(), recent.begin() + 1 + rng.below(recent.size() - 1));
  }
  if (variant == 3) {  // under another validator's name
    auto decoded = node::decode_wire_frame(recent, limits);
    if (decoded && decoded->kind == node::WireKind::kConsensus) {
      decoded->message.from = (self + 1 + rng.below(validators - 1)) % validators;
      return node::encode_consensus_frame(decoded->message);
    }
  }
  Bytes bytes(1 + rng.below(kGarbageBytesMax));
  for (auto& byte : bytes) byte = static_cast<uint8_t>(rng.next());
  // Variant 1: a consensus frame (kind 1) whose envelope is noise.
  if (variant == 1) bytes[0] = static_cast<uint8_t>(node::WireKind::kConsensus);
  return bytes;
}

}  // namespace phalanx::byzantine
