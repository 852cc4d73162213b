// A longer run (label "slow", not in CI): a Byzantine primary of view 0 running every
// behaviour while transfers keep coming and honest nodes are killed and restarted (each must
// catch up past the forged catch-up responses). PHALANX_BYZANTINE_SOAK_S sets the duration
// (default 60 s). Same checks as the CI tests: every transfer commits on the honest nodes,
// which agree on every block hash and never die.
#include <signal.h>

#include <cstdlib>

#include "gtest/gtest.h"
#include "tests/node/node_cluster.h"

namespace phalanx::node::testing {
namespace {

TEST(ByzantineSoak, HonestNodesStaySafeAndLiveAroundAByzantinePrimary) {
  const char* env = std::getenv("PHALANX_BYZANTINE_SOAK_S");
  const auto duration = std::chrono::seconds(env != nullptr ? std::atoi(env) : 60);
  Cluster cluster;
  const std::vector<uint32_t> honest{1, 2, 3};
  cluster.set_program(0, PHALANX_BYZANTINE_PATH, {"--byzantine", "all"});
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_peers(all_nodes(4)));
  const auto end = Clock::now() + duration;
  uint64_t nonce = 0;
  for (uint32_t round = 0; Clock::now() < end; ++round) {
    // Every other round one honest node is down while the transfers are submitted.
    const bool kill = round % 2 == 1;
    const uint32_t victim = honest[round / 2 % 3];
    if (kill) cluster.kill(victim);
    std::vector<ledger::SignedTransaction> txs;
    for (int i = 0; i < 10; ++i, ++nonce) {
      txs.push_back(cluster.transfer(test_address(2), 1, nonce));
      uint32_t via = honest[nonce % 3];
      if (kill && via == victim) via = honest[(nonce + 1) % 3];
      ASSERT_NO_FATAL_FAILURE(submit_ok(cluster, via, txs.back()));
    }
    if (kill) cluster.start(victim);
    for (const auto& tx : txs) {
      ASSERT_TRUE(wait_until([&] { return cluster.committed_on(honest, tx.hash); }))
          << "round " << round << ": nonce " << tx.tx.nonce << " not committed everywhere";
    }
  }
  uint64_t lowest = UINT64_MAX;
  for (uint32_t i : honest) lowest = std::min(lowest, cluster.height(i).value_or(0));
  std::printf("soak: %llu transfers, honest height %llu\n", static_cast<unsigned long long>(nonce),
              static_cast<unsigned long long>(lowest));
  cluster.expect_same_chain(honest, lowest);
}

// n = 7 with one Byzantine validator (4): honest node 3 is down while the others commit more
// than a log window of blocks, then restarts and must catch up. Its first catch-up peer in
// rotation is the Byzantine node, which answers with forged blocks and certificates.
TEST(ByzantineSoak, RestartedHonestNodeCatchesUpPastForgedBlocks) {
  ClusterOptions options;
  options.n = 7;
  options.checkpoint_interval = 4;
  Cluster cluster(options);
  const std::vector<uint32_t> honest{0, 1, 2, 3, 5, 6};
  const std::vector<uint32_t> up{0, 1, 2, 5, 6};
  cluster.set_program(4, PHALANX_BYZANTINE_PATH, {"--byzantine", "all"});
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_peers(all_nodes(7)));
  cluster.kill(3);
  constexpr uint64_t kBlocks = 80;  // above the log window of 64
  for (uint64_t nonce = 0; nonce < kBlocks; ++nonce) {
    const auto tx = cluster.transfer(test_address(2), 1, nonce);
    ASSERT_NO_FATAL_FAILURE(submit_ok(cluster, up[nonce % up.size()], tx));
    ASSERT_TRUE(wait_until([&] { return cluster.committed_on(up, tx.hash); })) << nonce;
  }
  const uint64_t height = cluster.height(0).value_or(0);
  cluster.start(3);
  ASSERT_TRUE(wait_until([&] { return cluster.height(3).value_or(0) >= height; }))
      << "the restarted node did not catch up to " << height;
  const auto after = cluster.transfer(test_address(2), 1, kBlocks);
  ASSERT_NO_FATAL_FAILURE(submit_ok(cluster, 3, after));
  ASSERT_TRUE(wait_until([&] { return cluster.committed_on(honest, after.hash); }));
  cluster.expect_same_chain(honest, height);
}

}  // namespace
}  // namespace phalanx::node::testing
