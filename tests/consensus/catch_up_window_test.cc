// Catch-up with several requests in flight: a replica far behind keeps requests to one peer
// in flight as far as its window (kCatchUpWindowBlocks heights above its executed height) and
// its byte budget (Config::catch_up_bytes_max) allow; blocks waiting for execution do not
// count against the peer; responses larger than the sizing assumed are dropped and asked for
// again, so the budget holds whatever the peer sends.
#include <gtest/gtest.h>

#include "consensus/catch_up.h"
#include "tests/consensus/catch_up_fixture.h"

namespace phalanx::consensus::testing {
namespace {

size_t response_bytes(const CommittedBlock& block) {
  return make_catch_up_response(0, block.block, block.certificate).block.size();
}

// The payload of a catch-up response carrying a block of one transfer.
size_t one_transfer_response_bytes() {
  Cluster cluster;
  commit_blocks(cluster, 1);
  return response_bytes(cluster.node(0).applied.front());
}

// What the replica holds output and not executed, counted as the replica counts it.
size_t unexecuted_bytes(const TestNode& node) {
  size_t bytes = 0;
  for (const CommittedBlock& block : node.unexecuted) bytes += response_bytes(block);
  return bytes;
}

// Replica 3 executes what it holds, then the cluster runs, until its round ends (bounded);
// the bytes it holds never exceed `budget`.
void execute_until_caught_up(Cluster& cluster, size_t budget) {
  for (int round = 0; round < 64 && cluster.replica(3).catching_up(); ++round) {
    EXPECT_LE(unexecuted_bytes(cluster.node(3)), budget);
    cluster.execute_held(3);
    cluster.pump();
  }
  cluster.node(3).auto_execute = true;
  cluster.execute_held(3);
  cluster.pump();
}

void expect_same_chain(Cluster& cluster, uint64_t heights) {
  ASSERT_EQ(cluster.replica(3).committed_height(), heights);
  for (uint64_t height = 1; height <= heights; ++height) {
    ASSERT_EQ(cluster.applied_hash(3, height), cluster.applied_hash(0, height)) << height;
  }
}

TEST(CatchUpWindow, SeveralRequestsInFlightUpToTheWindow) {
  Cluster cluster;  // K = 4, L = 16, W = 4
  constexpr uint64_t kBehind = kCatchUpWindowBlocks + 2 * kCatchUpBlocksMax;
  lag_replica_3(cluster, kBehind);
  cluster.node(3).auto_execute = false;
  status_round(cluster);
  Replica& lagger = cluster.replica(3);
  // Nothing executed: a whole window was requested from replica 0 and output.
  constexpr size_t kWindowRequests = kCatchUpWindowBlocks / kCatchUpBlocksMax;
  EXPECT_TRUE(lagger.catching_up());
  EXPECT_EQ(lagger.committed_height(), kCatchUpWindowBlocks);
  EXPECT_EQ(cluster.node(3).unexecuted.size(), kCatchUpWindowBlocks);
  EXPECT_EQ(count_kind(cluster.node(3), MessageKind::kCatchUpRequest, 0u), kWindowRequests);

  // Execution lags for several timeouts: that is not the peer's fault, nobody else is asked.
  for (int i = 0; i < 3; ++i) {
    cluster.advance_time(cluster.config_for(3).catch_up_timeout_ms);
    cluster.pump();
  }
  EXPECT_TRUE(lagger.catching_up());
  EXPECT_EQ(count_kind(cluster.node(3), MessageKind::kCatchUpRequest), kWindowRequests);

  // Executing frees the window and the rest comes from the same peer.
  cluster.node(3).auto_execute = true;
  cluster.execute_held(3);
  cluster.pump();
  EXPECT_FALSE(lagger.catching_up());
  expect_same_chain(cluster, kBehind);
  EXPECT_EQ(count_kind(cluster.node(3), MessageKind::kCatchUpRequest, 0u),
            kBehind / kCatchUpBlocksMax);
  EXPECT_EQ(count_kind(cluster.node(3), MessageKind::kCatchUpRequest), kBehind / kCatchUpBlocksMax);
  EXPECT_EQ(lagger.counters().dropped_catch_up_responses, 0u);
  EXPECT_EQ(lagger.counters().forged_certificates_refused, 0u);
}

// A budget of 20 responses, execution held: the replica holds no more than fits, and gets the
// rest as execution frees room.
TEST(CatchUpWindow, BytesInHandStayWithinTheBudget) {
  ClusterOptions options;
  options.catch_up_bytes_max = 20 * one_transfer_response_bytes();
  Cluster cluster(options);
  constexpr uint64_t kBehind = 60;
  lag_replica_3(cluster, kBehind);
  cluster.node(3).auto_execute = false;
  status_round(cluster);
  EXPECT_EQ(cluster.node(3).unexecuted.size(), kCatchUpBlocksMax);  // a second request would not fit
  execute_until_caught_up(cluster, options.catch_up_bytes_max);
  expect_same_chain(cluster, kBehind);
  EXPECT_EQ(count_kind(cluster.node(3), MessageKind::kCatchUpRequest),
            count_kind(cluster.node(3), MessageKind::kCatchUpRequest, 0u));
  EXPECT_EQ(cluster.replica(3).counters().forged_certificates_refused, 0u);
}

// Blocks of eight transfers after blocks of one: the requests were sized for the small ones, so
// responses that do not fit the budget are dropped and asked for again, from the same peer,
// without blaming it.
TEST(CatchUpWindow, ResponsesBeyondTheBudgetAreAskedForAgain) {
  ClusterOptions options;
  options.catch_up_bytes_max = 24 * one_transfer_response_bytes();
  Cluster cluster(options);
  cluster.node(3).up = false;
  commit_blocks(cluster, kCatchUpBlocksMax, 1);
  commit_blocks(cluster, 24, 8);
  cluster.node(3).up = true;
  cluster.node(3).auto_execute = false;
  status_round(cluster);
  execute_until_caught_up(cluster, options.catch_up_bytes_max);
  expect_same_chain(cluster, kCatchUpBlocksMax + 24);
  const Counters& counters = cluster.replica(3).counters();
  EXPECT_GT(counters.dropped_catch_up_responses, 0u);
  EXPECT_EQ(counters.forged_certificates_refused, 0u);
  EXPECT_EQ(count_kind(cluster.node(3), MessageKind::kCatchUpRequest),
            count_kind(cluster.node(3), MessageKind::kCatchUpRequest, 0u));
}

}  // namespace
}  // namespace phalanx::consensus::testing
