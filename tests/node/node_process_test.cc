// End-to-end tests of phalanxd: four real processes on 127.0.0.1, driven through the CLI and
// JSON-RPC exactly as an operator and a wallet would, faulted with signals.
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "consensus/codec.h"
#include "gtest/gtest.h"
#include "ledger/genesis.h"
#include "ledger/lmdb.h"
#include "ledger/store.h"
#include "node/consensus_store.h"
#include "node/home.h"
#include "node/transport.h"
#include "node/wire.h"
#include "node/zmq_tsan_suppression.h"
#include "tests/node/node_cluster.h"
#include "tests/testutil/legacy_consensus_env.h"
#include "tests/testutil/temp_dir.h"

namespace phalanx::node::testing {
namespace {

int error_code(Cluster& cluster, uint32_t node, const ledger::SignedTransaction& tx) {
  const auto reply = cluster.submit(node, tx);
  if (!reply || !reply->contains("error")) return 0;
  return (*reply)["error"]["code"].get<int>();
}

// After the nodes stopped: every store passes its audit, and all agree on the state root
// after every height (the block headers only carry the root of height - W).
void expect_same_stores(Cluster& cluster, uint64_t height) {
  auto genesis = ledger::load_genesis(cluster.dir() + "/genesis.json");
  ASSERT_TRUE(genesis.is_ok()) << genesis.message();
  std::vector<std::unique_ptr<ledger::Store>> stores;
  for (uint32_t i = 0; i < cluster.n(); ++i) {
    auto store = ledger::Store::open(cluster.node(i).home + "/data/ledger", *genesis);
    ASSERT_TRUE(store.is_ok()) << store.message();
    EXPECT_TRUE((*store)->check_consistency().is_ok()) << "node " << i;
    EXPECT_GE((*store)->height(), height) << "node " << i;
    stores.push_back(std::move(store).value());
  }
  for (uint64_t h = 1; h <= height; ++h) {
    const auto root = stores[0]->state_root(h);
    ASSERT_TRUE(root.is_ok() && root->has_value()) << "height " << h;
    for (uint32_t i = 1; i < stores.size(); ++i) {
      EXPECT_EQ(stores[i]->state_root(h)->value(), **root) << "node " << i << " height " << h;
    }
  }
}

TEST(PhalanxdCli, UsageErrorsExitTwoAndHelpWorks) {
  EXPECT_EQ(run_phalanxd({"--version"}).exit_code, 0);
  const CommandResult help = run_phalanxd({"genesis", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--validator"), std::string::npos);
  const CommandResult bad = run_phalanxd({"run", "--bogus"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
  EXPECT_EQ(run_phalanxd({}).exit_code, 2);
  const CommandResult few =
      run_phalanxd({"genesis", "--out", "/nonexistent/g.json", "--chain-id", "x", "--validator",
                    std::string(64, 'a') + "@tcp://127.0.0.1:1"});
  EXPECT_EQ(few.exit_code, 2);
  EXPECT_NE(few.err.find("4"), std::string::npos) << few.err;
  const CommandResult missing = run_phalanxd({"run", "--home", "/nonexistent/phalanx-home"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("does not exist"), std::string::npos) << missing.err;
}

// `genesis --alloc-file`: one ADDRESS=AMOUNT per line, blank lines and '#' comments skipped,
// added after the --alloc accounts; a bad line is refused naming the file and line, and a
// file beyond the size bound is refused before it is read.
TEST(PhalanxdCli, GenesisAllocFile) {
  const std::string dir = testutil::make_temp_dir("phalanx-alloc-file");
  std::vector<std::string> args = {"genesis", "--chain-id", "alloc-test"};
  for (uint8_t i = 1; i <= 4; ++i) {
    args.push_back("--validator");
    args.push_back(hex_encode(crypto::SecretKey::from_seed(crypto::Seed{i}).public_key()) +
                   "@tcp://127.0.0.1:" + std::to_string(30000 + i));
  }
  const std::string a = crypto::format_address(test_address(1));
  const std::string b = crypto::format_address(test_address(2));
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name) << text;
    return dir + "/" + name;
  };
  const auto genesis = [&](const std::string& file, const std::string& out) {
    std::vector<std::string> all = args;
    all.insert(all.end(), {"--out", dir + "/" + out, "--alloc", a + "=5", "--alloc-file", file});
    return run_phalanxd(all);
  };
  const CommandResult ok = genesis(write("good", "# accounts\n\n" + b + "=7\r\n"), "g.json");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  auto parsed = ledger::load_genesis(dir + "/g.json");
  ASSERT_TRUE(parsed.is_ok()) << parsed.message();
  ASSERT_EQ(parsed->allocations.size(), 2u);
  EXPECT_EQ(parsed->allocations[1].address, test_address(2));
  EXPECT_EQ(parsed->allocations[1].balance, 7u);

  const CommandResult bad = genesis(write("bad", b + "=7\n\n" + b + "x=1\n"), "h.json");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find(dir + "/bad:3: "), std::string::npos) << bad.err;
  const CommandResult duplicate = genesis(write("dup", a + "=1\n"), "i.json");
  EXPECT_EQ(duplicate.exit_code, 2);
  EXPECT_NE(duplicate.err.find("duplicate address"), std::string::npos) << duplicate.err;
  const CommandResult missing = genesis(dir + "/none", "j.json");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no such file"), std::string::npos) << missing.err;
  const CommandResult huge = genesis(write("huge", std::string((16 << 20) + 1, '#')), "k.json");
  EXPECT_EQ(huge.exit_code, 2);
  EXPECT_NE(huge.err.find("larger than"), std::string::npos) << huge.err;
  std::filesystem::remove_all(dir);
}

// A genesis whose blocks are too small to carry a NEW-VIEW for its validator set is refused
// with the numbers, not with an assertion inside the consensus core.
TEST(PhalanxdCli, GenesisTooSmallForANewViewIsAClearError) {
  Cluster cluster;
  const std::string path = cluster.node(0).home + "/genesis.json";
  Json genesis = Json::parse(read_text_file(path));
  genesis["block_bytes_max"] = 2000;
  std::ofstream(path, std::ios::trunc) << genesis.dump();
  const CommandResult run = run_phalanxd({"run", "--home", cluster.node(0).home});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("block_bytes_max 2000 is too small for 4 validators"), std::string::npos)
      << run.err;
}

TEST(PhalanxdProcess, TransfersThroughDifferentNodesCommitIdenticallyEverywhere) {
  Cluster cluster;
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_peers(all_nodes(4)));
  std::vector<ledger::SignedTransaction> txs;
  for (uint64_t nonce = 0; nonce < 24; ++nonce) {
    txs.push_back(
        cluster.transfer(test_address(static_cast<uint8_t>(nonce % 3)), 100 + nonce, nonce));
    submit_ok(cluster, static_cast<uint32_t>(nonce % 4), txs.back());
  }
  // Refusals carry the contract's codes.
  EXPECT_EQ(error_code(cluster, 2, txs[5]), -32008);  // duplicate
  EXPECT_EQ(error_code(cluster, 1, cluster.transfer(test_address(9), 1, 3, 7)), -32004);
  EXPECT_EQ(error_code(cluster, 3, cluster.transfer(test_address(9), 1, 99, 0)), -32007);
  for (const auto& tx : txs) {
    ASSERT_TRUE(wait_until([&] { return cluster.committed_on(all_nodes(4), tx.hash); }))
        << "tx " << tx.tx.nonce << " not committed everywhere";
  }
  const uint64_t height = cluster.height(0).value_or(0);
  cluster.expect_same_chain(all_nodes(4), height);
  uint64_t expected[3] = {0, 0, 0};
  for (const auto& tx : txs) expected[tx.tx.nonce % 3] += tx.tx.amount;
  for (uint32_t i = 0; i < 4; ++i) {
    for (uint8_t k = 0; k < 3; ++k) {
      const auto balance =
          cluster.result(i, "getBalance", Json::array({crypto::format_address(test_address(k))}));
      EXPECT_EQ(balance, Json(expected[k])) << "node " << i;
    }
    const auto account = cluster.result(
        i, "getAccount", Json::array({crypto::format_address(cluster.faucet_address())}));
    ASSERT_TRUE(account.has_value());
    EXPECT_EQ((*account)["nonce"], 24);
  }
  for (uint32_t i = 0; i < 4; ++i) {
    const auto status = cluster.terminate(i);
    ASSERT_TRUE(status.has_value()) << "node " << i << " did not stop on SIGTERM";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "node " << i;
  }
  expect_same_stores(cluster, height);
  const std::string log = read_text_file(cluster.node(1).home + "/node.log");
  EXPECT_NE(log.find("committed block " + std::to_string(height)), std::string::npos);
  EXPECT_NE(log.find("peer 0 connected"), std::string::npos);
}

TEST(PhalanxdProcess, TwoOfFourStoppedCommitNothingThenResume) {
  Cluster cluster;
  ledger::SignedTransaction first;
  ASSERT_NO_FATAL_FAILURE(start_and_commit_first(cluster, 0, &first));
  const uint64_t before = cluster.height(0).value();
  cluster.signal(2, SIGSTOP);
  cluster.signal(3, SIGSTOP);
  const auto second = cluster.transfer(test_address(1), 6, 1);
  submit_ok(cluster, 0, second);
  // Without a quorum nothing may commit: watch the two live nodes for a while.
  const bool moved =
      wait_until([&] { return cluster.height(0) != before || cluster.height(1) != before; },
                 std::chrono::milliseconds(1500));
  EXPECT_FALSE(moved) << "a block committed with 2 of 4 validators";
  const auto pending = cluster.result(0, "getTransaction", Json::array({hex_encode(second.hash)}));
  ASSERT_TRUE(pending.has_value() && pending->is_object());
  EXPECT_EQ((*pending)["status"], "pending");
  cluster.signal(2, SIGCONT);
  cluster.signal(3, SIGCONT);
  ASSERT_TRUE(wait_until([&] { return cluster.committed_on(all_nodes(4), second.hash); }));
  cluster.expect_same_chain(all_nodes(4), before + 1);
}

// A backup killed with SIGKILL restores from its home, gets the block it missed (re-offered
// by the primary, or by catch-up) and commits new blocks with the others. The idle-chain
// version that needs catch-up is PhalanxdFaults.BackupRestartedOnAnIdleChainCatchesUp.
TEST(PhalanxdProcess, KilledBackupRestartsFromItsHomeAndRejoins) {
  Cluster cluster;
  ledger::SignedTransaction first;
  ASSERT_NO_FATAL_FAILURE(start_and_commit_first(cluster, 1, &first));
  cluster.kill(3);
  const auto missed = cluster.transfer(test_address(2), 6, 1);
  submit_ok(cluster, 1, missed);
  ASSERT_TRUE(wait_until([&] { return cluster.committed_on({0, 1, 2}, missed.hash); }));
  cluster.start(3);
  ASSERT_TRUE(wait_until([&] { return cluster.committed_on({3}, missed.hash); }))
      << "the restarted node did not catch up the block it missed";
  const auto after = cluster.transfer(test_address(3), 7, 2);
  submit_ok(cluster, 3, after);
  ASSERT_TRUE(wait_until([&] { return cluster.committed_on(all_nodes(4), after.hash); }));
  cluster.expect_same_chain(all_nodes(4), cluster.height(0).value());
  const std::string log = read_text_file(cluster.node(3).home + "/node.log");
  EXPECT_NE(log.find("restored: ledger height"), std::string::npos);
}

// A home whose consensus records are in the previous version's LMDB environment: phalanxd
// migrates them to records.log when it starts and goes on from them.
TEST(PhalanxdProcess, ConsensusRecordsOfThePreviousVersionAreMigrated) {
  Cluster cluster;
  ledger::SignedTransaction first;
  ASSERT_NO_FATAL_FAILURE(start_and_commit_first(cluster, 1, &first));
  cluster.kill(3);
  const std::string dir = cluster.node(3).home + "/data/consensus";
  std::map<std::string, Bytes> records;
  {
    auto store = ConsensusStore::open(dir);
    ASSERT_TRUE(store.is_ok()) << store.message();
    records = (*store)->load().value();
  }
  ASSERT_FALSE(records.empty());
  ASSERT_TRUE(std::filesystem::remove(dir + "/records.log"));
  ASSERT_NO_FATAL_FAILURE(testutil::write_legacy_consensus_env(dir, records));
  cluster.start(3);
  ASSERT_TRUE(cluster.wait_for_peers({3}));
  const auto after = cluster.transfer(test_address(3), 7, 1);
  submit_ok(cluster, 3, after);
  ASSERT_TRUE(wait_until([&] { return cluster.committed_on(all_nodes(4), after.hash); }));
  cluster.expect_same_chain(all_nodes(4), cluster.height(0).value());
  EXPECT_FALSE(std::filesystem::exists(dir + "/data.mdb"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/lock.mdb"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/records.log"));
  const std::string log = read_text_file(cluster.node(3).home + "/node.log");
  EXPECT_NE(log.find(", " + std::to_string(records.size()) + " consensus records"),
            std::string::npos)
      << log;
}

// The primary dies by SIGKILL while blocks are in flight; the backups finish what was
// prepared, the restarted primary restores its records, commits what it missed through
// its peers' COMMITs and goes on proposing. Transactions lost with its mempool are resent
// as a wallet would (a committed or pending one is refused as a duplicate).
TEST(PhalanxdProcess, PrimaryKilledUnderLoadRecovers) {
  Cluster cluster;
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_peers(all_nodes(4)));
  std::vector<ledger::SignedTransaction> txs;
  for (uint64_t nonce = 0; nonce < 40; ++nonce) {
    txs.push_back(cluster.transfer(test_address(4), 1, nonce));
  }
  for (size_t i = 0; i < 20; ++i) submit_ok(cluster, 0, txs[i]);
  ASSERT_TRUE(wait_until([&] { return cluster.height(1).value_or(0) >= 1; }));
  cluster.kill(0);
  cluster.start(0);
  ASSERT_TRUE(cluster.wait_for_peers({0}));
  for (const auto& tx : txs) {
    const int code = error_code(cluster, 0, tx);
    EXPECT_TRUE(code == 0 || code == -32008 || code == -32004) << code;
  }
  for (const auto& tx : txs) {
    ASSERT_TRUE(wait_until([&] { return cluster.committed_on(all_nodes(4), tx.hash); }))
        << "tx " << tx.tx.nonce;
  }
  const uint64_t height = cluster.height(0).value();
  cluster.expect_same_chain(all_nodes(4), height);
  for (uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(cluster.terminate(i).has_value());
  expect_same_stores(cluster, height);
}

// Frames a validator key-holder could send that no honest node does.
std::vector<Bytes> garbage_frames(const Cluster& cluster) {
  std::vector<Bytes> frames{{}, {9, 1, 2}, {3}, {4, 0}, {1, 0xde, 0xad, 0xbe, 0xef}, {2, 0, 0}};
  Bytes batch = encode_tx_batch_frame(
      std::vector<ledger::SignedTransaction>{cluster.transfer(test_address(8), 1, 50)});
  batch[5] ^= 0xff;  // an undecodable transaction inside a well-framed batch
  frames.push_back(batch);
  ledger::SignedTransaction forged = cluster.transfer(test_address(8), 1, 1);
  forged.tx.amount = 2;  // signature no longer matches
  forged.bytes = ledger::encode_transaction(forged.tx);
  forged.hash = crypto::sha256(forged.bytes);
  frames.push_back(encode_tx_batch_frame(std::vector<ledger::SignedTransaction>{forged}));
  consensus::Message prepare;
  prepare.kind = consensus::MessageKind::kPrepare;
  prepare.from = 1;  // not the authenticated sender
  prepare.height = 2;
  frames.push_back(encode_consensus_frame(prepare));
  prepare.from = 3;  // the right sender, an invalid signature
  frames.push_back(encode_consensus_frame(prepare));
  return frames;
}

// Unauthenticated junk on the p2p port, then garbage from a holder of validator 3's key
// (a process that is not phalanxd): the nodes drop it all and keep committing.
TEST(PhalanxdProcess, GarbageOnTheP2pPortIsHarmless) {
  Cluster cluster;
  ledger::SignedTransaction first;
  ASSERT_NO_FATAL_FAILURE(start_and_commit_first(cluster, 0, &first));
  send_raw_tcp(cluster.node(0).p2p_port, Bytes(1000, 0x41));
  send_raw_tcp(cluster.node(1).p2p_port, Bytes(3 << 20, 0xff));
  send_raw_tcp(cluster.node(2).p2p_port, {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0, 'N', 'U'});

  cluster.kill(3);
  auto genesis = ledger::load_genesis(cluster.dir() + "/genesis.json");
  ASSERT_TRUE(genesis.is_ok());
  auto key = load_node_key(cluster.node(3).home + "/node.key");
  ASSERT_TRUE(key.is_ok());
  TransportConfig config;
  config.self = 3;
  for (const auto& validator : genesis->validators) {
    config.validators.push_back({validator.p2p, validator.public_key});
  }
  config.bind_endpoint = genesis->validators[3].p2p;
  config.identity = CurveKeyPair::from_ed25519(*key);
  const size_t frame_bytes_max = wire_frame_bytes_max(genesis->block_limits);
  config.frame_bytes_max = frame_bytes_max + 1;  // so it can send one byte too many
  Transport impostor(std::move(config), [](uint32_t, Bytes) {});
  ASSERT_TRUE(impostor.start().is_ok());
  ASSERT_TRUE(wait_until([&] { return impostor.connected_peers() == 3; }));
  for (Bytes& frame : garbage_frames(cluster)) impostor.broadcast(std::move(frame));
  ASSERT_TRUE(wait_until([&] {
    const std::string log = read_text_file(cluster.node(0).home + "/node.log");
    return log.find("malformed frame from validator 3 (6 so far)") != std::string::npos;
  })) << "node 0 did not see the garbage";
  // One byte above what a node accepts: its transport drops it before anything decodes it.
  Bytes oversize(frame_bytes_max + 1, 0);
  oversize[0] = static_cast<uint8_t>(WireKind::kConsensus);
  EXPECT_TRUE(impostor.broadcast(std::move(oversize)));
  impostor.stop();

  for (uint32_t i = 0; i < 3; ++i) EXPECT_TRUE(cluster.running(i)) << "node " << i;
  cluster.start(3);
  ASSERT_TRUE(cluster.wait_for_peers(all_nodes(4)));
  const auto second = cluster.transfer(test_address(2), 6, 1);
  submit_ok(cluster, 3, second);
  ASSERT_TRUE(wait_until([&] { return cluster.committed_on(all_nodes(4), second.hash); }));
  cluster.expect_same_chain(all_nodes(4), cluster.height(0).value());
  const auto forged =
      cluster.result(0, "getBalance", Json::array({crypto::format_address(test_address(8))}));
  EXPECT_EQ(forged, Json(0));
}

}  // namespace
}  // namespace phalanx::node::testing
