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

}  // namespace
}  // namespace phalanx::node::testing
