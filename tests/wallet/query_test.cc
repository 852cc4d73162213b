// balance and tx against the fake node, and every way talking to a node can go wrong:
// unreachable, a JSON-RPC error, a reply that is not JSON, too large, or HTTP 500.
#include <gtest/gtest.h>

#include "crypto/address.h"
#include "tests/wallet/fake_node.h"
#include "tests/wallet/harness.h"
#include "wallet/rpc_client.h"

namespace phalanx::wallet::testing {
namespace {

using nlohmann::json;

class WalletQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    wallet_.env["PHALANX_RPC"] = node_.url();
    alice_ = wallet_.create_key("alice");
    node_.set_account(alice_, {.balance = 1234, .nonce = 5, .pending_nonce = 7});
  }
  // Sends a transfer from alice and returns its hash.
  std::string send_one() {
    WalletRun sent = wallet_.run({"send", "--from", "alice", "--to", alice_, "--amount", "3",
                                  "--password-file", wallet_.password_file, "--json"});
    EXPECT_EQ(sent.exit_code, 0) << sent.err;
    return sent.json().value("hash", "");
  }

  FakeNode node_;
  WalletHarness wallet_;
  std::string alice_;
};

TEST_F(WalletQueryTest, BalanceOfANameOrAnAddress) {
  WalletRun by_name = wallet_.run({"balance", "alice"});
  ASSERT_EQ(by_name.exit_code, 0) << by_name.err;
  EXPECT_EQ(by_name.out, "address: " + alice_ + "\nbalance: 1234\nnonce: 5\n");
  WalletRun by_address = wallet_.run({"balance", alice_, "--json"});
  ASSERT_EQ(by_address.exit_code, 0) << by_address.err;
  EXPECT_EQ(by_address.json(), (json{{"address", alice_}, {"balance", 1234}, {"nonce", 5}}));
}

TEST_F(WalletQueryTest, BalanceOfAnUnknownAddressIsZero) {
  const std::string stranger = crypto::format_address(crypto::Address{});
  WalletRun run = wallet_.run({"balance", stranger, "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.json()["balance"], 0);
}

TEST_F(WalletQueryTest, MistypedAddressIsRejectedBeforeTheNode) {
  std::string typo = alice_;
  typo[10] = typo[10] == 'q' ? 'p' : 'q';
  WalletRun run = wallet_.run({"balance", typo});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("checksum mismatch (mistyped character?)"), std::string::npos) << run.err;
  EXPECT_EQ(node_.calls("getAccount"), 0);
  WalletRun mixed = wallet_.run({"balance", "phx1" + std::string(38, 'Q') + "q"});
  EXPECT_EQ(mixed.exit_code, 2);
  EXPECT_NE(mixed.err.find("invalid address"), std::string::npos) << mixed.err;
}

TEST_F(WalletQueryTest, UnreachableNode) {
  ClosedPort closed;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"balance", "alice", "--rpc", closed.url()},
        std::vector<std::string>{"tx", std::string(64, 'a'), "--rpc", closed.url()}}) {
    WalletRun run = wallet_.run(args);
    EXPECT_EQ(run.exit_code, 3);
    EXPECT_NE(run.err.find("cannot reach the node at " + closed.url()), std::string::npos)
        << run.err;
    EXPECT_EQ(line_count(run.err), 1u);
  }
}

TEST_F(WalletQueryTest, BadRpcUrlIsAUsageError) {
  WalletRun run = wallet_.run({"balance", "alice", "--rpc", "localhost:26601"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("must look like http://HOST:PORT"), std::string::npos) << run.err;
}

TEST_F(WalletQueryTest, NodeErrorsShowMessageAndCodeInJson) {
  node_.fail_next("getAccount", -32603, "internal error: store unavailable");
  WalletRun text = wallet_.run({"balance", "alice"});
  EXPECT_EQ(text.exit_code, 3);
  EXPECT_EQ(text.err, "phalanx-wallet: error: cannot read the balance of " + alice_ +
                          ": internal error: store unavailable\n");
  node_.fail_next("getAccount", -32603, "internal error: store unavailable");
  WalletRun json_run = wallet_.run({"balance", "alice", "--json"});
  EXPECT_EQ(json_run.exit_code, 3);
  EXPECT_EQ(json_run.json()["error"]["code"], -32603);
}

TEST_F(WalletQueryTest, MalformedReplies) {
  const std::vector<std::pair<RawReply, std::string>> cases = {
      {{200, "not json"}, "the reply is not JSON"},
      {{200, R"({"jsonrpc":"2.0","id":1})"}, "exactly one of"},
      {{200, R"({"jsonrpc":"2.0","id":99,"result":{}})"}, "answers request id 99"},
      {{200, R"({"jsonrpc":"2.0","id":1,"result":{"balance":-1,"nonce":0,"pendingNonce":0}})"},
       "must be unsigned integers"},
      {{500, "oops"}, "answered HTTP 500: oops"},
      {{200, std::string(kRpcReplyBytesMax + 1, ' ')}, "larger than 1048576 bytes"},
  };
  for (const auto& [reply, expected] : cases) {
    node_.set_raw_reply(reply);
    WalletRun run = wallet_.run({"balance", "alice"});
    EXPECT_EQ(run.exit_code, 3) << expected;
    EXPECT_NE(run.err.find(expected), std::string::npos) << run.err;
    EXPECT_EQ(line_count(run.err), 1u) << run.err;
  }
}

TEST_F(WalletQueryTest, HostileReplyCannotBreakOutputOrTerminal) {
  node_.set_raw_reply({500, "\xff\xfe\x1b[2J\nforged line"});
  WalletRun json_run = wallet_.run({"balance", "alice", "--json"});
  EXPECT_EQ(json_run.exit_code, 3);
  EXPECT_NE(json_run.json()["error"]["message"].get<std::string>().find("answered HTTP 500"),
            std::string::npos);
  WalletRun text = wallet_.run({"balance", "alice"});
  EXPECT_EQ(text.exit_code, 3);
  EXPECT_EQ(text.err.find('\x1b'), std::string::npos) << text.err;
  EXPECT_EQ(line_count(text.err), 1u) << text.err;
}

TEST_F(WalletQueryTest, TxShowsEachStatus) {
  node_.set_outcome(2, "committed");
  const std::string hash = send_one();
  WalletRun pending = wallet_.run({"tx", hash});
  ASSERT_EQ(pending.exit_code, 0) << pending.err;
  EXPECT_EQ(pending.out.rfind("hash: " + hash + "\nstatus: pending\nfrom: " + alice_, 0), 0u)
      << pending.out;
  WalletRun committed = wallet_.run({"tx", hash, "--json"});
  ASSERT_EQ(committed.exit_code, 0) << committed.err;
  const json document = committed.json();
  EXPECT_EQ(document["status"], "committed");
  EXPECT_EQ(document["height"], 7);
  EXPECT_EQ(document["amount"], 3);
  for (const char* field : {"hash", "index", "from", "to", "fee", "nonce", "error"}) {
    EXPECT_TRUE(document.contains(field)) << field;
  }
}

TEST_F(WalletQueryTest, TxFailedExitsOne) {
  node_.set_outcome(1, "failed", "insufficient balance");
  const std::string hash = send_one();
  WalletRun failed = wallet_.run({"tx", hash});
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_NE(failed.out.find("status: failed\n"), std::string::npos) << failed.out;
  EXPECT_NE(failed.out.find("error: insufficient balance\n"), std::string::npos) << failed.out;
}

TEST_F(WalletQueryTest, TxUnknownAndMalformedHash) {
  const std::string unknown(64, 'b');
  WalletRun text = wallet_.run({"tx", unknown});
  EXPECT_EQ(text.exit_code, 3);
  EXPECT_NE(text.err.find("unknown transaction " + unknown), std::string::npos) << text.err;
  WalletRun json_run = wallet_.run({"tx", unknown, "--json"});
  EXPECT_EQ(json_run.exit_code, 3);
  EXPECT_TRUE(json_run.json().is_null()) << json_run.out;
  WalletRun bad = wallet_.run({"tx", "abc"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("64 hex characters"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace phalanx::wallet::testing
