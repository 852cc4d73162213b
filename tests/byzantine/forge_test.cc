// The lies of forge.h: each is well-formed enough to reach the check that must refuse it, and
// that check (the real verifier, decoder or certificate check) refuses it.
#include "tests/byzantine/forge.h"

#include "consensus/catch_up.h"
#include "consensus/codec.h"
#include "consensus/signer.h"
#include "consensus/view_change.h"
#include "gtest/gtest.h"
#include "node/wire.h"

namespace phalanx::byzantine {
namespace {

using consensus::Message;
using consensus::MessageKind;

constexpr const char* kChain = "byz-test";

crypto::SecretKey key_of(uint8_t index) {
  crypto::Seed seed{};
  seed.fill(static_cast<uint8_t>(0x40 + index));
  return crypto::SecretKey::from_seed(seed);
}

class ForgeTest : public ::testing::Test {
 protected:
  ForgeTest() {
    for (uint8_t i = 0; i < 4; ++i) {
      keys_.push_back(key_of(i));
      config_.validators.push_back(keys_.back().public_key());
    }
    config_.chain_id = kChain;
    config_.self = 3;
    verifier_ = std::make_unique<consensus::Ed25519Verifier>(config_.validators, kChain);
  }

  bool verifies(const Message& message) {
    return verifier_->verify(message.from, consensus::domain_of(message.kind),
                             consensus::signed_body(message), message.signature);
  }

  ledger::Block block_at(uint64_t height, size_t txs) {
    ledger::Block block;
    block.header.chain_id = kChain;
    block.header.height = height;
    block.header.timestamp_ms = 1'700'000'000'000;
    for (size_t i = 0; i < txs; ++i) {
      block.transactions.push_back(
          ledger::make_transfer(keys_[1], kChain, crypto::Address{}, 1 + i, 1, i));
    }
    return reseal(std::move(block));
  }

  Message pre_prepare(const ledger::Block& block) {
    Message message;
    message.kind = MessageKind::kPrePrepare;
    message.from = 0;
    message.view = block.header.view;
    message.height = block.header.height;
    message.digest = ledger::block_hash(block.header);
    message.block = ledger::encode_block(block);
    sign_message(&message, keys_[0], kChain);
    return message;
  }

  // COMMIT signatures of validators 0..2 (a quorum of 4).
  ledger::CommitCertificate certificate_for(uint64_t height, const crypto::Hash& hash) {
    ledger::CommitCertificate certificate;
    for (uint32_t i = 0; i < 3; ++i) {
      certificate.signatures.push_back(
          {i, crypto::sign_domain(keys_[i], crypto::Domain::kCommit, kChain,
                                  consensus::vote_body(0, height, hash))});
    }
    return certificate;
  }

  std::vector<crypto::SecretKey> keys_;
  consensus::Config config_;
  std::unique_ptr<consensus::Verifier> verifier_;
  Rng rng_{7};
};

TEST_F(ForgeTest, SignedMessagesVerifyAndTheirBadCopiesDoNot) {
  Message vote;
  vote.kind = MessageKind::kCommit;
  vote.from = 2;
  vote.view = 1;
  vote.height = 9;
  vote.digest = rng_.hash();
  sign_message(&vote, keys_[2], kChain);
  EXPECT_TRUE(verifies(vote));
  EXPECT_FALSE(verifies(with_bad_signature(vote)));
  EXPECT_TRUE(is_signed_kind(MessageKind::kStatus));
  EXPECT_FALSE(is_signed_kind(MessageKind::kCatchUpResponse));
}

TEST_F(ForgeTest, EquivocalTwinIsASecondValidProposalForTheSameSlot) {
  const ledger::Block block = block_at(5, 2);
  const Message original = pre_prepare(block);
  const Message twin = pre_prepare_for(original, equivocal_twin(block), keys_[0]);
  EXPECT_NE(twin.digest, original.digest);
  EXPECT_EQ(twin.view, original.view);
  EXPECT_EQ(twin.height, original.height);
  EXPECT_TRUE(verifies(twin));
  auto decoded = ledger::decode_block(twin.block, config_.block_limits);
  ASSERT_TRUE(decoded.is_ok()) << decoded.message();
  EXPECT_EQ(ledger::block_hash(decoded->header), twin.digest);
  EXPECT_EQ(decoded->transactions.size(), 1u);
  // One transaction: the same block a millisecond later.
  const ledger::Block single = block_at(5, 1);
  const ledger::Block twin_of_single = equivocal_twin(single);
  EXPECT_EQ(twin_of_single.transactions.size(), 1u);
  EXPECT_NE(ledger::block_hash(twin_of_single.header), ledger::block_hash(single.header));
}

TEST_F(ForgeTest, BadTransactionBlocksDecodeAndCarryTheLie) {
  const ledger::Block block = block_at(5, 2);
  const std::vector<ledger::SignedTransaction> earlier{
      ledger::make_transfer(keys_[2], kChain, crypto::Address{}, 7, 1, 0)};
  const crypto::SecretKey stranger = key_of(9);
  for (uint8_t k = 0; k < kBadTxsCount; ++k) {
    const auto kind = static_cast<BadTxs>(k);
    const ledger::Block bad = with_bad_txs(block, kind, earlier, stranger, rng_);
    auto decoded = ledger::decode_block(ledger::encode_block(bad), config_.block_limits);
    ASSERT_TRUE(decoded.is_ok()) << bad_txs_name(kind) << ": " << decoded.message();
    ASSERT_EQ(bad.transactions.size(), 3u) << bad_txs_name(kind);
    const ledger::SignedTransaction& added = bad.transactions.back();
    switch (kind) {
      case BadTxs::kBadSignature:
        EXPECT_FALSE(ledger::verify_transaction_signature(added.tx));
        break;
      case BadTxs::kDuplicate:
        EXPECT_EQ(added.hash, block.transactions.front().hash);
        break;
      case BadTxs::kAlreadyProposed:
        EXPECT_EQ(added.hash, earlier.front().hash);
        break;
      case BadTxs::kWrongNonce:
        EXPECT_TRUE(ledger::verify_transaction_signature(added.tx));
        EXPECT_EQ(added.tx.sender, stranger.public_key());
        EXPECT_GE(added.tx.nonce, 1u);
        break;
    }
  }
  // Nothing earlier to repeat: a duplicate instead.
  const ledger::Block fallback = with_bad_txs(block, BadTxs::kAlreadyProposed, {}, stranger, rng_);
  EXPECT_EQ(fallback.transactions.back().hash, block.transactions.front().hash);
}

TEST_F(ForgeTest, ForgedCatchUpResponsesFailTheCertificateCheck) {
  const ledger::Block block = block_at(6, 1);
  const crypto::Hash hash = ledger::block_hash(block.header);
  const ledger::CertifiedBlock real{block, certificate_for(6, hash)};
  ASSERT_TRUE(
      consensus::verify_commit_certificate(config_, *verifier_, 6, hash, real.certificate).is_ok());
  const crypto::Hash parent = rng_.hash();
  for (int round = 0; round < 20; ++round) {
    const bool have_real = round % 2 == 0;
    const Message forged = forged_catch_up_response(
        3, 4, 6, have_real ? std::optional(real) : std::nullopt, parent, kChain, keys_[3], rng_);
    auto decoded = consensus::decode_catch_up_response(forged, config_);
    ASSERT_TRUE(decoded.is_ok()) << decoded.message();
    EXPECT_EQ(decoded->block.header.height, 6u);
    EXPECT_EQ(decoded->block.header.prev_hash, have_real ? block.header.prev_hash : parent);
    EXPECT_FALSE(consensus::verify_commit_certificate(config_, *verifier_, 6, decoded->hash,
                                                      decoded->certificate)
                     .is_ok())
        << "round " << round;
  }
}

TEST_F(ForgeTest, InflatedStatusIsSignedAndClaimsMore) {
  consensus::StatusReport report;
  report.view = 2;
  report.height = 40;
  report.block_hash = rng_.hash();
  Message status;
  status.kind = MessageKind::kStatus;
  status.from = 3;
  status.view = 2;
  status.height = 40;
  status.digest = report.block_hash;
  status.block = consensus::encode_status(report);
  sign_message(&status, keys_[3], kChain);
  auto inflated = inflated_status(status, config_, 140, keys_[3], rng_);
  ASSERT_TRUE(inflated.has_value());
  EXPECT_TRUE(verifies(*inflated));
  auto decoded = consensus::decode_status(inflated->block, config_);
  ASSERT_TRUE(decoded.is_ok()) << decoded.message();
  EXPECT_EQ(decoded->height, 140u);
  EXPECT_EQ(inflated->height, 140u);
  EXPECT_EQ(inflated->digest, decoded->block_hash);
  EXPECT_NE(decoded->block_hash, report.block_hash);
  Message broken = status;
  broken.block = {1, 2, 3};
  EXPECT_FALSE(inflated_status(broken, config_, 140, keys_[3], rng_).has_value());
}

TEST_F(ForgeTest, ViewChangeLieHidesWhatPreparedAndIsSigned) {
  consensus::ViewChange view_change;
  view_change.view = 1;
  consensus::PreparedProof proof;
  proof.height = 1;
  proof.digest = rng_.hash();
  proof.prepares = {{1, {}}, {2, {}}};
  view_change.prepared.push_back(proof);
  Message message;
  message.kind = MessageKind::kViewChange;
  message.from = 3;
  message.view = 1;
  message.block = consensus::encode_view_change(view_change);
  ASSERT_TRUE(consensus::decode_view_change(message.block, config_).is_ok());
  sign_message(&message, keys_[3], kChain);
  auto hidden = view_change_without_prepared(message, config_, keys_[3]);
  ASSERT_TRUE(hidden.has_value());
  EXPECT_TRUE(verifies(*hidden));
  auto decoded = consensus::decode_view_change(hidden->block, config_);
  ASSERT_TRUE(decoded.is_ok()) << decoded.message();
  EXPECT_TRUE(decoded->prepared.empty());
  EXPECT_EQ(decoded->view, 1u);
  // Nothing to hide: no lie.
  EXPECT_FALSE(view_change_without_prepared(*hidden, config_, keys_[3]).has_value());
}

TEST_F(ForgeTest, GarbageNeverPassesAsOurOwnMessage) {
  Message vote;
  vote.kind = MessageKind::kPrepare;
  vote.from = 3;
  vote.height = 4;
  sign_message(&vote, keys_[3], kChain);
  const Bytes recent = node::encode_consensus_frame(vote);
  int wrong_sender = 0;
  for (int round = 0; round < 300; ++round) {
    const Bytes frame =
        garbage_frame(round % 3 == 0 ? Bytes{} : recent, 3, 4, config_.block_limits, rng_);
    ASSERT_FALSE(frame.empty());
    auto decoded = node::decode_wire_frame(frame, config_.block_limits);
    if (!decoded) continue;
    ASSERT_EQ(decoded->kind, node::WireKind::kConsensus) << "round " << round;
    EXPECT_NE(decoded->message.from, 3u) << "round " << round;
    ++wrong_sender;
  }
  EXPECT_GT(wrong_sender, 0);  // the under-another-name variant was drawn
}

}  // namespace
}  // namespace phalanx::byzantine
