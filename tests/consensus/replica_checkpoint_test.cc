// Checkpoints, garbage collection and watermarks (PBFT §4.3).
#include <gtest/gtest.h>

#include "consensus/records.h"
#include "tests/consensus/cluster.h"

namespace phalanx::consensus::testing {
namespace {

ClusterOptions small_window() {
  ClusterOptions options;
  options.pipeline_depth = 2;
  options.checkpoint_interval = 2;
  options.log_window = 8;
  return options;
}

void commit_heights(Cluster& cluster, int count) {
  for (int i = 0; i < count; ++i) {
    ASSERT_TRUE(cluster.replica(0).can_propose());
    cluster.propose(cluster.make_txs(1));
    cluster.pump();
  }
}

TEST(Checkpoints, StableCheckpointCollectsGarbageInMemoryAndOnDisk) {
  Cluster cluster(small_window());
  commit_heights(cluster, 4);
  for (uint32_t i = 0; i < cluster.n(); ++i) {
    const TestNode& node = cluster.node(i);
    EXPECT_EQ(cluster.replica(i).stable_checkpoint(), 4u) << i;
    EXPECT_EQ(cluster.replica(i).counters().checkpoints_stable, 2u);
    EXPECT_EQ(cluster.replica(i).counters().checkpoint_gcs, 2u);
    // Only the view and the proof of the stable checkpoint are left on disk.
    EXPECT_EQ(node.disk.size(), 2u) << i;
    EXPECT_TRUE(node.disk.contains(std::string(kViewKey)));
    bool erased_accept = false;
    for (const PersistOp& op : node.persist_log) {
      erased_accept |= op.type == PersistOp::Type::kErase && op.key == accept_key(1, 0);
    }
    EXPECT_TRUE(erased_accept) << i;
  }
  auto proof = decode_checkpoint_proof(cluster.node(2).disk.at(std::string(kCheckpointProofKey)),
                                       cluster.n());
  ASSERT_TRUE(proof.is_ok()) << proof.message();
  EXPECT_EQ(proof->height, 4u);
  EXPECT_EQ(proof->block_hash, cluster.applied_hash(2, 4));
  EXPECT_EQ(proof->state_root, cluster.node(2).roots.at(4));
  ASSERT_EQ(proof->signatures.size(), 3u);
  for (const auto& signature : proof->signatures) {
    EXPECT_TRUE(crypto::verify_domain(
        cluster.key(signature.validator).public_key(), crypto::Domain::kCheckpoint, kChainId,
        checkpoint_body(4, proof->block_hash, proof->state_root), signature.signature));
  }
}

TEST(Checkpoints, WatermarksMoveWithTheStableCheckpoint) {
  Cluster cluster(small_window());
  const Hash digest{};
  // Before any checkpoint: (0, 8].
  cluster.inject(1, cluster.sign_vote(2, MessageKind::kPrepare, 0, 9, digest));
  cluster.inject(1, cluster.sign_vote(2, MessageKind::kCommit, 0, 0, digest));
  cluster.pump();
  EXPECT_EQ(cluster.replica(1).counters().dropped_outside_watermarks, 2u);
  commit_heights(cluster, 4);
  ASSERT_EQ(cluster.replica(1).stable_checkpoint(), 4u);
  // Now (4, 12]: 4 is below, 13 above, 12 inside.
  const uint64_t before = cluster.replica(1).counters().dropped_outside_watermarks;
  cluster.inject(1, cluster.sign_vote(2, MessageKind::kPrepare, 0, 4, digest));
  cluster.inject(1, cluster.sign_vote(2, MessageKind::kPrepare, 0, 13, digest));
  cluster.inject(1, cluster.sign_vote(2, MessageKind::kPrepare, 0, 12, digest));
  cluster.inject(1, cluster.sign_checkpoint(2, 4, digest, digest));  // at stable: ignored
  cluster.pump();
  EXPECT_EQ(cluster.replica(1).counters().dropped_outside_watermarks, before + 3);
}

TEST(Checkpoints, CheckpointsAboveTheWindowAreKeptOnePerSender) {
  Cluster cluster(small_window());
  const Hash hash{};
  const Counters before = cluster.replica(1).counters();
  cluster.inject(1, cluster.sign_checkpoint(2, 40, hash, hash));
  cluster.inject(1, cluster.sign_checkpoint(3, 40, hash, hash));
  cluster.inject(1, cluster.sign_checkpoint(2, 60, hash, hash));
  cluster.pump();
  const Counters after = cluster.replica(1).counters();
  EXPECT_EQ(after.dropped_outside_watermarks, before.dropped_outside_watermarks);
  EXPECT_EQ(after.duplicate_votes_ignored, before.duplicate_votes_ignored);
  // Sender 2's older far checkpoint was replaced; replaying it is no longer a duplicate
  // of anything held, but it is older than what is kept.
  cluster.inject(1, cluster.sign_checkpoint(2, 60, hash, hash));
  cluster.inject(1, cluster.sign_checkpoint(2, 40, hash, hash));
  cluster.pump();
  EXPECT_EQ(cluster.replica(1).counters().duplicate_votes_ignored,
            before.duplicate_votes_ignored + 2);
  // An off-interval checkpoint is malformed.
  cluster.inject(1, cluster.sign_checkpoint(2, 41, hash, hash));
  cluster.pump();
  EXPECT_EQ(cluster.replica(1).counters().dropped_malformed, before.dropped_malformed + 1);
}

TEST(Checkpoints, LongRunKeepsMemoryAndDiskBounded) {
  Cluster cluster(small_window());
  constexpr int kHeights = 60;
  for (int i = 0; i < kHeights; ++i) {
    ASSERT_TRUE(cluster.replica(0).can_propose()) << i;
    cluster.propose(cluster.make_txs(1));
    cluster.pump();
    for (uint32_t r = 0; r < cluster.n(); ++r) {
      // view + proof + at most (accept, prepared, prepare|pre-prepare, commit) per height
      // above stable, plus a checkpoint vote every K heights.
      EXPECT_LE(cluster.node(r).disk.size(), 2u + 8u * 5u) << "replica " << r;
    }
  }
  for (uint32_t r = 0; r < cluster.n(); ++r) {
    EXPECT_EQ(cluster.replica(r).committed_height(), static_cast<uint64_t>(kHeights));
    EXPECT_EQ(cluster.replica(r).stable_checkpoint(), static_cast<uint64_t>(kHeights));
    EXPECT_EQ(cluster.replica(r).counters().checkpoint_gcs, kHeights / 2u);
  }
}

}  // namespace
}  // namespace phalanx::consensus::testing
