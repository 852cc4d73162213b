// sign: offline with --chain-id/--fee/--nonce (no node at all), or filling the chain id, fee
// and nonce from the node; the printed transaction decodes, verifies and carries exactly
// the requested fields. Also the value errors shared with send: amounts, addresses, names,
// and a wrong password.
#include <gtest/gtest.h>

#include "crypto/address.h"
#include "ledger/transaction.h"
#include "tests/wallet/fake_node.h"
#include "tests/wallet/harness.h"

namespace phalanx::wallet::testing {
namespace {

using nlohmann::json;

ledger::SignedTransaction decode(const WalletRun& run) {
  const json document = run.json();
  EXPECT_EQ(document.size(), 2u) << document;
  auto bytes = hex_decode(document.value("tx", ""));
  EXPECT_TRUE(bytes) << run.out;
  auto signed_tx = ledger::parse_signed_transaction(bytes ? *bytes : Bytes{});
  EXPECT_TRUE(signed_tx) << (signed_tx ? "" : signed_tx.message());
  if (!signed_tx) return {};
  EXPECT_TRUE(ledger::verify_transaction_signature(signed_tx->tx));
  EXPECT_EQ(document.value("hash", ""), crypto::to_hex(signed_tx->hash));
  return std::move(*signed_tx);
}

class WalletSignTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alice_ = wallet_.import_key("alice", test_seed(1));
    bob_ = wallet_.create_key("bob");
    wallet_.env["PHALANX_RPC"] = closed_.url();  // no node unless a test starts one
    wallet_.env["PHALANX_WALLET_PASSWORD"] = "pw";
  }
  WalletRun sign(std::vector<std::string> extra) {
    std::vector<std::string> args = {"sign", "--from", "alice", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return wallet_.run(args);
  }

  ClosedPort closed_;
  WalletHarness wallet_;
  std::string alice_;
  std::string bob_;
};

TEST_F(WalletSignTest, OfflineWithChainIdFeeAndNonce) {
  WalletRun run = sign({"--to", "bob", "--amount", "250", "--fee", "3", "--nonce", "9",
                        "--chain-id", "other-chain"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const ledger::SignedTransaction signed_tx = decode(run);
  EXPECT_EQ(signed_tx.tx.chain_id, "other-chain");
  EXPECT_EQ(crypto::format_address(ledger::sender_address(signed_tx.tx)), alice_);
  EXPECT_EQ(crypto::format_address(signed_tx.tx.recipient), bob_);
  EXPECT_EQ(signed_tx.tx.amount, 250u);
  EXPECT_EQ(signed_tx.tx.fee, 3u);
  EXPECT_EQ(signed_tx.tx.nonce, 9u);
}

TEST_F(WalletSignTest, OfflineWorksWhateverTheRpcSetting) {
  wallet_.env["PHALANX_RPC"] = "not a url";
  WalletRun run =
      sign({"--to", bob_, "--amount", "1", "--fee", "0", "--nonce", "0", "--chain-id", "c"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  WalletRun text = wallet_.run({"sign", "--from", "alice", "--to", "bob", "--amount", "1", "--fee",
                                "0", "--nonce", "0", "--chain-id", "c"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(line_count(text.out), 2u);
  EXPECT_EQ(text.out.rfind("hash: ", 0), 0u) << text.out;
  EXPECT_NE(text.out.find("\ntx: 01"), std::string::npos) << text.out;
}

TEST_F(WalletSignTest, FillsChainIdFeeAndNonceFromTheNode) {
  FakeNode node;
  node.chain_id = "node-chain";
  node.min_fee = 17;
  node.set_account(alice_, {.balance = 1000, .nonce = 4, .pending_nonce = 6});
  WalletRun run = sign({"--to", "bob", "--amount", "5", "--rpc", node.url()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const ledger::SignedTransaction signed_tx = decode(run);
  EXPECT_EQ(signed_tx.tx.chain_id, "node-chain");
  EXPECT_EQ(signed_tx.tx.fee, 17u);
  EXPECT_EQ(signed_tx.tx.nonce, 6u);
  EXPECT_TRUE(node.received().empty()) << "sign must not submit";
}

TEST_F(WalletSignTest, WithoutChainIdItNeedsTheNode) {
  WalletRun run = sign({"--to", "bob", "--amount", "5", "--fee", "1", "--nonce", "0"});
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_NE(run.err.find("cannot read the node's chain id and minimum fee: cannot reach the node"),
            std::string::npos)
      << run.err;
  EXPECT_TRUE(wallet_.prompts_seen.empty());
}

TEST_F(WalletSignTest, BadValuesAreUsageErrors) {
  std::string typo = bob_;
  typo[20] = typo[20] == 'x' ? 'y' : 'x';
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--to", "bob", "--amount", "0"}, "--amount must be at least 1"},
      {{"--to", "bob", "--amount", "-5"}, "--amount must not be negative"},
      {{"--to", "bob", "--amount", "9007199254740992"}, "is too large"},
      {{"--to", "bob", "--amount", "1.5"}, "whole number"},
      {{"--to", "bob", "--amount", "1", "--fee", "-1"}, "--fee must not be negative"},
      {{"--to", "bob", "--amount", "1", "--nonce", "x"}, "--nonce must be a whole number"},
      {{"--to", "bob", "--amount", "1", "--chain-id", "Bad Chain"}, "--chain-id"},
      {{"--to", typo, "--amount", "1"}, "--to '" + typo + "': invalid address: checksum"},
      {{"--to", "bob!", "--amount", "1"}, "is neither a key name nor an address"},
  };
  for (const auto& [extra, expected] : cases) {
    WalletRun run = sign(extra);
    EXPECT_EQ(run.exit_code, 2) << expected;
    EXPECT_NE(run.err.find(expected), std::string::npos) << run.err;
    EXPECT_EQ(line_count(run.err), 1u) << run.err;
    EXPECT_EQ(run.json()["error"]["message"].get<std::string>() + "\n",
              run.err.substr(std::string("phalanx-wallet: error: ").size()));
  }
}

TEST_F(WalletSignTest, UnknownNamesAndWrongPassword) {
  const std::vector<std::string> offline = {"--amount", "1", "--fee",      "0",
                                            "--nonce",  "0", "--chain-id", "c"};
  std::vector<std::string> args = {"sign", "--from", "carol", "--to", "bob"};
  args.insert(args.end(), offline.begin(), offline.end());
  WalletRun unknown_from = wallet_.run(args);
  EXPECT_EQ(unknown_from.exit_code, 3);
  EXPECT_NE(unknown_from.err.find("unknown key name 'carol'"), std::string::npos);
  args = {"sign", "--from", "alice", "--to", "carol"};
  args.insert(args.end(), offline.begin(), offline.end());
  WalletRun unknown_to = wallet_.run(args);
  EXPECT_EQ(unknown_to.exit_code, 3);
  EXPECT_NE(unknown_to.err.find("unknown key name 'carol'"), std::string::npos);
  wallet_.env["PHALANX_WALLET_PASSWORD"] = "not-pw";
  args = {"sign", "--from", "alice", "--to", "bob"};
  args.insert(args.end(), offline.begin(), offline.end());
  WalletRun wrong = wallet_.run(args);
  EXPECT_EQ(wrong.exit_code, 3);
  EXPECT_EQ(wrong.err,
            "phalanx-wallet: error: cannot unlock key 'alice': wrong password or "
            "corrupted key file " +
                wallet_.key_path("alice") + "\n");
}

TEST_F(WalletSignTest, PromptsForTheSenderPassword) {
  wallet_.env.erase("PHALANX_WALLET_PASSWORD");
  wallet_.prompt_answers = {"pw"};
  WalletRun run =
      sign({"--to", "bob", "--amount", "1", "--fee", "0", "--nonce", "0", "--chain-id", "c"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(wallet_.prompts_seen, std::vector<std::string>{"Password for key 'alice': "});
}

}  // namespace
}  // namespace phalanx::wallet::testing
