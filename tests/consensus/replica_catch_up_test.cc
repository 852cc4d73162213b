// Status sync, catch-up and idle rejoin through the replica: STATUS signed and forged, a
// replica that missed more than a log window catching up with certified blocks and then
// voting on new heights, forged responses refused (and accepted under the mutation), the
// served range bounded, a lying STATUS costing a bounded number of rounds, and a replica
// restarted on an idle chain rejoining a higher view.
#include <gtest/gtest.h>

#include <limits>

#include "consensus/catch_up.h"
#include "tests/consensus/catch_up_fixture.h"

namespace phalanx::consensus::testing {
namespace {

TEST(Status, SentAtStartUpAndEverySecondAndVerified) {
  Cluster cluster;
  cluster.advance_time(0);  // the first tick after start-up
  cluster.pump();
  for (uint32_t i = 0; i < cluster.n(); ++i) {
    EXPECT_EQ(cluster.replica(i).counters().statuses_sent, 1u);
  }
  cluster.advance_time(kStatusMs - 1);
  EXPECT_EQ(cluster.replica(0).counters().statuses_sent, 1u);
  cluster.advance_time(1);
  cluster.pump();
  EXPECT_EQ(cluster.replica(0).counters().statuses_sent, 2u);
  EXPECT_EQ(cluster.replica(0).counters().dropped_statuses, 0u);
  // Everyone agrees: nothing to catch up.
  for (uint32_t i = 0; i < cluster.n(); ++i) {
    EXPECT_EQ(cluster.replica(i).counters().catch_ups, 0u);
  }
}

TEST(Status, ForgedOrMalformedStatusIsDropped) {
  Cluster cluster;
  cluster.advance_time(0);
  cluster.drain(1);
  const Message honest = cluster.node(1).sent.back().message;
  ASSERT_EQ(honest.kind, MessageKind::kStatus);

  Message forged = honest;  // replica 2's name on replica 1's signature
  forged.from = 2;
  cluster.inject(0, forged);
  Message inflated = honest;  // envelope differs from the signed payload
  inflated.height = 100;
  cluster.inject(0, inflated);
  Message garbage = honest;
  garbage.block.push_back(0);
  cluster.inject(0, garbage);
  // A correctly signed STATUS whose stable proof has too few signatures.
  StatusReport lying;
  lying.height = 8;
  lying.block_hash = cluster.genesis_hash();
  lying.stable.height = 8;
  lying.stable.signatures = {{1, {}}};
  Message bad_proof;
  bad_proof.kind = MessageKind::kStatus;
  bad_proof.from = 1;
  bad_proof.height = 8;
  bad_proof.digest = lying.block_hash;
  bad_proof.block = encode_status(lying);
  bad_proof.signature =
      crypto::sign_domain(cluster.key(1), crypto::Domain::kStatus, kChainId, bad_proof.block);
  cluster.inject(0, bad_proof);
  cluster.pump();
  EXPECT_EQ(cluster.replica(0).counters().dropped_statuses, 4u);
  cluster.inject(0, honest);
  cluster.pump();
  EXPECT_EQ(cluster.replica(0).counters().dropped_statuses, 4u);
}

// f claims are not enough for a replica that is making progress: a single peer cannot start
// a catch-up at once, however far ahead it claims to be.
TEST(CatchUp, NeedsFPlusOneClaimsUnlessStalled) {
  Cluster cluster;
  StatusReport claim;
  claim.height = 1000;
  claim.block_hash = cluster.genesis_hash();
  Message status;
  status.kind = MessageKind::kStatus;
  status.from = 1;
  status.height = claim.height;
  status.digest = claim.block_hash;
  status.block = encode_status(claim);
  status.signature =
      crypto::sign_domain(cluster.key(1), crypto::Domain::kStatus, kChainId, status.block);
  cluster.inject(3, status);
  cluster.pump();
  EXPECT_EQ(cluster.replica(3).counters().catch_ups, 0u);
  EXPECT_FALSE(cluster.replica(3).catching_up());
  // After a whole status period without progress one claim is enough to ask that peer (it
  // may be the only honest one ahead); this one has nothing to serve, so the round ends on
  // its timeout with nothing applied.
  status_round(cluster);
  EXPECT_EQ(cluster.replica(3).counters().catch_ups, 1u);
  EXPECT_TRUE(cluster.replica(3).catching_up());
  cluster.advance_time(cluster.config_for(3).catch_up_timeout_ms);
  cluster.pump();
  EXPECT_FALSE(cluster.replica(3).catching_up());
  EXPECT_EQ(cluster.replica(3).committed_height(), 0u);
  EXPECT_EQ(cluster.replica(0).counters().catch_up_requests_served, 0u);
}

// A STATUS from `from`, correctly signed, claiming `height` on the genesis block hash.
Message signed_status(const Cluster& cluster, uint32_t from, uint64_t height) {
  StatusReport claim;
  claim.height = height;
  claim.block_hash = cluster.genesis_hash();
  Message status;
  status.kind = MessageKind::kStatus;
  status.from = from;
  status.height = claim.height;
  status.digest = claim.block_hash;
  status.block = encode_status(claim);
  status.signature =
      crypto::sign_domain(cluster.key(from), crypto::Domain::kStatus, kChainId, status.block);
  return status;
}

// Regression: a peer repeating an inflated STATUS (near 2^64) on an idle cluster made the
// honest replica start a pointless catch-up round every status period for ever. Now the
// liar's claim loses its standing after its requests fail, and the cost is bounded.
TEST(CatchUp, LyingStatusCostsABoundedNumberOfRounds) {
  Cluster cluster;
  const uint64_t lie = std::numeric_limits<uint64_t>::max() - 5;
  for (int period = 0; period < 60; ++period) {  // 60 simulated seconds
    cluster.inject(3, signed_status(cluster, 1, lie));
    status_round(cluster);
  }
  EXPECT_LE(cluster.replica(3).counters().catch_ups, 2u);
  EXPECT_LE(count_kind(cluster.node(3), MessageKind::kCatchUpRequest, 1u), 2u);
  EXPECT_EQ(cluster.replica(3).committed_height(), 0u);

  // An honest cluster that moves ahead still gets it to catch up, the liar still lying.
  cluster.drop = [](const Delivery& d) { return d.to == 3; };
  commit_blocks(cluster, 3);
  cluster.drop = [](const Delivery& d) {
    return d.to == 3 && d.message.kind != MessageKind::kStatus &&
           d.message.kind != MessageKind::kCatchUpResponse;
  };
  for (int period = 0; period < 3; ++period) {
    cluster.inject(3, signed_status(cluster, 1, lie));
    status_round(cluster);
  }
  EXPECT_EQ(cluster.replica(3).committed_height(), 3u);
  EXPECT_EQ(cluster.applied_hash(3, 3), cluster.applied_hash(0, 3));
  EXPECT_LE(count_kind(cluster.node(3), MessageKind::kCatchUpRequest, 1u), 2u);
  EXPECT_FALSE(cluster.replica(3).catching_up());
}

// A liar that raises its claim every period gets a request only after a backoff that doubles
// per failure: O(log t) requests, not one per period.
TEST(CatchUp, RisingLyingStatusIsBackedOff) {
  Cluster cluster;
  const uint64_t base = uint64_t{1} << 40;
  for (int period = 0; period < 60; ++period) {
    cluster.inject(3, signed_status(cluster, 1, base + static_cast<uint64_t>(period)));
    status_round(cluster);
  }
  EXPECT_LE(cluster.replica(3).counters().catch_ups, 7u);  // 6: two, then after 2, 4, 8, 16 periods
  EXPECT_EQ(cluster.replica(3).committed_height(), 0u);
}

// The one peer ahead (the others' claims never arrive) is honest but the first request to it
// is lost: one lost request does not cost it its standing, the next period's round succeeds.
TEST(CatchUp, LoneHonestPeerSurvivesALostRequest) {
  Cluster cluster;
  cluster.drop = [](const Delivery& d) { return d.to == 3; };
  commit_blocks(cluster, 3);
  int requests_dropped = 0;
  cluster.drop = [&requests_dropped](const Delivery& d) {
    if (d.message.kind == MessageKind::kCatchUpRequest && d.to == 0 && requests_dropped == 0) {
      ++requests_dropped;
      return true;
    }
    if (d.to != 3) return false;
    if (d.message.kind == MessageKind::kStatus) return d.message.from != 0;
    return d.message.kind != MessageKind::kCatchUpResponse;
  };
  for (int period = 0; period < 5 && cluster.replica(3).committed_height() < 3; ++period) {
    status_round(cluster);
  }
  EXPECT_EQ(requests_dropped, 1);
  EXPECT_EQ(cluster.replica(3).committed_height(), 3u);
  EXPECT_EQ(cluster.replica(3).counters().catch_ups, 2u);
  EXPECT_EQ(cluster.applied_hash(3, 3), cluster.applied_hash(0, 3));
}

TEST(CatchUp, ReplicaBehindMoreThanTheWindowCatchesUpAndRejoins) {
  Cluster cluster;  // K = 4, L = 16, W = 4
  lag_replica_3(cluster, 40);
  ASSERT_EQ(cluster.replica(0).stable_checkpoint(), 40u);
  status_round(cluster);
  Replica& lagger = cluster.replica(3);
  EXPECT_EQ(lagger.committed_height(), 40u);
  EXPECT_EQ(lagger.counters().catch_ups, 1u);
  EXPECT_EQ(lagger.counters().catch_up_blocks, 40u);
  EXPECT_EQ(lagger.counters().forged_certificates_refused, 0u);
  EXPECT_FALSE(lagger.catching_up());
  // The window moved with the peers' proof, not with its own (nobody else signs 4..36 now).
  EXPECT_EQ(lagger.stable_checkpoint(), 40u);
  EXPECT_EQ(lagger.counters().catch_up_checkpoints_adopted, 1u);
  ASSERT_EQ(cluster.node(3).applied.size(), 40u);
  for (uint64_t height = 1; height <= 40; ++height) {
    EXPECT_EQ(cluster.applied_hash(3, height), cluster.applied_hash(0, height)) << height;
    EXPECT_TRUE(cluster.node(3).applied[height - 1].certified_catch_up);
  }
  EXPECT_EQ(cluster.node(3).roots.at(40), cluster.node(0).roots.at(40));
  // Requests went in batches of at most kCatchUpBlocksMax.
  EXPECT_EQ(count_kind(cluster.node(3), MessageKind::kCatchUpRequest), 3u);
  EXPECT_FALSE(cluster.node(0).applied.back().certified_catch_up);

  // It takes part in new heights: its PREPARE and COMMIT count.
  cluster.node(2).up = false;  // q = 3 of 4 now needs replica 3
  commit_blocks(cluster, 3);
  EXPECT_EQ(lagger.committed_height(), 43u);
  EXPECT_EQ(cluster.replica(0).committed_height(), 43u);
  EXPECT_EQ(count_sent(cluster.node(3), MessageKind::kCommit, 43), 1u);
  EXPECT_FALSE(cluster.node(3).applied.back().certified_catch_up);

  // Its records restart cleanly.
  cluster.restart(3);
  EXPECT_EQ(cluster.replica(3).committed_height(), 43u);
  EXPECT_EQ(cluster.replica(3).stable_checkpoint(), 40u);
}

// A few heights behind inside the window, on an idle chain: no normal-case message will come,
// so a replica that makes no progress for a status period fetches them.
TEST(CatchUp, StalledReplicaInsideTheWindowCatchesUp) {
  Cluster cluster;
  cluster.drop = [](const Delivery& d) { return d.to == 3; };
  commit_blocks(cluster, 3);
  cluster.drop = [](const Delivery& d) {
    // Keep the normal case from repairing it, so only catch-up can.
    return d.to == 3 && d.message.kind != MessageKind::kStatus &&
           d.message.kind != MessageKind::kCatchUpResponse;
  };
  status_round(cluster);  // claims arrive; 3 < window high: waits one period
  EXPECT_EQ(cluster.replica(3).counters().catch_ups, 0u);
  status_round(cluster);
  EXPECT_EQ(cluster.replica(3).counters().catch_ups, 1u);
  EXPECT_EQ(cluster.replica(3).committed_height(), 3u);
  EXPECT_EQ(cluster.applied_hash(3, 3), cluster.applied_hash(0, 3));
}

// Rewrites the response a Byzantine server sends, through decode and re-encode.
using Forgery = std::function<void(const Cluster&, CatchUpBlock*)>;

void forge_at(Cluster& cluster, uint32_t server, Forgery forgery) {
  cluster.tamper_response = [&cluster, server, forgery](uint32_t index, Message* response) {
    if (index != server) return;
    auto item = decode_catch_up_response(*response, cluster.config_for(index));
    ASSERT_TRUE(item.is_ok()) << item.message();
    forgery(cluster, &*item);
    *response = make_catch_up_response(index, item->block, item->certificate);
  };
}

// The lagger asks replica 0 first (the next one after itself); 0 lies, 1 is asked next.
void expect_refused_then_caught_up(Cluster& cluster) {
  status_round(cluster);
  Replica& lagger = cluster.replica(3);
  EXPECT_EQ(lagger.counters().forged_certificates_refused, 1u);
  EXPECT_EQ(lagger.committed_height(), 20u);
  EXPECT_GE(count_kind(cluster.node(3), MessageKind::kCatchUpRequest, 1u), 1u);
  for (uint64_t height = 1; height <= 20; ++height) {
    ASSERT_EQ(cluster.applied_hash(3, height), cluster.applied_hash(1, height)) << height;
  }
}

TEST(CatchUp, CertificateWithAWrongSignerIsRefused) {
  Cluster cluster;
  lag_replica_3(cluster, 20);
  forge_at(cluster, 0, [](const Cluster&, CatchUpBlock* item) {
    item->certificate.signatures.back().validator = 3;  // signed by another
  });
  expect_refused_then_caught_up(cluster);
}

TEST(CatchUp, CertificateWithTooFewSignaturesIsRefused) {
  Cluster cluster;
  lag_replica_3(cluster, 20);
  forge_at(cluster, 0,
           [](const Cluster&, CatchUpBlock* item) { item->certificate.signatures.resize(2); });
  expect_refused_then_caught_up(cluster);
}

// Another block (a forged transaction list) under the real block's certificate.
void swap_block(const Cluster& cluster, CatchUpBlock* item) {
  ledger::Block forged =
      cluster.next_block(item->block.header.height, item->block.header.prev_hash, {});
  forged.header.timestamp_ms = item->block.header.timestamp_ms + 1;
  item->block = forged;
}

TEST(CatchUp, CertificateForAnotherDigestIsRefused) {
  Cluster cluster;
  lag_replica_3(cluster, 20);
  forge_at(cluster, 0, swap_block);
  expect_refused_then_caught_up(cluster);
}

// A block whose certificate is valid (a quorum signed it) but that does not extend this
// replica's chain is refused too: the linkage is checked, not only the signatures.
TEST(CatchUp, BrokenLinkageIsRefused) {
  Cluster cluster;
  lag_replica_3(cluster, 20);
  forge_at(cluster, 0, [](const Cluster& c, CatchUpBlock* item) {
    ledger::Block forged = c.next_block(item->block.header.height, Hash{}, {});
    const Hash hash = ledger::block_hash(forged.header);
    item->block = forged;
    item->certificate.signatures.clear();
    for (uint32_t i = 0; i < 3; ++i) {
      const Message commit =
          c.sign_vote(i, MessageKind::kCommit, item->certificate.view, forged.header.height, hash);
      item->certificate.signatures.push_back({i, commit.signature});
    }
  });
  expect_refused_then_caught_up(cluster);
}

// The mutation switch: without the certificate check the forged block is committed, which is
// what the simulator's invariant checker has to catch.
TEST(CatchUp, MutationAcceptsAForgedBlock) {
  ClusterOptions options;
  options.mutations.catch_up_without_certificate_check = true;
  Cluster cluster(options);
  lag_replica_3(cluster, 20);
  forge_at(cluster, 0, swap_block);
  status_round(cluster);
  ASSERT_GE(cluster.node(3).applied.size(), 1u);
  EXPECT_NE(cluster.applied_hash(3, 1), cluster.applied_hash(1, 1));
}

TEST(CatchUp, ServedRangeIsBoundedAndRateLimited) {
  Cluster cluster;
  commit_blocks(cluster, 40);
  Message request;
  request.kind = MessageKind::kCatchUpRequest;
  request.from = 3;
  request.height = 2;
  cluster.drop = [](const Delivery& d) { return d.to == 3; };  // keep replica 3 out of it
  cluster.inject(0, request);
  cluster.pump();
  EXPECT_EQ(count_kind(cluster.node(0), MessageKind::kCatchUpResponse, 3u), kCatchUpBlocksMax);
  EXPECT_EQ(cluster.node(0).sent.back().message.height, 2 + kCatchUpBlocksMax - 1);
  // The same request again within a retransmission period is not served twice.
  cluster.inject(0, request);
  cluster.pump();
  EXPECT_EQ(count_kind(cluster.node(0), MessageKind::kCatchUpResponse, 3u), kCatchUpBlocksMax);
  // Up to the committed height only; nothing beyond it or at height 0.
  request.height = 35;
  cluster.inject(0, request);
  request.height = 41;
  cluster.inject(0, request);
  request.height = 0;
  cluster.inject(0, request);
  cluster.pump();
  EXPECT_EQ(count_kind(cluster.node(0), MessageKind::kCatchUpResponse, 3u), kCatchUpBlocksMax + 6);
  EXPECT_EQ(cluster.replica(0).counters().catch_up_requests_served, 2u);
}

TEST(CatchUp, UnaskedResponsesAreDropped) {
  Cluster cluster;
  commit_blocks(cluster, 2);
  const CommittedBlock& block = cluster.node(0).applied[0];
  Cluster fresh;
  fresh.inject(3, make_catch_up_response(0, block.block, block.certificate));
  fresh.pump();
  EXPECT_EQ(fresh.replica(3).counters().dropped_catch_up_responses, 1u);
  EXPECT_EQ(fresh.replica(3).committed_height(), 0u);
}

// A replica restarted on an idle chain, in a view the others left: their STATUS shows f+1
// of them in a higher view, it fetches that view's NEW-VIEW, verifies it and enters it.
TEST(IdleRejoin, RestartedReplicaEntersTheHigherView) {
  Cluster cluster;
  commit_blocks(cluster, 1);
  cluster.node(3).up = false;
  for (uint32_t i = 0; i < 3; ++i) cluster.replica(i).note_pending_request(true);
  cluster.advance_time(0);
  cluster.advance_time(cluster.options().view_change_timeout_ms);
  cluster.pump();
  for (uint32_t i = 0; i < 3; ++i) {
    ASSERT_EQ(cluster.replica(i).view(), 1u);
    ASSERT_FALSE(cluster.replica(i).view_changing());
    cluster.replica(i).note_pending_request(false);
  }
  cluster.restart(3);
  EXPECT_EQ(cluster.replica(3).view(), 0u);
  status_round(cluster);  // no client traffic, only STATUS
  Replica& rejoined = cluster.replica(3);
  EXPECT_EQ(rejoined.view(), 1u);
  EXPECT_FALSE(rejoined.view_changing());
  EXPECT_GE(rejoined.counters().new_views_fetched, 1u);
  EXPECT_EQ(rejoined.counters().new_views_accepted, 1u);
  EXPECT_EQ(rejoined.counters().view_changes, 0u);
  // And takes part in view 1: with replica 2 down, commits need it.
  cluster.node(2).up = false;
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  EXPECT_EQ(rejoined.committed_height(), 2u);
  EXPECT_EQ(cluster.replica(1).committed_height(), 2u);
}

// A forged NEW-VIEW served on request is verified like any other and refused.
TEST(IdleRejoin, ForgedNewViewIsRejected) {
  Cluster cluster;
  Message forged;
  forged.kind = MessageKind::kNewView;
  forged.from = 1;
  forged.view = 1;
  forged.block = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};  // view 1, no view changes
  forged.signature =
      crypto::sign_domain(cluster.key(1), crypto::Domain::kNewView, kChainId, forged.block);
  cluster.inject(3, forged);
  cluster.pump();
  EXPECT_EQ(cluster.replica(3).view(), 0u);
  EXPECT_EQ(cluster.replica(3).counters().new_views_rejected, 1u);
}

}  // namespace
}  // namespace phalanx::consensus::testing
