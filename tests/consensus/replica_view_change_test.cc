// View change through the replica (PBFT §4.4): the timer (start, doubling, cap, reset), the
// f+1 join rule, re-proposal of a prepared block in the new view, fetching a missing body,
// NEW-VIEW rejection and restarts during and after a view change.
#include <gtest/gtest.h>

#include "consensus/view_change.h"
#include "tests/consensus/catch_up_fixture.h"
#include "tests/consensus/cluster.h"

namespace phalanx::consensus::testing {
namespace {

constexpr uint64_t kTimeout = 2000;

void note_pending_everywhere(Cluster& cluster) {
  for (uint32_t i = 0; i < cluster.n(); ++i) cluster.replica(i).note_pending_request(true);
}

TEST(ViewChangeTimer, StartsWithAPendingRequestDoublesAndIsCappedAt8x) {
  Cluster cluster;
  // No NEW-VIEW ever arrives, so every view change after the first one fails.
  cluster.drop = [](const Delivery& d) { return d.message.kind == MessageKind::kNewView; };
  Replica& replica = cluster.replica(2);
  cluster.advance_time(100);
  EXPECT_EQ(count_kind(cluster.node(2), MessageKind::kViewChange), 0u);
  note_pending_everywhere(cluster);
  cluster.advance_time(0);  // the timer starts now
  cluster.advance_time(kTimeout - 1);
  EXPECT_EQ(replica.view(), 0u);
  cluster.advance_time(1);
  cluster.pump();
  EXPECT_EQ(replica.view(), 1u);
  EXPECT_TRUE(replica.view_changing());
  EXPECT_EQ(count_kind(cluster.node(2), MessageKind::kViewChange), 1u);
  // Each failed view doubles the timeout: 2x, 4x, 8x, then stays at 8x.
  const uint64_t waits[] = {2 * kTimeout, 4 * kTimeout, 8 * kTimeout, 8 * kTimeout};
  uint64_t expected_view = 1;
  for (uint64_t wait : waits) {
    cluster.advance_time(wait - 1);
    cluster.pump();
    EXPECT_EQ(replica.view(), expected_view);
    cluster.advance_time(1);
    cluster.pump();
    EXPECT_EQ(replica.view(), ++expected_view);
  }
  EXPECT_EQ(replica.counters().view_change_timeouts, 5u);
}

// PBFT §4.5.2: alone, a replica waiting for a NEW-VIEW does not move on to further views; it
// keeps asking for the one it is in until a quorum joins it.
TEST(ViewChangeTimer, WaitsForAQuorumBeforeMovingFurther) {
  Cluster cluster;
  cluster.drop = [](const Delivery&) { return true; };
  Replica& replica = cluster.replica(1);
  replica.note_pending_request(true);
  cluster.advance_time(0);
  cluster.advance_time(kTimeout);
  EXPECT_EQ(replica.view(), 1u);
  for (int i = 0; i < 20; ++i) cluster.advance_time(kTimeout);
  cluster.pump();
  EXPECT_EQ(replica.view(), 1u);
  EXPECT_TRUE(replica.view_changing());
  EXPECT_EQ(replica.counters().view_change_timeouts, 1u);
}

TEST(ViewChangeTimer, DoesNotRunWhileNothingIsPending) {
  Cluster cluster;
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  for (int i = 0; i < 10; ++i) cluster.advance_time(kTimeout);
  cluster.pump();
  for (uint32_t i = 0; i < cluster.n(); ++i) EXPECT_EQ(cluster.replica(i).view(), 0u);
}

// A primary that stops: the backups' timers expire, view 1's primary sends NEW-VIEW, and the
// cluster commits again in view 1; the commit resets the backoff to the base timeout.
TEST(ViewChange, CrashedPrimaryIsReplacedAndCommitResetsTheTimer) {
  Cluster cluster;
  cluster.node(0).up = false;
  note_pending_everywhere(cluster);
  cluster.advance_time(0);
  cluster.advance_time(kTimeout);
  cluster.pump();
  for (uint32_t i = 1; i < cluster.n(); ++i) {
    EXPECT_EQ(cluster.replica(i).view(), 1u);
    EXPECT_FALSE(cluster.replica(i).view_changing());
  }
  EXPECT_EQ(cluster.replica(1).counters().new_views_sent, 1u);
  EXPECT_EQ(cluster.replica(2).counters().new_views_accepted, 1u);
  cluster.propose_at(1, cluster.make_txs(2));
  cluster.pump();
  for (uint32_t i = 1; i < cluster.n(); ++i) {
    ASSERT_EQ(cluster.node(i).applied.size(), 1u);
    EXPECT_EQ(cluster.node(i).applied[0].certificate.view, 1u);
  }
  // Reset on commit: the next timeout is the base one again, not 2x.
  cluster.advance_time(kTimeout - 1);
  EXPECT_EQ(cluster.replica(2).view(), 1u);
  cluster.advance_time(1);
  EXPECT_EQ(cluster.replica(2).view(), 2u);
}

TEST(ViewChange, FPlusOneViewChangesMakeAReplicaJoin) {
  Cluster cluster;
  cluster.node(0).up = false;
  cluster.replica(1).note_pending_request(true);
  cluster.advance_time(0);
  cluster.advance_time(kTimeout);
  cluster.pump();
  // One VIEW-CHANGE (f = 1) is not enough.
  EXPECT_EQ(cluster.replica(3).view(), 0u);
  EXPECT_EQ(cluster.replica(1).view(), 1u);
  cluster.replica(2).note_pending_request(true);
  cluster.advance_time(0);
  cluster.advance_time(kTimeout);
  cluster.pump();
  // Replica 3 had no timer running; two VIEW-CHANGEs for view 1 made it join.
  EXPECT_EQ(cluster.replica(3).counters().view_change_timeouts, 0u);
  EXPECT_EQ(cluster.replica(3).counters().view_changes, 1u);
  for (uint32_t i = 1; i < cluster.n(); ++i) EXPECT_EQ(cluster.replica(i).view(), 1u);
}

// Replicas 1 and 2 prepared block 1 in view 0 (no COMMIT got through, replica 3 never saw
// the PRE-PREPARE), then the primary crashes. View 1 re-proposes the same block at the same
// height; replica 3 fetches its body from a peer; all commit the same hash in view 1.
TEST(ViewChange, PreparedBlockIsReproposedAndCommittedInTheNextView) {
  Cluster cluster;
  cluster.drop = [](const Delivery& d) {
    if (d.message.kind == MessageKind::kCommit) return true;
    if (d.message.kind == MessageKind::kPrePrepare && d.message.view == 0 && d.to == 3) {
      return true;
    }
    return d.message.kind == MessageKind::kPrepare && (d.to == 0 || d.to == 3);
  };
  cluster.propose(cluster.make_txs(3));
  cluster.pump();
  const Hash digest = cluster.node(0).sent.front().message.digest;
  EXPECT_EQ(count_sent(cluster.node(1), MessageKind::kCommit, 1, digest), 1u);  // prepared
  EXPECT_EQ(count_sent(cluster.node(2), MessageKind::kCommit, 1, digest), 1u);
  EXPECT_EQ(count_sent(cluster.node(3), MessageKind::kPrepare, 1), 0u);
  cluster.node(0).up = false;
  cluster.drop = nullptr;
  note_pending_everywhere(cluster);
  cluster.advance_time(0);
  cluster.advance_time(kTimeout);
  cluster.pump();
  EXPECT_EQ(cluster.replica(3).view(), 1u);
  cluster.advance_time(cluster.config_for(3).retransmit_ms);  // replica 3 asks for the body
  cluster.pump();
  EXPECT_EQ(cluster.replica(3).counters().bodies_fetched, 1u);
  for (uint32_t i = 1; i < cluster.n(); ++i) {
    ASSERT_EQ(cluster.node(i).applied.size(), 1u) << "replica " << i;
    EXPECT_EQ(cluster.applied_hash(i, 1), digest);
    EXPECT_EQ(cluster.node(i).applied[0].certificate.view, 1u);
    EXPECT_EQ(cluster.replica(i).counters().reproposed_certificates, 1u);
  }
}

// A replica that already committed a re-proposed height votes for it again in the new view,
// so the replicas that had not committed it can.
TEST(ViewChange, ReplicaThatCommittedAHeightVotesForItsReproposal) {
  Cluster cluster;
  // Only replica 1 receives the COMMITs for height 1.
  cluster.drop = [](const Delivery& d) {
    return d.message.kind == MessageKind::kCommit && d.to != 1;
  };
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  ASSERT_EQ(cluster.node(1).applied.size(), 1u);
  ASSERT_EQ(cluster.node(2).applied.size(), 0u);
  cluster.node(0).up = false;
  cluster.drop = nullptr;
  note_pending_everywhere(cluster);
  cluster.advance_time(0);
  cluster.advance_time(kTimeout);
  cluster.pump();
  for (uint32_t i = 1; i < cluster.n(); ++i) {
    ASSERT_EQ(cluster.node(i).applied.size(), 1u) << "replica " << i;
    EXPECT_EQ(cluster.applied_hash(i, 1), cluster.applied_hash(1, 1));
  }
  EXPECT_EQ(cluster.node(1).applied[0].certificate.view, 0u);
  EXPECT_EQ(cluster.node(2).applied[0].certificate.view, 1u);
}

TEST(ViewChange, ForgedNewViewIsRejected) {
  Cluster cluster;
  cluster.node(0).up = false;
  cluster.node(1).up = false;  // the primary of view 1 never answers
  note_pending_everywhere(cluster);
  cluster.advance_time(0);
  cluster.advance_time(kTimeout);
  cluster.pump();
  ASSERT_TRUE(cluster.replica(2).view_changing());
  // Validator 1 (view 1's primary) signs a NEW-VIEW holding only two VIEW-CHANGEs.
  NewView forged;
  forged.view = 1;
  Message message;
  message.kind = MessageKind::kNewView;
  message.from = 1;
  message.view = 1;
  message.block = encode_new_view(forged);
  message.signature =
      crypto::sign_domain(cluster.key(1), crypto::Domain::kNewView, kChainId, message.block);
  cluster.inject(2, message);
  cluster.pump();
  EXPECT_EQ(cluster.replica(2).counters().new_views_rejected, 1u);
  EXPECT_TRUE(cluster.replica(2).view_changing());
}

// Replica 2 holds a prepared proof for height 1. View 1's primary (validator 1, acting
// Byzantine) signs a NEW-VIEW from the same VIEW-CHANGEs that starts height 1 fresh: replica
// 2 re-derives the re-proposals and rejects it.
TEST(ViewChange, NewViewDroppingAPreparedCertificateIsRejected) {
  Cluster cluster;
  cluster.drop = [](const Delivery& d) {
    return d.message.kind == MessageKind::kCommit || d.message.kind == MessageKind::kNewView;
  };
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  cluster.node(0).up = false;
  note_pending_everywhere(cluster);
  cluster.advance_time(0);
  cluster.advance_time(kTimeout);
  cluster.pump();
  ASSERT_TRUE(cluster.replica(2).view_changing());
  Message honest;
  for (const Outbound& out : cluster.node(1).sent) {
    if (out.message.kind == MessageKind::kNewView) honest = out.message;
  }
  ASSERT_EQ(honest.kind, MessageKind::kNewView);
  auto decoded = decode_new_view(honest.block, cluster.config_for(2));
  ASSERT_TRUE(decoded.is_ok());
  ASSERT_EQ(decoded->reproposals.size(), 1u);
  NewView dropped = *decoded;
  dropped.reproposals.clear();
  Message forged = honest;
  forged.block = encode_new_view(dropped);
  forged.signature =
      crypto::sign_domain(cluster.key(1), crypto::Domain::kNewView, kChainId, forged.block);
  cluster.drop = nullptr;
  cluster.inject(2, forged);
  cluster.pump();
  EXPECT_EQ(cluster.replica(2).counters().new_views_rejected, 1u);
  EXPECT_TRUE(cluster.replica(2).view_changing());
  cluster.inject(2, honest);
  cluster.inject(3, honest);
  cluster.pump();
  EXPECT_FALSE(cluster.replica(2).view_changing());
  EXPECT_EQ(cluster.node(2).applied.size(), 1u);
}

// A VIEW-CHANGE whose prepared proof carries a forged PREPARE is dropped and does not count
// towards the f+1 join.
TEST(ViewChange, ViewChangeWithAForgedProofIsDropped) {
  Cluster cluster;
  cluster.drop = [](const Delivery& d) { return d.message.kind == MessageKind::kCommit; };
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  const Hash digest = cluster.node(0).sent.front().message.digest;
  for (uint32_t from : {1u, 2u}) {
    ViewChange view_change{1, {}, {PreparedProof{1, 0, digest, {}, {}}}};
    PreparedProof& proof = view_change.prepared[0];
    proof.pre_prepare_signature =
        cluster.sign_vote(0, MessageKind::kPrePrepare, 0, 1, digest).signature;
    proof.prepares = {{1, cluster.sign_vote(1, MessageKind::kPrepare, 0, 1, digest).signature},
                      {2, cluster.sign_vote(2, MessageKind::kPrepare, 0, 1, digest).signature}};
    proof.prepares[1].signature[5] ^= 0x40;  // forged
    Message message;
    message.kind = MessageKind::kViewChange;
    message.from = from;
    message.view = 1;
    message.block = encode_view_change(view_change);
    message.signature = crypto::sign_domain(cluster.key(from), crypto::Domain::kViewChange,
                                            kChainId, message.block);
    cluster.inject(3, message);
  }
  cluster.pump();
  EXPECT_EQ(cluster.replica(3).counters().dropped_view_changes, 2u);
  EXPECT_EQ(cluster.replica(3).view(), 0u);
}

// A replica that crashed after sending VIEW-CHANGE restarts still changing views (the view
// was durable) and re-sends it; one that entered view 1 restarts in view 1.
TEST(ViewChange, RestartDuringAndAfterAViewChange) {
  Cluster cluster;
  cluster.node(0).up = false;
  cluster.node(1).up = false;
  note_pending_everywhere(cluster);
  cluster.advance_time(0);
  cluster.advance_time(kTimeout);
  cluster.pump();
  ASSERT_EQ(cluster.replica(2).view(), 1u);
  cluster.restart(2);
  EXPECT_EQ(cluster.replica(2).view(), 1u);
  EXPECT_TRUE(cluster.replica(2).view_changing());
  const size_t before = count_kind(cluster.node(2), MessageKind::kViewChange);
  cluster.pump();
  EXPECT_EQ(count_kind(cluster.node(2), MessageKind::kViewChange), before + 1);
  cluster.restart(1);  // view 1's primary comes back and collects the VIEW-CHANGEs
  cluster.replica(1).note_pending_request(true);
  cluster.advance_time(cluster.config_for(1).retransmit_ms);
  cluster.pump();
  cluster.advance_time(kTimeout);
  cluster.pump();
  ASSERT_FALSE(cluster.replica(2).view_changing());
  const uint64_t view = cluster.replica(2).view();
  cluster.restart(2);
  EXPECT_EQ(cluster.replica(2).view(), view);
  EXPECT_FALSE(cluster.replica(2).view_changing());
  cluster.propose_at(cluster.replica(2).primary(), cluster.make_txs(1));
  cluster.pump();
  EXPECT_EQ(cluster.node(2).applied.size(), 1u);
}

// A primary's proposal that never prepared is not re-proposed; when the primary's turn comes
// again (view 4 of 4 replicas) it proposes after the committed height, not after that lost
// proposal (whose parent link it no longer holds).
TEST(ViewChange, PrimaryProposesAgainAfterItsLostProposal) {
  Cluster cluster;
  cluster.drop = [](const Delivery& d) {
    return d.message.kind == MessageKind::kPrePrepare && d.message.view == 0;
  };
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  note_pending_everywhere(cluster);
  cluster.advance_time(0);
  // Views 1, 2 and 3 each time out (2x, 4x, 8x the base) with nothing proposed.
  for (int step = 0; step < 40 && cluster.replica(0).view() < 4; ++step) {
    cluster.advance_time(kTimeout / 2);
    cluster.pump();
  }
  ASSERT_EQ(cluster.replica(0).view(), 4u);
  ASSERT_FALSE(cluster.replica(0).view_changing());
  ASSERT_EQ(cluster.replica(0).committed_height(), 0u);
  ASSERT_TRUE(cluster.replica(0).can_propose());
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  for (uint32_t i = 0; i < cluster.n(); ++i) EXPECT_EQ(cluster.node(i).applied.size(), 1u);
}

// Replicas 1 and 2 prepared block 1 in view 0, then restarted while changing to view 1: their
// log keeps only the current view's entries, so the body comes from the prepared record.
// Without it nobody up could supply the re-proposed body (replica 3 never saw it, the old
// primary is down) and view 1 could not commit.
TEST(ViewChange, PreparedBodySurvivesARestartIntoTheNextView) {
  Cluster cluster;
  cluster.drop = [](const Delivery& d) {
    if (d.message.kind == MessageKind::kCommit) return true;
    if (d.message.kind == MessageKind::kPrePrepare && d.to == 3) return true;
    return d.message.kind == MessageKind::kPrepare && (d.to == 0 || d.to == 3);
  };
  cluster.propose(cluster.make_txs(2));
  cluster.pump();
  const Hash digest = cluster.node(0).sent.front().message.digest;
  ASSERT_EQ(count_sent(cluster.node(1), MessageKind::kCommit, 1, digest), 1u);  // prepared
  cluster.node(0).up = false;
  // Replica 1, view 1's primary, cannot gather the VIEW-CHANGEs before the restarts.
  cluster.drop = [](const Delivery& d) {
    return d.message.kind == MessageKind::kViewChange && d.to == 1;
  };
  note_pending_everywhere(cluster);
  cluster.advance_time(0);
  cluster.advance_time(kTimeout);
  cluster.pump();
  for (uint32_t i = 1; i < cluster.n(); ++i) ASSERT_TRUE(cluster.replica(i).view_changing());
  cluster.restart(1);
  cluster.restart(2);
  cluster.drop = [](const Delivery& d) { return d.to == 0; };
  for (int period = 0; period < 3; ++period) {
    cluster.advance_time(cluster.config_for(1).retransmit_ms);
    cluster.pump();
  }
  for (uint32_t i = 1; i < cluster.n(); ++i) {
    EXPECT_EQ(cluster.replica(i).view(), 1u);
    ASSERT_EQ(cluster.node(i).applied.size(), 1u) << "replica " << i;
    EXPECT_EQ(cluster.applied_hash(i, 1), digest);
  }
  EXPECT_EQ(cluster.replica(1).counters().bodies_fetched, 0u);  // its own record had it
}

}  // namespace
}  // namespace phalanx::consensus::testing
