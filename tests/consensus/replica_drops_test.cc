// step() drops and counts what a replica must not act on.
#include <gtest/gtest.h>

#include "tests/consensus/cluster.h"

namespace phalanx::consensus::testing {
namespace {

class Drops : public ::testing::Test {
 protected:
  void deliver(const Message& message) {
    cluster_.inject(1, message);
    cluster_.pump();
  }
  const Counters& counters() { return cluster_.replica(1).counters(); }
  Message prepare(uint32_t from, uint64_t view = 0, uint64_t height = 1) {
    return cluster_.sign_vote(from, MessageKind::kPrepare, view, height, digest_);
  }

  Cluster cluster_;
  Hash digest_ = cluster_.genesis_hash();
};

TEST_F(Drops, SenderThatIsNotAValidator) {
  Message message = prepare(2);
  message.from = cluster_.n();
  deliver(message);
  message.from = 1u << 31;
  deliver(message);
  EXPECT_EQ(counters().dropped_not_validator, 2u);
}

TEST_F(Drops, BadSignature) {
  Message message = prepare(2);
  message.signature[10] ^= 1;
  deliver(message);
  // A valid signature from someone else, or over another body, is just as bad.
  Message stolen = prepare(3);
  stolen.from = 2;
  deliver(stolen);
  Message moved = prepare(2);
  moved.height = 2;
  deliver(moved);
  EXPECT_EQ(counters().dropped_bad_signature, 3u);
  EXPECT_EQ(count_sent(cluster_.node(1), MessageKind::kCommit, 1), 0u);
}

TEST_F(Drops, WrongView) {
  deliver(prepare(2, /*view=*/1));
  deliver(cluster_.sign_vote(2, MessageKind::kCommit, 3, 1, digest_));
  EXPECT_EQ(counters().dropped_wrong_view, 2u);
}

TEST_F(Drops, OutsideTheWatermarks) {
  const uint64_t high = cluster_.config_for(1).log_window;
  deliver(prepare(2, 0, high + 1));
  deliver(prepare(2, 0, 0));
  deliver(prepare(2, 0, high));  // inside
  EXPECT_EQ(counters().dropped_outside_watermarks, 2u);
}

TEST_F(Drops, PrePrepareFromABackupOrWithABadBlock) {
  const ledger::Block block = cluster_.next_block(1, cluster_.genesis_hash(), cluster_.make_txs(1));
  deliver(cluster_.sign_pre_prepare(2, 0, block));  // not the primary of view 0
  Message garbage = cluster_.sign_pre_prepare(0, 0, block);
  garbage.block.resize(garbage.block.size() - 1);  // signed digest, undecodable block
  deliver(garbage);
  ledger::Block other_proposer = block;
  other_proposer.header.proposer = 2;
  deliver(cluster_.sign_pre_prepare(0, 0, other_proposer));
  ledger::Block other_chain = block;
  other_chain.header.chain_id = "another-chain";
  deliver(cluster_.sign_pre_prepare(0, 0, other_chain));
  Message wrong_digest = cluster_.sign_pre_prepare(0, 0, block);
  wrong_digest = cluster_.sign_vote(0, MessageKind::kPrePrepare, 0, 1, digest_);
  wrong_digest.block = ledger::encode_block(block);
  deliver(wrong_digest);
  EXPECT_EQ(counters().dropped_invalid_proposal, 5u);
  EXPECT_EQ(count_sent(cluster_.node(1), MessageKind::kPrepare, 1), 0u);
  // None of them was accepted: the real proposal still is.
  deliver(cluster_.sign_pre_prepare(0, 0, block));
  EXPECT_EQ(count_sent(cluster_.node(1), MessageKind::kPrepare, 1), 1u);
}

TEST_F(Drops, MessagesThatAreNotPartOfTheProtocol) {
  deliver(prepare(1));                                        // under the receiver's own name
  deliver(prepare(0));                                        // a PREPARE from the primary
  deliver(cluster_.sign_checkpoint(2, 3, digest_, digest_));  // K = 4
  EXPECT_EQ(counters().dropped_malformed, 3u);
}

}  // namespace
}  // namespace phalanx::consensus::testing
