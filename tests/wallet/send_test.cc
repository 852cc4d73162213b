// send: default fee, the nonce rule (a lagging node's pendingNonce versus this keystore's
// record of the last 60 s), rejection by the node, and --wait ending committed, failed or
// timed out. Polls use --poll-interval 5 so waiting tests take milliseconds.
#include <gtest/gtest.h>

#include "crypto/address.h"
#include "tests/wallet/fake_node.h"
#include "tests/wallet/harness.h"
#include "wallet/nonce_record.h"

namespace phalanx::wallet::testing {
namespace {

using nlohmann::json;

class WalletSendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    wallet_.env["PHALANX_RPC"] = node_.url();
    wallet_.env["PHALANX_WALLET_PASSWORD"] = "pw";
    alice_ = wallet_.create_key("alice");
    bob_ = wallet_.create_key("bob");
    node_.set_account(alice_, {.balance = 1'000'000, .nonce = 5, .pending_nonce = 5});
  }
  WalletRun send(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"send", "--from",   "alice", "--to",
                                     "bob",  "--amount", "10",    "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return wallet_.run(args);
  }
  std::vector<uint64_t> nonces_received() const {
    std::vector<uint64_t> nonces;
    for (const ledger::Transaction& tx : node_.received()) nonces.push_back(tx.nonce);
    return nonces;
  }

  FakeNode node_;
  WalletHarness wallet_;
  std::string alice_;
  std::string bob_;
};

TEST_F(WalletSendTest, SubmitsWithTheNodesMinFeeAndPrintsTheHash) {
  WalletRun run = send();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_EQ(node_.received().size(), 1u);
  const ledger::Transaction tx = node_.received()[0];
  EXPECT_EQ(tx.fee, node_.min_fee);
  EXPECT_EQ(tx.nonce, 5u);
  EXPECT_EQ(tx.amount, 10u);
  EXPECT_EQ(crypto::format_address(tx.recipient), bob_);
  const json document = run.json();
  EXPECT_EQ(document.size(), 2u) << document;
  EXPECT_EQ(document["status"], "pending");
  EXPECT_EQ(document["hash"], crypto::to_hex(crypto::sha256(ledger::encode_transaction(tx))));
  WalletRun text = wallet_.run({"send", "--from", "alice", "--to", "bob", "--amount", "1"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out.rfind("hash: ", 0), 0u);
  EXPECT_NE(text.out.find("\nstatus: pending\n"), std::string::npos) << text.out;
}

TEST_F(WalletSendTest, QuickSendsGetConsecutiveNoncesWhileTheNodeLags) {
  node_.set_lagging(true);  // pendingNonce stays 5, as on a node that missed the first tx
  ASSERT_EQ(send().exit_code, 0);
  wallet_.now_ms += 1000;
  ASSERT_EQ(send().exit_code, 0);
  wallet_.now_ms += 1000;
  ASSERT_EQ(send().exit_code, 0);
  EXPECT_EQ(nonces_received(), (std::vector<uint64_t>{5, 6, 7}));
}

TEST_F(WalletSendTest, TheRecordExpiresAfterSixtySeconds) {
  node_.set_lagging(true);
  ASSERT_EQ(send().exit_code, 0);
  wallet_.now_ms += kNonceWindowMs;  // the node's pendingNonce rules again
  // Another amount: the same nonce and amount would be the same (duplicate) transaction.
  ASSERT_EQ(wallet_.run({"send", "--from", "alice", "--to", "bob", "--amount", "11"}).exit_code, 0);
  EXPECT_EQ(nonces_received(), (std::vector<uint64_t>{5, 5}));
}

TEST_F(WalletSendTest, NodeAheadOfTheRecordWins) {
  ASSERT_EQ(send().exit_code, 0);
  node_.set_account(alice_, {.balance = 1'000'000, .nonce = 20, .pending_nonce = 20});
  ASSERT_EQ(send().exit_code, 0);
  EXPECT_EQ(nonces_received(), (std::vector<uint64_t>{5, 20}));
}

TEST_F(WalletSendTest, ExplicitNonceIsRecordedAndOtherChainsAreIgnored) {
  node_.set_lagging(true);
  ASSERT_EQ(send({"--nonce", "30"}).exit_code, 0);
  ASSERT_EQ(send().exit_code, 0);
  EXPECT_EQ(nonces_received(), (std::vector<uint64_t>{30, 31}));

  FakeNode other_chain;
  other_chain.chain_id = "another-chain";
  other_chain.set_account(alice_, {.balance = 100, .nonce = 0, .pending_nonce = 0});
  ASSERT_EQ(send({"--rpc", other_chain.url()}).exit_code, 0);
  ASSERT_EQ(other_chain.received().size(), 1u);
  EXPECT_EQ(other_chain.received()[0].nonce, 0u);
}

TEST_F(WalletSendTest, CorruptedRecordIsIgnoredWithAWarningAndRewritten) {
  wallet_.write_file("keystore/alice.nonces.json", "garbage");
  WalletRun run = send();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("warning: ignoring the nonce record"), std::string::npos) << run.err;
  auto entries = load_nonce_record(nonce_record_path(wallet_.keystore, "alice"), alice_);
  ASSERT_TRUE(entries) << entries.message();
  EXPECT_EQ(recent_nonce(*entries, node_.chain_id, wallet_.now_ms), 5u);
}

TEST_F(WalletSendTest, RejectedByTheNode) {
  node_.fail_next("sendTransaction", -32006, "insufficient balance");
  WalletRun run = send();
  EXPECT_EQ(run.exit_code, 1);
  const json document = run.json();
  EXPECT_EQ(document["status"], "rejected");
  EXPECT_EQ(document["error"]["code"], -32006);
  EXPECT_EQ(document["error"]["message"], "insufficient balance");
  EXPECT_EQ(document["hash"].get<std::string>().size(), 64u);
  EXPECT_NE(run.err.find("the node rejected transaction"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(": insufficient balance"), std::string::npos) << run.err;
  node_.set_lagging(true);
  ASSERT_EQ(send().exit_code, 0);
  EXPECT_EQ(nonces_received(), std::vector<uint64_t>{5}) << "a rejected nonce is not recorded";
}

TEST_F(WalletSendTest, FeeBelowMinimumIsRejected) {
  WalletRun run = send({"--fee", "1"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.json()["error"]["code"], -32007);
}

TEST_F(WalletSendTest, WaitUntilCommitted) {
  node_.set_outcome(3, "committed");
  WalletRun run = send({"--wait", "--poll-interval", "5"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json document = run.json();
  EXPECT_EQ(document, (json{{"hash", document["hash"]}, {"status", "committed"}, {"height", 7}}));
  EXPECT_EQ(node_.polls(document["hash"]), 3);
  WalletRun text = wallet_.run({"send", "--from", "alice", "--to", "bob", "--amount", "1", "--wait",
                                "--poll-interval", "5"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("\nstatus: committed\nheight: 7\n"), std::string::npos) << text.out;
}

TEST_F(WalletSendTest, WaitEndsFailed) {
  node_.set_outcome(2, "failed", "insufficient balance");
  WalletRun run = send({"--wait", "--poll-interval", "5"});
  EXPECT_EQ(run.exit_code, 1);
  const json document = run.json();
  EXPECT_EQ(document["status"], "failed");
  EXPECT_EQ(document["error"], "insufficient balance");
  EXPECT_NE(run.err.find("failed: insufficient balance"), std::string::npos) << run.err;
}

TEST_F(WalletSendTest, WaitTimesOut) {
  node_.set_outcome(1'000'000, "committed");
  WalletRun run = send({"--wait", "--timeout", "0.1", "--poll-interval", "10"});
  EXPECT_EQ(run.exit_code, 1);
  const json document = run.json();
  EXPECT_EQ(document, (json{{"hash", document["hash"]}, {"status", "pending"}}));
  EXPECT_NE(run.err.find("timed out after 0.1 s waiting for transaction"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("phalanx-wallet tx " + document["hash"].get<std::string>()),
            std::string::npos);
  EXPECT_GE(node_.polls(document["hash"]), 2);
}

TEST_F(WalletSendTest, UnreachableNodeAsksNoPassword) {
  ClosedPort closed;
  wallet_.env.erase("PHALANX_WALLET_PASSWORD");
  WalletRun run = send({"--rpc", closed.url()});
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_NE(run.err.find("cannot reach the node at " + closed.url()), std::string::npos);
  EXPECT_TRUE(wallet_.prompts_seen.empty());
  EXPECT_FALSE(run.json()["error"].contains("code"));
}

}  // namespace
}  // namespace phalanx::wallet::testing
