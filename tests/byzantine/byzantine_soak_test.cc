// Longer runs (label "slow", not in CI): Byzantine primaries running every behaviour while
// transfers keep coming and honest nodes are killed and restarted (each must catch up past
// the forged catch-up responses). PHALANX_BYZANTINE_SOAK_S sets the duration
// (default 60 s). Same checks as the CI tests: every transfer commits on the honest nodes,
// which agree on every block hash and never die.
#include <signal.h>

#include <algorithm>
#include <cstdlib>

#include "gtest/gtest.h"
#include "tests/node/node_cluster.h"

namespace phalanx::node::testing {
namespace {

// Rounds of ten faucet transfers through the honest nodes until the soak time is up; every
// other round one honest node (in turn) is SIGKILLed before they are submitted and restarted
// after. Each round's transfers must commit on every honest node.
void soak(uint32_t n, const std::vector<uint32_t>& byzantine) {
  const char* env = std::getenv("PHALANX_BYZANTINE_SOAK_S");
  const auto duration = std::chrono::seconds(env != nullptr ? std::atoi(env) : 60);
  ClusterOptions options;
  options.n = n;
  Cluster cluster(options);
  std::vector<uint32_t> honest;
  for (uint32_t i = 0; i < n; ++i) {
    if (std::find(byzantine.begin(), byzantine.end(), i) == byzantine.end()) honest.push_back(i);
  }
  for (uint32_t i : byzantine) {
    cluster.set_program(i, PHALANX_BYZANTINE_PATH, {"--byzantine", "all"});
  }
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_peers(all_nodes(n)));
  const auto end = Clock::now() + duration;
  uint64_t nonce = 0;
  for (uint32_t round = 0; Clock::now() < end; ++round) {
    const bool kill = round % 2 == 1;
    const uint32_t victim = honest[round / 2 % honest.size()];
    if (kill) cluster.kill(victim);
    std::vector<ledger::SignedTransaction> txs;
    for (int i = 0; i < 10; ++i, ++nonce) {
      txs.push_back(cluster.transfer(test_address(2), 1, nonce));
      uint32_t via = honest[nonce % honest.size()];
      if (kill && via == victim) via = honest[(nonce + 1) % honest.size()];
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

TEST(ByzantineSoak, HonestNodesStaySafeAndLiveAroundAByzantinePrimary) { soak(4, {0}); }

// f = 2 of 7: the primaries of views 0 and 1 are Byzantine.
TEST(ByzantineSoak, HonestNodesStaySafeAndLiveAroundTwoByzantinePrimaries) { soak(7, {0, 1}); }

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
