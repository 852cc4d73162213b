// Every invariant of the checker must be able to fail: a checker that never fires would let
// every seed pass. Each test feeds it one hand-made violation.
#include "tests/sim/checker.h"

#include <gtest/gtest.h>

#include "ledger/block.h"
#include "tests/sim/keyring.h"

namespace phalanx::sim {
namespace {

using consensus::CommittedBlock;
using consensus::Message;
using consensus::MessageKind;

constexpr uint32_t kValidators = 4;
constexpr uint32_t kQuorum = 3;

Bytes vote_body(uint64_t view, uint64_t height, const Hash& digest) {
  Writer writer;
  writer.u64(view);
  writer.u64(height);
  writer.fixed(digest);
  return writer.take();
}

class SimCheckerTest : public ::testing::Test {
 protected:
  SimCheckerTest()
      : keyring_(5, kValidators, SignatureScheme::kMac, "phalanx-sim"),
        genesis_(crypto::sha256(as_span("genesis"))),
        checker_(CheckerConfig{kValidators, kQuorum, genesis_, true, {}}, keyring_.verifier(),
                 &known_) {
    for (uint32_t i = 0; i < 2; ++i) {
      ledger::SignedTransaction tx;
      tx.hash = crypto::sha256(as_span("tx" + std::to_string(i)));
      txs_.push_back(tx);
      known_.insert(tx.hash);
    }
  }

  // A block at `height` on `prev` carrying `txs`, with a certificate of `signers` COMMITs.
  CommittedBlock block(uint64_t height, const Hash& prev,
                       std::vector<ledger::SignedTransaction> txs, uint32_t signers = kQuorum,
                       uint64_t timestamp_ms = 1) {
    CommittedBlock committed;
    committed.block.header.chain_id = "phalanx-sim";
    committed.block.header.height = height;
    committed.block.header.prev_hash = prev;
    committed.block.header.timestamp_ms = timestamp_ms;
    committed.block.header.tx_count = static_cast<uint32_t>(txs.size());
    committed.block.transactions = std::move(txs);
    committed.hash = ledger::block_hash(committed.block.header);
    for (uint32_t v = 0; v < signers; ++v) {
      committed.certificate.signatures.push_back(
          {v, keyring_.signer(v)->sign(crypto::Domain::kCommit,
                                       vote_body(0, height, committed.hash))});
    }
    return committed;
  }

  Message prepare(uint32_t from, uint64_t height, const Hash& digest) {
    Message message;
    message.kind = MessageKind::kPrepare;
    message.from = from;
    message.height = height;
    message.digest = digest;
    message.signature =
        keyring_.signer(from)->sign(crypto::Domain::kPrepare, vote_body(0, height, digest));
    return message;
  }

  void expect_violation(Invariant invariant) {
    ASSERT_FALSE(checker_.ok());
    EXPECT_EQ(checker_.violation()->invariant, invariant) << checker_.violation()->detail;
  }

  Keyring keyring_;
  Hash genesis_;
  std::set<Hash> known_;
  std::vector<ledger::SignedTransaction> txs_;
  Checker checker_;
};

TEST_F(SimCheckerTest, AConsistentHistoryPasses) {
  const CommittedBlock one = block(1, genesis_, {txs_[0]});
  const CommittedBlock two = block(2, one.hash, {txs_[1]});
  for (uint32_t replica = 0; replica < kValidators; ++replica) {
    EXPECT_TRUE(checker_.on_committed(replica, 0, genesis_, one));
    checker_.on_executed(replica, 1, crypto::sha256(as_span("root1")));
    EXPECT_TRUE(checker_.on_committed(replica, 1, one.hash, two));
    checker_.on_sent(replica, prepare(replica, 3, one.hash));
    checker_.on_sent(replica, prepare(replica, 3, one.hash));  // a retransmission
  }
  EXPECT_TRUE(checker_.ok());
  EXPECT_EQ(checker_.txs_at_quorum(), 2u);
  EXPECT_EQ(checker_.replicas_with_tx(txs_[0].hash), kValidators);
}

TEST_F(SimCheckerTest, TwoBlocksAtOneHeightBreakAgreement) {
  checker_.on_committed(0, 0, genesis_, block(1, genesis_, {txs_[0]}));
  checker_.on_committed(1, 0, genesis_, block(1, genesis_, {txs_[0]}, kQuorum, 2));
  expect_violation(Invariant::kAgreement);
}

TEST_F(SimCheckerTest, AWrongParentBreaksLinkage) {
  checker_.on_committed(0, 0, genesis_, block(1, crypto::sha256(as_span("elsewhere")), {}));
  expect_violation(Invariant::kLinkage);
}

TEST_F(SimCheckerTest, AGapInHeightsBreaksOrder) {
  EXPECT_FALSE(checker_.on_committed(0, 0, genesis_, block(2, genesis_, {})));
  expect_violation(Invariant::kOrder);
}

TEST_F(SimCheckerTest, AnUnknownTransactionBreaksValidity) {
  ledger::SignedTransaction stranger;
  stranger.hash = crypto::sha256(as_span("nobody made me"));
  checker_.on_committed(0, 0, genesis_, block(1, genesis_, {stranger}));
  expect_violation(Invariant::kValidity);
}

TEST_F(SimCheckerTest, ATransactionCommittedTwiceIsCaught) {
  const CommittedBlock one = block(1, genesis_, {txs_[0]});
  checker_.on_committed(0, 0, genesis_, one);
  checker_.on_committed(0, 1, one.hash, block(2, one.hash, {txs_[0]}));
  expect_violation(Invariant::kDuplicateTx);
}

TEST_F(SimCheckerTest, ATransactionTwiceInOneBlockIsCaught) {
  checker_.on_committed(0, 0, genesis_, block(1, genesis_, {txs_[1], txs_[1]}));
  expect_violation(Invariant::kDuplicateTx);
}

TEST_F(SimCheckerTest, DifferentStateRootsAtOneHeightAreCaught) {
  checker_.on_executed(0, 1, crypto::sha256(as_span("a")));
  checker_.on_executed(1, 1, crypto::sha256(as_span("b")));
  expect_violation(Invariant::kStateRoot);
}

TEST_F(SimCheckerTest, ACertificateBelowQuorumIsCaught) {
  checker_.on_committed(0, 0, genesis_, block(1, genesis_, {}, kQuorum - 1));
  expect_violation(Invariant::kCertificate);
}

TEST_F(SimCheckerTest, ACertificateWithABadSignatureIsCaught) {
  CommittedBlock forged = block(1, genesis_, {});
  forged.certificate.signatures[1].signature[0] ^= 1;
  checker_.on_committed(0, 0, genesis_, forged);
  expect_violation(Invariant::kCertificate);
}

TEST_F(SimCheckerTest, ARepeatedSignerDoesNotMakeAQuorum) {
  CommittedBlock forged = block(1, genesis_, {});
  forged.certificate.signatures[2] = forged.certificate.signatures[1];
  checker_.on_committed(0, 0, genesis_, forged);
  expect_violation(Invariant::kCertificate);
}

TEST_F(SimCheckerTest, TwoDigestsSignedForOneViewAndHeightAreCaught) {
  checker_.on_sent(2, prepare(2, 7, crypto::sha256(as_span("x"))));
  EXPECT_TRUE(checker_.ok());
  checker_.on_sent(2, prepare(2, 7, crypto::sha256(as_span("y"))));
  expect_violation(Invariant::kSingleVote);
}

TEST_F(SimCheckerTest, AnUnverifiableSignatureIsCaught) {
  Message message = prepare(1, 4, crypto::sha256(as_span("z")));
  message.signature[10] ^= 0x40;
  checker_.on_sent(1, message);
  expect_violation(Invariant::kSignature);
}

TEST_F(SimCheckerTest, OnlyTheFirstViolationIsKept) {
  checker_.fail(Invariant::kLiveness, "first");
  checker_.fail(Invariant::kAgreement, "second");
  expect_violation(Invariant::kLiveness);
  EXPECT_EQ(checker_.violation()->detail, "first");
}

// Liveness counts only the replicas of the liveness set (the honest ones), and wants all of
// them: a Byzantine replica executing a tx does not make it done.
TEST_F(SimCheckerTest, LivenessWaitsForEveryReplicaOfTheLivenessSet) {
  Checker checker(CheckerConfig{kValidators, kQuorum, genesis_, true, {0, 1, 2}},
                  keyring_.verifier(), &known_);
  const CommittedBlock one = block(1, genesis_, {txs_[0]});
  for (uint32_t replica : {3u, 0u, 1u}) {
    EXPECT_TRUE(checker.on_committed(replica, 0, genesis_, one));
    EXPECT_FALSE(checker.tx_done(txs_[0].hash)) << "after replica " << replica;
  }
  EXPECT_EQ(checker.txs_at_quorum(), 0u);
  EXPECT_TRUE(checker.on_committed(2, 0, genesis_, one));
  EXPECT_TRUE(checker.tx_done(txs_[0].hash));
  EXPECT_EQ(checker.txs_at_quorum(), 1u);
  EXPECT_EQ(checker.replicas_with_tx(txs_[0].hash), 3u);
  EXPECT_TRUE(checker.ok());
}

}  // namespace
}  // namespace phalanx::sim
