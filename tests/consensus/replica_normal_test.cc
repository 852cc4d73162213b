// The normal case (PBFT §4.2) with four replicas driven by hand: commit, certificates,
// duplicate votes, height order, pipelining, and the laggard paths that keep part 1 live.
#include <gtest/gtest.h>

#include "consensus/records.h"
#include "tests/consensus/cluster.h"

namespace phalanx::consensus::testing {
namespace {

bool is(const Delivery& delivery, MessageKind kind) { return delivery.message.kind == kind; }

Hash proposed_digest(Cluster& cluster, uint64_t height) {
  for (const Outbound& out : cluster.node(0).sent) {
    if (out.message.kind == MessageKind::kPrePrepare && out.message.height == height) {
      return out.message.digest;
    }
  }
  ADD_FAILURE() << "no pre-prepare for height " << height;
  return {};
}

TEST(ReplicaNormal, CommitsOneBlockEverywhereWithAVerifiableCertificate) {
  Cluster cluster;
  cluster.propose(cluster.make_txs(3));
  cluster.pump();
  const Hash digest = proposed_digest(cluster, 1);
  for (uint32_t i = 0; i < cluster.n(); ++i) {
    const TestNode& node = cluster.node(i);
    ASSERT_EQ(node.applied.size(), 1u) << "replica " << i;
    const CommittedBlock& block = node.applied[0];
    EXPECT_EQ(block.hash, digest);
    EXPECT_EQ(block.block.transactions.size(), 3u);
    EXPECT_EQ(block.block.header.prev_hash, cluster.genesis_hash());
    EXPECT_EQ(block.block.header.state_root, cluster.genesis_state_root());
    EXPECT_EQ(block.certificate.view, 0u);
    ASSERT_EQ(block.certificate.signatures.size(), 3u);  // q = 3 for n = 4
    for (size_t s = 0; s < block.certificate.signatures.size(); ++s) {
      const auto& commit = block.certificate.signatures[s];
      if (s > 0) {
        EXPECT_GT(commit.validator, block.certificate.signatures[s - 1].validator);
      }
      EXPECT_TRUE(crypto::verify_domain(cluster.key(commit.validator).public_key(),
                                        crypto::Domain::kCommit, kChainId, vote_body(0, 1, digest),
                                        commit.signature));
    }
    EXPECT_EQ(cluster.replica(i).committed_height(), 1u);
    EXPECT_EQ(cluster.replica(i).counters().blocks_committed, 1u);
  }
  // The primary's pre-prepare is its prepare vote: it never sends a PREPARE.
  EXPECT_EQ(count_sent(cluster.node(0), MessageKind::kPrepare, 1), 0u);
  EXPECT_EQ(count_sent(cluster.node(1), MessageKind::kPrepare, 1), 1u);
}

TEST(ReplicaNormal, PreparedCertificateIsPersistedWithItsBlock) {
  Cluster cluster;
  cluster.propose(cluster.make_txs(2));
  cluster.pump();
  const Hash digest = proposed_digest(cluster, 1);
  for (uint32_t i = 0; i < cluster.n(); ++i) {
    const auto& disk = cluster.node(i).disk;
    auto it = disk.find(prepared_key(1, 0));
    ASSERT_NE(it, disk.end()) << "replica " << i;
    auto certificate = decode_prepared(it->second, ledger::BlockLimits{}, cluster.n());
    ASSERT_TRUE(certificate.is_ok()) << certificate.message();
    EXPECT_EQ(certificate->pre_prepare.digest, digest);
    auto block = ledger::decode_block(certificate->pre_prepare.block, ledger::BlockLimits{});
    ASSERT_TRUE(block.is_ok());
    EXPECT_EQ(ledger::block_hash(block->header), digest);
    ASSERT_EQ(certificate->prepares.size(), 2u);  // q - 1, none from the primary
    for (const auto& prepare : certificate->prepares) {
      EXPECT_NE(prepare.validator, 0u);
      EXPECT_TRUE(crypto::verify_domain(cluster.key(prepare.validator).public_key(),
                                        crypto::Domain::kPrepare, kChainId, vote_body(0, 1, digest),
                                        prepare.signature));
    }
  }
}

TEST(ReplicaNormal, DuplicateAndConflictingVotesNeverCountTwice) {
  ClusterOptions options;
  options.n = 7;  // q = 5: a backup needs 4 PREPAREs from non-primaries, its own included
  Cluster cluster(options);
  cluster.drop = [](const Delivery& d) {
    return d.to == 1 &&
           (is(d, MessageKind::kCommit) || (is(d, MessageKind::kPrepare) && d.from != 2));
  };
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  const Hash digest = proposed_digest(cluster, 1);
  Hash other = digest;
  other[0] ^= 1;
  cluster.drop = nullptr;
  const uint64_t duplicates = cluster.replica(1).counters().duplicate_votes_ignored;
  ASSERT_EQ(count_sent(cluster.node(1), MessageKind::kCommit, 1), 0u);  // 2 of 4 prepares

  // Node 2's prepare again, twice: still two.
  const Message again = cluster.sign_vote(2, MessageKind::kPrepare, 0, 1, digest);
  cluster.inject(1, again);
  cluster.inject(1, again);
  // Node 3 votes for another digest first; its later matching vote is ignored too.
  cluster.inject(1, cluster.sign_vote(3, MessageKind::kPrepare, 0, 1, other));
  cluster.inject(1, cluster.sign_vote(3, MessageKind::kPrepare, 0, 1, digest));
  cluster.inject(1, cluster.sign_vote(4, MessageKind::kPrepare, 0, 1, digest));
  cluster.pump();
  EXPECT_EQ(cluster.replica(1).counters().duplicate_votes_ignored, duplicates + 3);
  EXPECT_EQ(count_sent(cluster.node(1), MessageKind::kCommit, 1), 0u);  // own, 2, 4: three

  cluster.inject(1, cluster.sign_vote(5, MessageKind::kPrepare, 0, 1, digest));
  cluster.pump();
  EXPECT_EQ(count_sent(cluster.node(1), MessageKind::kCommit, 1, digest), 1u);
}

TEST(ReplicaNormal, CommittedHeightsLeaveStrictlyInOrder) {
  Cluster cluster;
  cluster.drop = [](const Delivery& d) {
    return d.to == 1 && is(d, MessageKind::kCommit) && d.message.height == 1;
  };
  cluster.propose(cluster.make_txs(1));
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  EXPECT_EQ(cluster.replica(0).counters().pipelined_heights, 1u);
  EXPECT_EQ(cluster.node(0).applied.size(), 2u);
  // Node 1 holds a commit certificate for 2 but not for 1: nothing leaves.
  EXPECT_EQ(count_sent(cluster.node(1), MessageKind::kCommit, 2), 1u);
  EXPECT_TRUE(cluster.node(1).applied.empty());
  EXPECT_EQ(cluster.replica(1).committed_height(), 0u);

  // Its retransmitted COMMIT for 1 draws the others' COMMITs (the laggard reply).
  cluster.drop = nullptr;
  cluster.advance_time(cluster.config_for(1).retransmit_ms);
  cluster.pump();
  ASSERT_EQ(cluster.node(1).applied.size(), 2u);
  EXPECT_EQ(cluster.node(1).applied[0].block.header.height, 1u);
  EXPECT_EQ(cluster.node(1).applied[1].block.header.height, 2u);
}

TEST(ReplicaNormal, PipelinesUpToWHeightsAndNotBeyond) {
  ClusterOptions options;
  options.pipeline_depth = 3;
  Cluster cluster(options);
  Replica& primary = cluster.replica(0);
  cluster.drop = [](const Delivery&) { return true; };
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(primary.can_propose()) << i;
    cluster.propose(cluster.make_txs(1));
    cluster.pump();
  }
  EXPECT_FALSE(primary.can_propose());
  EXPECT_EQ(primary.counters().pipelined_heights, 2u);
  EXPECT_FALSE(cluster.replica(1).can_propose());  // not the primary

  cluster.drop = nullptr;
  cluster.advance_time(cluster.config_for(0).retransmit_ms);
  cluster.pump();
  for (uint32_t i = 0; i < cluster.n(); ++i) EXPECT_EQ(cluster.node(i).applied.size(), 3u);
  EXPECT_TRUE(primary.can_propose());
}

TEST(ReplicaNormal, ProposalWaitsUntilHeightMinusWIsExecuted) {
  ClusterOptions options;
  options.pipeline_depth = 2;
  Cluster cluster(options);
  cluster.node(0).auto_execute = false;
  cluster.propose(cluster.make_txs(1));
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  EXPECT_EQ(cluster.replica(0).committed_height(), 2u);
  EXPECT_FALSE(cluster.replica(0).can_propose());  // height 3 needs height 1's state root
  cluster.execute_held(0);
  cluster.pump();
  ASSERT_TRUE(cluster.replica(0).can_propose());
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  ASSERT_EQ(cluster.node(2).applied.size(), 3u);
  EXPECT_EQ(cluster.node(2).applied[2].block.header.state_root, cluster.node(0).roots.at(1));
}

TEST(ReplicaNormal, BackupThatMissedPreparesCommitsFromTheCommitCertificate) {
  Cluster cluster;
  cluster.drop = [](const Delivery& d) {
    return d.to == 3 && (is(d, MessageKind::kPrepare) || is(d, MessageKind::kCommit));
  };
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  EXPECT_TRUE(cluster.node(3).applied.empty());
  EXPECT_EQ(cluster.node(0).applied.size(), 1u);
  // Its retransmitted PREPARE is answered with COMMITs; PREPAREs stay lost.
  cluster.drop = [](const Delivery& d) { return d.to == 3 && is(d, MessageKind::kPrepare); };
  cluster.advance_time(cluster.config_for(3).retransmit_ms);
  cluster.pump();
  ASSERT_EQ(cluster.node(3).applied.size(), 1u);
  EXPECT_EQ(cluster.node(3).applied[0].hash, proposed_digest(cluster, 1));
  // Never prepared, but committed through the others' COMMITs: it adds its own, for a peer
  // that may be waiting for exactly that one.
  EXPECT_EQ(count_sent(cluster.node(3), MessageKind::kCommit, 1), 1u);
}

TEST(ReplicaNormal, BackupThatMissedThePrePrepareGetsItFromThePrimary) {
  Cluster cluster;
  cluster.drop = [](const Delivery& d) { return d.to == 3 && is(d, MessageKind::kPrePrepare); };
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  EXPECT_TRUE(cluster.node(3).applied.empty());
  cluster.drop = nullptr;
  cluster.advance_time(cluster.config_for(0).retransmit_ms);
  cluster.pump();
  EXPECT_EQ(cluster.node(3).applied.size(), 1u);
}

TEST(ReplicaNormal, PrimaryThatMissedPreparesCommitsFromReplies) {
  Cluster cluster;
  cluster.drop = [](const Delivery& d) {
    return d.to == 0 && (is(d, MessageKind::kPrepare) || is(d, MessageKind::kCommit));
  };
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  EXPECT_TRUE(cluster.node(0).applied.empty());
  EXPECT_EQ(cluster.node(1).applied.size(), 1u);
  cluster.drop = [](const Delivery& d) { return d.to == 0 && is(d, MessageKind::kPrepare); };
  cluster.advance_time(cluster.config_for(0).retransmit_ms);
  cluster.pump();
  EXPECT_EQ(cluster.node(0).applied.size(), 1u);
  EXPECT_TRUE(cluster.replica(0).can_propose());
}

TEST(ReplicaNormal, EquivocatingPrePrepareIsCountedAndNeverPrepared) {
  Cluster cluster;
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  const ledger::Block forged = cluster.next_block(1, cluster.genesis_hash(), cluster.make_txs(2));
  const Message second = cluster.sign_pre_prepare(0, 0, forged);
  cluster.inject(1, second);
  cluster.pump();
  EXPECT_EQ(cluster.replica(1).counters().equivocations, 1u);
  EXPECT_EQ(count_sent(cluster.node(1), MessageKind::kPrepare, 1, second.digest), 0u);
}

TEST(ReplicaNormal, PrimaryLeavesOutTransactionsAlreadyInFlight) {
  Cluster cluster;
  cluster.drop = [](const Delivery&) { return true; };
  auto txs = cluster.make_txs(3);
  cluster.propose({txs[0], txs[1]});
  cluster.propose({txs[1], txs[2], txs[2]});
  cluster.pump();
  cluster.drop = nullptr;
  cluster.advance_time(cluster.config_for(0).retransmit_ms);
  cluster.pump();
  ASSERT_EQ(cluster.node(1).applied.size(), 2u);
  ASSERT_EQ(cluster.node(1).applied[1].block.transactions.size(), 1u);
  EXPECT_EQ(cluster.node(1).applied[1].block.transactions[0].hash, txs[2].hash);
}

}  // namespace
}  // namespace phalanx::consensus::testing
