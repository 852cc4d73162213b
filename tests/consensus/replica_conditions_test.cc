// The conditions a backup checks before it PREPAREs (docs/consensus.md, "Preparing"):
// forged but validly signed PRE-PREPAREs from the primary's key, one broken field each.
#include <gtest/gtest.h>

#include "tests/consensus/cluster.h"

namespace phalanx::consensus::testing {
namespace {

// Offers `block` as the primary's proposal to backup 1 only.
Message offer(Cluster& cluster, const ledger::Block& block, uint32_t to = 1) {
  const Message pre_prepare = cluster.sign_pre_prepare(0, 0, block);
  cluster.inject(to, pre_prepare);
  cluster.pump();
  return pre_prepare;
}

size_t prepares_sent(Cluster& cluster, uint64_t height, uint32_t node = 1) {
  return count_sent(cluster.node(node), MessageKind::kPrepare, height);
}

uint64_t invalid(Cluster& cluster, uint32_t node = 1) {
  return cluster.replica(node).counters().dropped_invalid_proposal;
}

TEST(PrepareConditions, WellFormedProposalIsPrepared) {
  Cluster cluster;
  offer(cluster, cluster.next_block(1, cluster.genesis_hash(), cluster.make_txs(2)));
  EXPECT_EQ(prepares_sent(cluster, 1), 1u);
  EXPECT_EQ(invalid(cluster), 0u);
  ASSERT_EQ(cluster.node(1).validation_requests.size(), 1u);
  EXPECT_EQ(cluster.node(1).validation_requests[0].block->transactions.size(), 2u);
}

TEST(PrepareConditions, PrevHashMismatchIsDropped) {
  Cluster cluster;
  Hash wrong = cluster.genesis_hash();
  wrong[5] ^= 0x40;
  offer(cluster, cluster.next_block(1, wrong, cluster.make_txs(1)));
  EXPECT_EQ(prepares_sent(cluster, 1), 0u);
  EXPECT_EQ(invalid(cluster), 1u);
}

TEST(PrepareConditions, SkipPrevHashMutationPreparesAWrongParent) {
  ClusterOptions options;
  options.mutations.skip_prev_hash_check = true;
  Cluster cluster(options);
  Hash wrong = cluster.genesis_hash();
  wrong[5] ^= 0x40;
  offer(cluster, cluster.next_block(1, wrong, cluster.make_txs(1)));
  EXPECT_EQ(prepares_sent(cluster, 1), 1u);
}

TEST(PrepareConditions, StateRootMismatchIsDropped) {
  Cluster cluster;
  ledger::Block block = cluster.next_block(1, cluster.genesis_hash(), cluster.make_txs(1));
  block.header.state_root[0] ^= 1;
  offer(cluster, block);
  EXPECT_EQ(prepares_sent(cluster, 1), 0u);
  EXPECT_EQ(invalid(cluster), 1u);
}

TEST(PrepareConditions, TimestampTooFarAheadWaitsForTheClock) {
  Cluster cluster;
  const uint64_t skew = cluster.config_for(1).timestamp_skew_ms;
  ledger::Block block = cluster.next_block(1, cluster.genesis_hash(), cluster.make_txs(1));
  block.header.timestamp_ms = cluster.now() + skew + 300;
  offer(cluster, block);
  EXPECT_EQ(prepares_sent(cluster, 1), 0u);
  cluster.advance_time(200);
  cluster.pump();
  EXPECT_EQ(prepares_sent(cluster, 1), 0u);
  cluster.advance_time(100);
  cluster.pump();
  EXPECT_EQ(prepares_sent(cluster, 1), 1u);
  EXPECT_EQ(invalid(cluster), 0u);
}

TEST(PrepareConditions, TimestampBeforeTheParentIsDropped) {
  Cluster cluster;
  ledger::Block block = cluster.next_block(1, cluster.genesis_hash(), cluster.make_txs(1));
  block.header.timestamp_ms = cluster.genesis_time_ms() - 1;
  offer(cluster, block);
  EXPECT_EQ(prepares_sent(cluster, 1), 0u);
  EXPECT_EQ(invalid(cluster), 1u);
}

TEST(PrepareConditions, TransactionRepeatedInTheBlockIsDropped) {
  Cluster cluster;
  auto txs = cluster.make_txs(2);
  txs.push_back(txs[0]);
  offer(cluster, cluster.next_block(1, cluster.genesis_hash(), txs));
  EXPECT_EQ(prepares_sent(cluster, 1), 0u);
  EXPECT_EQ(invalid(cluster), 1u);
}

TEST(PrepareConditions, TransactionInAnotherInFlightBlockIsDropped) {
  for (bool overlap : {true, false}) {
    Cluster cluster;
    cluster.drop = [](const Delivery& d) { return d.message.kind == MessageKind::kCommit; };
    auto txs = cluster.make_txs(2);
    const ledger::Block first = cluster.next_block(1, cluster.genesis_hash(), {txs[0]});
    for (uint32_t to = 1; to < cluster.n(); ++to) offer(cluster, first, to);
    ASSERT_EQ(prepares_sent(cluster, 1), 1u);
    const ledger::Block second =
        cluster.next_block(2, ledger::block_hash(first.header),
                           overlap ? std::vector{txs[1], txs[0]} : std::vector{txs[1]});
    offer(cluster, second);
    EXPECT_EQ(prepares_sent(cluster, 2), overlap ? 0u : 1u) << overlap;
    EXPECT_EQ(invalid(cluster), overlap ? 1u : 0u) << overlap;
  }
}

// Height 1 commits with txs[0]; then the primary offers height 2 with txs[1] and, when
// `overlap`, txs[0] again. With `restart`, backup 1 restarts in between.
void expect_committed_tx_not_repeated(bool restart) {
  for (bool overlap : {true, false}) {
    Cluster cluster;
    auto txs = cluster.make_txs(2);
    const ledger::Block first = cluster.next_block(1, cluster.genesis_hash(), {txs[0]});
    for (uint32_t to = 1; to < cluster.n(); ++to) offer(cluster, first, to);
    ASSERT_EQ(cluster.replica(1).committed_height(), 1u);
    if (restart) {
      cluster.restart(1);
      cluster.pump();
    }
    const ledger::Block second =
        cluster.next_block(2, ledger::block_hash(first.header),
                           overlap ? std::vector{txs[1], txs[0]} : std::vector{txs[1]});
    offer(cluster, second);
    EXPECT_EQ(prepares_sent(cluster, 2), overlap ? 0u : 1u) << overlap;
    EXPECT_EQ(invalid(cluster), overlap ? 1u : 0u) << overlap;
  }
}

// A backup may check a proposal only after the lower height holding the same tx was
// committed and output; the proposer built it on the state of height - W, which does not
// show that tx yet, so a committed block in the log counts like one in flight.
TEST(PrepareConditions, TransactionInACommittedBlockIsDropped) {
  expect_committed_tx_not_repeated(/*restart=*/false);
}

// The same after a restart: the blocks executed before it stay in the duplicate check
// (found by phalanx-sim --seed 30529 --byzantine always, where a restarted or caught-up
// backup PREPAREd a block repeating a tx of a height it had already executed).
TEST(PrepareConditions, TransactionInABlockExecutedBeforeARestartIsDropped) {
  expect_committed_tx_not_repeated(/*restart=*/true);
}

TEST(PrepareConditions, InvalidValidationVerdictIsDropped) {
  Cluster cluster;
  cluster.validate = [](uint32_t node, const ValidationRequest&) { return node != 1; };
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  EXPECT_EQ(prepares_sent(cluster, 1), 0u);
  EXPECT_EQ(invalid(cluster), 1u);
  // The others commit; node 1 refuses even their certificate for a block it found invalid.
  EXPECT_EQ(cluster.node(2).applied.size(), 1u);
  EXPECT_TRUE(cluster.node(1).applied.empty());
}

TEST(PrepareConditions, PrepareWaitsForTheValidationVerdict) {
  Cluster cluster;
  cluster.validate = [](uint32_t node, const ValidationRequest&) -> std::optional<bool> {
    if (node == 1) return std::nullopt;
    return true;
  };
  cluster.drop = [](const Delivery& d) {
    return d.to == 1 && d.message.kind != MessageKind::kPrePrepare;
  };
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  ASSERT_EQ(cluster.node(1).held_validations.size(), 1u);
  EXPECT_EQ(prepares_sent(cluster, 1), 0u);
  const ValidationRequest request = cluster.node(1).held_validations[0];
  cluster.replica(1).on_validated(request.height, request.digest, true);
  cluster.pump();
  EXPECT_EQ(prepares_sent(cluster, 1), 1u);
  // A stale or repeated verdict changes nothing.
  cluster.replica(1).on_validated(request.height, request.digest, false);
  cluster.replica(1).on_validated(7, request.digest, false);
  EXPECT_EQ(invalid(cluster), 0u);
}

TEST(PrepareConditions, ChildWaitsForItsParentToPrepare) {
  Cluster cluster;
  const ledger::Block first = cluster.next_block(1, cluster.genesis_hash(), cluster.make_txs(1));
  const ledger::Block second =
      cluster.next_block(2, ledger::block_hash(first.header), cluster.make_txs(1));
  for (uint32_t to = 1; to < cluster.n(); ++to) offer(cluster, second, to);
  EXPECT_EQ(prepares_sent(cluster, 2), 0u);
  for (uint32_t to = 1; to < cluster.n(); ++to) offer(cluster, first, to);
  EXPECT_EQ(prepares_sent(cluster, 1), 1u);
  EXPECT_EQ(prepares_sent(cluster, 2), 1u);
  ASSERT_EQ(cluster.node(1).applied.size(), 2u);
  EXPECT_EQ(cluster.node(1).applied[1].hash, ledger::block_hash(second.header));
}

}  // namespace
}  // namespace phalanx::consensus::testing
