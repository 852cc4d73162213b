// End-to-end fault tests of phalanxd: a primary that dies for good (view change), a peer
// outside the validator set, and a backup that must catch up on an idle chain. Four real
// processes on 127.0.0.1, faulted with signals, observed through JSON-RPC and node.log.
#include <signal.h>

#include "crypto/ed25519.h"
#include "gtest/gtest.h"
#include "ledger/genesis.h"
#include "node/home.h"
#include "node/transport.h"
#include "node/wire.h"
#include "tests/node/node_cluster.h"

namespace phalanx::node::testing {
namespace {

bool log_has(const Cluster& cluster, uint32_t node, const std::string& text) {
  return read_text_file(cluster.node(node).home + "/node.log").find(text) != std::string::npos;
}

std::optional<uint64_t> status_field(Cluster& cluster, uint32_t node, const std::string& key) {
  const auto status = cluster.result(node, "getStatus");
  if (!status || !(*status)[key].is_number_unsigned()) return std::nullopt;
  return (*status)[key].get<uint64_t>();
}

// The primary of view 0 is SIGKILLed and stays dead: the backups' timers expire on the
// transfers they hold, they move to view 1 (primary 1) and commit new transfers submitted
// to any of them, all three with identical blocks.
TEST(PhalanxdFaults, DeadPrimaryIsVotedOutAndTheOthersGoOn) {
  Cluster cluster;
  ledger::SignedTransaction first;
  ASSERT_NO_FATAL_FAILURE(start_and_commit_first(cluster, 2, &first));
  cluster.kill(0);
  const std::vector<uint32_t> live{1, 2, 3};
  std::vector<ledger::SignedTransaction> txs;
  for (uint64_t nonce = 1; nonce <= 6; ++nonce) {
    txs.push_back(cluster.transfer(test_address(2), nonce, nonce));
    submit_ok(cluster, live[nonce % 3], txs.back());
  }
  for (const auto& tx : txs) {
    ASSERT_TRUE(wait_until([&] { return cluster.committed_on(live, tx.hash); }))
        << "tx " << tx.tx.nonce << " not committed on the live nodes";
  }
  for (uint32_t i : live) {
    EXPECT_GE(status_field(cluster, i, "view").value_or(0), 1u) << "node " << i;
    EXPECT_NE(status_field(cluster, i, "primary").value_or(0), 0u) << "node " << i;
    EXPECT_TRUE(log_has(cluster, i, "view change to view 1, primary 1")) << "node " << i;
  }
  cluster.expect_same_chain(live, cluster.height(1).value());
  const auto balance =
      cluster.result(3, "getBalance", Json::array({crypto::format_address(test_address(2))}));
  EXPECT_EQ(balance, Json(1 + 2 + 3 + 4 + 5 + 6));

  // The old primary comes back on an idle chain: it gets the blocks it missed (by catch-up,
  // or as the NEW-VIEW's re-proposal when that is all it missed) and the NEW-VIEW of the
  // view the others moved to, then takes part again as a backup.
  const uint64_t height = cluster.height(1).value();
  cluster.start(0);
  ASSERT_TRUE(wait_until([&] { return cluster.height(0) == height; }))
      << "the restarted primary did not catch up to height " << height;
  ASSERT_TRUE(wait_until([&] {
    return status_field(cluster, 0, "view") == status_field(cluster, 1, "view");
  })) << "the restarted primary did not rejoin the others' view";
  const auto after = cluster.transfer(test_address(3), 7, 7);
  submit_ok(cluster, 0, after);
  ASSERT_TRUE(wait_until([&] { return cluster.committed_on(all_nodes(4), after.hash); }));
  cluster.expect_same_chain(all_nodes(4), cluster.height(0).value());
}

// A backup is SIGKILLed and the others commit more than two checkpoint intervals without
// it, so their logs no longer hold those heights (nothing is re-offered). Restarted on an
// idle chain -- no new transfers -- it learns from the others' STATUS that it is behind,
// fetches the committed blocks with their commit certificates and matches the others; then
// it commits new blocks with them.
TEST(PhalanxdFaults, BackupRestartedOnAnIdleChainCatchesUp) {
  ClusterOptions options;
  options.checkpoint_interval = 4;
  Cluster cluster(options);
  ledger::SignedTransaction first;
  ASSERT_NO_FATAL_FAILURE(start_and_commit_first(cluster, 1, &first));
  const uint64_t before = cluster.height(0).value();
  cluster.kill(3);
  const std::vector<uint32_t> live{0, 1, 2};
  for (uint64_t nonce = 1; nonce <= 3 * options.checkpoint_interval; ++nonce) {
    const auto tx = cluster.transfer(test_address(2), nonce, nonce);
    submit_ok(cluster, static_cast<uint32_t>(nonce % 3), tx);
    ASSERT_TRUE(wait_until([&] { return cluster.committed_on(live, tx.hash); }));
  }
  const uint64_t height = cluster.height(0).value();
  ASSERT_GE(height - before, 2u * options.checkpoint_interval);
  cluster.start(3);
  ASSERT_TRUE(wait_until([&] { return cluster.height(3) == height; }))
      << "the restarted backup did not catch up to height " << height << " (at "
      << cluster.height(3).value_or(0) << ")";
  cluster.expect_same_chain(all_nodes(4), height);
  EXPECT_TRUE(log_has(cluster, 3, "catch-up: heights "));
  EXPECT_EQ(cluster.height(0), height) << "the chain was not idle";
  const auto next = cluster.transfer(test_address(3), 7, 1 + 3 * options.checkpoint_interval);
  submit_ok(cluster, 3, next);
  ASSERT_TRUE(wait_until([&] { return cluster.committed_on(all_nodes(4), next.hash); }));
  cluster.expect_same_chain(all_nodes(4), cluster.height(3).value());
}

// A process holding a key outside the validator set dials every node with the transport
// phalanxd itself uses: each node's ZAP handler refuses the CurveZMQ handshake and logs it,
// the outsider never counts a connection, and nothing it sends changes any node's chain.
TEST(PhalanxdFaults, PeerOutsideTheValidatorSetCannotConnect) {
  Cluster cluster;
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_peers(all_nodes(4)));
  auto genesis = ledger::load_genesis(cluster.dir() + "/genesis.json");
  ASSERT_TRUE(genesis.is_ok()) << genesis.message();
  crypto::Seed seed{};
  seed.fill(0x77);
  const crypto::SecretKey outsider_key = crypto::SecretKey::from_seed(seed);
  // The outsider poses as validator 3 at a fresh address: it knows every node's public
  // key and endpoint (both public), but not validator 3's secret key, so it runs with a
  // validator set in which its own key replaces validator 3's.
  TransportConfig config;
  config.self = 3;
  for (const auto& validator : genesis->validators) {
    config.validators.push_back({validator.p2p, validator.public_key});
  }
  config.validators[3].public_key = outsider_key.public_key();
  config.bind_endpoint = "tcp://127.0.0.1:0";
  config.identity = CurveKeyPair::from_ed25519(outsider_key);
  const std::string refusal =
      "CURVE key " + hex_encode(config.identity.public_key()) + " is not a peer validator";
  config.frame_bytes_max = wire_frame_bytes_max(genesis->block_limits);
  Transport outsider(std::move(config), [](uint32_t, Bytes) {});
  ASSERT_TRUE(outsider.start().is_ok());
  const auto tx = cluster.transfer(test_address(5), 9, 0);
  // Keep offering a transaction until every node has refused the handshake at least once.
  const bool refused_everywhere = wait_until([&] {
    (void)outsider.broadcast(encode_tx_batch_frame(std::vector<ledger::SignedTransaction>{tx}));
    for (uint32_t i = 0; i < 3; ++i) {
      if (!log_has(cluster, i, refusal)) return false;
    }
    return true;
  });
  EXPECT_TRUE(refused_everywhere) << "a node did not log the refused handshake:\n"
                                  << read_text_file(cluster.node(0).home + "/node.log");
  EXPECT_EQ(outsider.connected_peers(), 0u);
  outsider.stop();
  for (uint32_t i = 0; i < 4; ++i) {
    const auto pending = cluster.result(i, "getTransaction", Json::array({hex_encode(tx.hash)}));
    EXPECT_EQ(pending, Json(nullptr)) << "node " << i << " took the outsider's transaction";
    EXPECT_EQ(cluster.height(i), std::optional<uint64_t>(0)) << "node " << i;
  }
  // The validators still talk to each other.
  const auto real = cluster.transfer(test_address(6), 3, 0);
  submit_ok(cluster, 1, real);
  ASSERT_TRUE(wait_until([&] { return cluster.committed_on(all_nodes(4), real.hash); }));
}

}  // namespace
}  // namespace phalanx::node::testing
