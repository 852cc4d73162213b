// The method table against a fake backend: result shapes of every method (CONTRACT's
// JSON-RPC table), named and positional params, and every row of the application error table
// that a method raises (-32011 from the server's limiter is in rpc_server_test.cc).
#include "node/rpc_methods.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/node/rpc_fake_backend.h"

namespace phalanx::node {
namespace {

using jsonrpc::Json;
using testing::FakeBackend;
using testing::filled_hash;
using testing::test_address;
using testing::test_transfer;

class MethodsTest : public ::testing::Test {
 protected:
  // The response to one call with `params` (omitted when `params` is a discarded value).
  Json call(const std::string& method, const Json& params = Json(Json::value_t::discarded)) {
    Json request = {{"jsonrpc", "2.0"}, {"method", method}, {"id", 1}};
    if (!params.is_discarded()) request["params"] = params;
    std::optional<std::string> body = jsonrpc::handle_body(
        request.dump(), {},
        [this](const jsonrpc::Call& c) { return methods_.call(c.method, c.params); });
    EXPECT_TRUE(body.has_value());
    return body ? Json::parse(*body) : Json();
  }
  Json result(const std::string& method, const Json& params = Json(Json::value_t::discarded)) {
    const Json response = call(method, params);
    EXPECT_TRUE(response.contains("result")) << method << " " << response;
    return response.value("result", Json());
  }
  // The error of the call, after checking its code and that the message is not empty.
  Json error(int32_t code, const std::string& method, const Json& params) {
    const Json response = call(method, params);
    EXPECT_FALSE(response.contains("result")) << response;
    const Json error = response.value("error", Json::object());
    EXPECT_EQ(error.value("code", 0), code) << method << " " << params << " -> " << response;
    EXPECT_FALSE(error.value("message", std::string()).empty()) << response;
    return error;
  }
  static std::set<std::string> keys(const Json& object) {
    std::set<std::string> out;
    for (const auto& item : object.items()) out.insert(item.key());
    return out;
  }

  FakeBackend backend_;
  RpcMethods methods_{backend_};
  const std::string alice_ = crypto::format_address(test_address(1));
};

TEST_F(MethodsTest, TableListsTheContractMethods) {
  const std::set<std::string_view> names(RpcMethods::names().begin(), RpcMethods::names().end());
  EXPECT_EQ(names, (std::set<std::string_view>{"getHealth", "getStatus", "getBlockHeight",
                                               "getBalance", "getAccount", "sendTransaction",
                                               "getTransaction", "getBlock", "getValidators"}));
}

TEST_F(MethodsTest, GetHealthTakesAbsentEmptyArrayOrEmptyObject) {
  EXPECT_EQ(result("getHealth"), "ok");
  EXPECT_EQ(result("getHealth", Json::array()), "ok");
  EXPECT_EQ(result("getHealth", Json::object()), "ok");
}

TEST_F(MethodsTest, GetStatusHasEveryContractField) {
  NodeStatus status;
  status.chain_id = "phalanx-test";
  status.node_id = 2;
  status.height = 41;
  status.last_block_hash = filled_hash(0xab);
  status.view = 3;
  status.primary = 3;
  status.n = 4;
  status.f = 1;
  status.quorum = 3;
  status.peers = 3;
  status.mempool_size = 17;
  status.min_fee = 1;
  status.syncing = true;
  backend_.set_status(status);
  EXPECT_EQ(result("getStatus"), (Json{{"chainId", "phalanx-test"},
                                       {"nodeId", 2},
                                       {"height", 41},
                                       {"lastBlockHash", hex_encode(filled_hash(0xab))},
                                       {"view", 3},
                                       {"primary", 3},
                                       {"n", 4},
                                       {"f", 1},
                                       {"quorum", 3},
                                       {"peers", 3},
                                       {"mempoolSize", 17},
                                       {"minFee", 1},
                                       {"syncing", true}}));
  EXPECT_EQ(result("getBlockHeight"), 41);
}

TEST_F(MethodsTest, BalanceAndAccountByPositionAndByName) {
  backend_.set_account(test_address(1), AccountInfo{1000, 4, 6});
  EXPECT_EQ(result("getBalance", {alice_}), 1000);
  EXPECT_EQ(result("getBalance", {{"address", alice_}}), 1000);
  const Json account = {{"address", alice_}, {"balance", 1000}, {"nonce", 4}, {"pendingNonce", 6}};
  EXPECT_EQ(result("getAccount", {alice_}), account);
  EXPECT_EQ(result("getAccount", {{"address", alice_}}), account);
  // An unknown, well-formed address is an empty account.
  const std::string bob = crypto::format_address(test_address(9));
  EXPECT_EQ(result("getBalance", {bob}), 0);
  EXPECT_EQ(result("getAccount", {bob})["pendingNonce"], 0);
}

TEST_F(MethodsTest, SendTransactionReturnsTheHashAndHandsTheTxOver) {
  const ledger::SignedTransaction tx = test_transfer(0);
  EXPECT_EQ(result("sendTransaction", {hex_encode(tx.bytes)}), crypto::to_hex(tx.hash));
  EXPECT_EQ(result("sendTransaction", {{"tx", hex_encode(tx.bytes)}}), crypto::to_hex(tx.hash));
  ASSERT_EQ(backend_.submitted().size(), 2u);
  EXPECT_EQ(backend_.submitted()[0], tx.hash);
}

TEST_F(MethodsTest, GetTransactionShapesPendingCommittedFailedAndUnknown) {
  TxInfo committed{
      filled_hash(1), TxStatus::kCommitted, 12, 3, test_address(1), test_address(2), 50, 2, 7, ""};
  TxInfo pending{
      filled_hash(2), TxStatus::kPending, {}, {}, test_address(1), test_address(2), 1, 1, 8, ""};
  TxInfo failed{
      filled_hash(3),        TxStatus::kFailed, 13, 0, test_address(1), test_address(2), 9, 1, 9,
      "insufficient balance"};
  for (const TxInfo& tx : {committed, pending, failed}) backend_.add_transaction(tx);

  const Json got = result("getTransaction", {crypto::to_hex(filled_hash(1))});
  EXPECT_EQ(got, (Json{{"hash", crypto::to_hex(filled_hash(1))},
                       {"status", "committed"},
                       {"height", 12},
                       {"index", 3},
                       {"from", alice_},
                       {"to", crypto::format_address(test_address(2))},
                       {"amount", 50},
                       {"fee", 2},
                       {"nonce", 7},
                       {"error", nullptr}}));
  const Json waiting = result("getTransaction", {{"hash", crypto::to_hex(filled_hash(2))}});
  EXPECT_EQ(waiting["status"], "pending");
  EXPECT_TRUE(waiting["height"].is_null());
  EXPECT_TRUE(waiting["index"].is_null());
  const Json refused = result("getTransaction", {crypto::to_hex(filled_hash(3))});
  EXPECT_EQ(refused["status"], "failed");
  EXPECT_EQ(refused["error"], "insufficient balance");
  EXPECT_TRUE(result("getTransaction", {crypto::to_hex(filled_hash(4))}).is_null());
}

TEST_F(MethodsTest, GetBlockShapesHeaderTxsAndCertificate) {
  BlockInfo genesis;
  genesis.header.chain_id = "phalanx-test";
  genesis.header.timestamp_ms = 1'764'000'000'000;
  genesis.hash = filled_hash(0x10);
  backend_.add_block(genesis);
  BlockInfo block;
  block.header.chain_id = "phalanx-test";
  block.header.height = 1;
  block.header.prev_hash = filled_hash(0x10);
  block.header.timestamp_ms = 1'764'000'000'500;
  block.header.proposer = 5;
  block.header.view = 2;
  block.header.tx_root = filled_hash(0x20);
  block.header.state_root = filled_hash(0x30);
  block.header.tx_count = 1;
  block.hash = filled_hash(0x11);
  block.transactions = {filled_hash(0x40)};
  block.commit.view = 6;
  block.commit.signatures = {{0, {}}, {3, {}}};
  block.commit.signatures[1].signature.fill(0xee);
  backend_.add_block(block);

  const Json zero = result("getBlock", {0});
  EXPECT_EQ(zero["commit"], Json::array());
  EXPECT_EQ(zero["timestamp"], 1'764'000'000'000);
  const Json one = result("getBlock", {{"height", 1}});
  EXPECT_EQ(keys(one),
            (std::set<std::string>{"height", "hash", "prevHash", "timestamp", "view", "proposer",
                                   "txRoot", "stateRoot", "transactions", "commitView", "commit"}));
  EXPECT_EQ(one["hash"], crypto::to_hex(filled_hash(0x11)));
  EXPECT_EQ(one["prevHash"], crypto::to_hex(filled_hash(0x10)));
  EXPECT_EQ(one["view"], 2);
  EXPECT_EQ(one["proposer"], 5);
  EXPECT_EQ(one["txRoot"], crypto::to_hex(filled_hash(0x20)));
  EXPECT_EQ(one["stateRoot"], crypto::to_hex(filled_hash(0x30)));
  EXPECT_EQ(one["transactions"], Json::array({crypto::to_hex(filled_hash(0x40))}));
  EXPECT_EQ(one["commitView"], 6);
  EXPECT_EQ(one["commit"][1], (Json{{"validator", 3}, {"signature", std::string(128, 'e')}}));
  EXPECT_TRUE(result("getBlock", {2}).is_null());  // beyond the tip
}

TEST_F(MethodsTest, GetValidatorsListsIndexAddressAndKey) {
  const crypto::PublicKey key = testing::test_key(3).public_key();
  backend_.set_validators({ValidatorInfo{0, crypto::address_of(key), key}});
  EXPECT_EQ(result("getValidators"),
            Json::array({{{"index", 0},
                          {"address", crypto::format_address(crypto::address_of(key))},
                          {"publicKey", hex_encode(key)}}}));
}

TEST_F(MethodsTest, UnknownMethodIsMinus32601) {
  EXPECT_EQ(error(-32601, "getNothing", Json::array())["data"]["method"], "getNothing");
  error(-32601, "gethealth", Json::array());  // names are case-sensitive
}

TEST_F(MethodsTest, WrongParamCountsAndNamesAreMinus32602) {
  error(-32602, "getHealth", {1});
  error(-32602, "getBalance", Json::array());
  error(-32602, "getBalance", {alice_, alice_});
  error(-32602, "getBalance", Json::object());                       // missing name
  error(-32602, "getBalance", {{"addr", alice_}});                   // unknown name
  error(-32602, "getBalance", {{"address", alice_}, {"extra", 1}});  // extra name
  EXPECT_EQ(error(-32602, "getBlock", {{"hieght", 1}})["data"]["param"], "hieght");
}

TEST_F(MethodsTest, WrongTypesAndRangesAreMinus32602) {
  const uint64_t too_big = uint64_t{1} << 53;
  for (const Json& height : {Json("1"), Json(1.5), Json(1.0), Json(-1), Json(too_big), Json(1e300),
                             Json(true), Json(nullptr), Json::array(), Json::object()}) {
    EXPECT_EQ(error(-32602, "getBlock", Json::array({height}))["data"]["param"], "height");
  }
  error(-32602, "getBalance", {42});
  error(-32602, "getTransaction", {42});
  error(-32602, "getTransaction", {std::string(63, 'a')});
  error(-32602, "getTransaction", {std::string(62, 'a') + "zz"});
  error(-32602, "sendTransaction", Json::parse(R"({"tx": 1})"));
  error(-32602, "sendTransaction", {"abc"});  // odd length
  error(-32602, "sendTransaction", {"0x" + std::string(10, '0')});
}

TEST_F(MethodsTest, LargestJsonIntegerHeightIsAccepted) {
  EXPECT_TRUE(result("getBlock", {(uint64_t{1} << 53) - 1}).is_null());
}

TEST_F(MethodsTest, BadAddressesAreMinus32010) {
  std::string typo = alice_;
  typo[10] = typo[10] == 'q' ? 'p' : 'q';  // one mistyped character: checksum mismatch
  for (const std::string& address :
       {typo, std::string("phx1"), std::string("btc1qqqq"), alice_.substr(0, alice_.size() - 1),
        std::string(alice_).replace(5, 1, "B")}) {
    const Json got = error(-32010, "getBalance", {address});
    EXPECT_EQ(got["data"]["param"], "address");
    error(-32010, "getAccount", {{"address", address}});
  }
}

TEST_F(MethodsTest, UndecodableTransactionsAreMinus32001) {
  error(-32001, "sendTransaction", {"00"});
  std::string bytes = hex_encode(test_transfer(0).bytes);
  error(-32001, "sendTransaction", {bytes.substr(0, bytes.size() - 2)});  // truncated
  error(-32001, "sendTransaction", {bytes + "00"});                       // trailing byte
  error(-32001, "sendTransaction", {std::string(2 * ledger::kTransactionBytesMax + 2, 'a')});
  EXPECT_TRUE(backend_.submitted().empty());
}

TEST_F(MethodsTest, EveryAdmissionErrorKeepsItsCodeAndMessage) {
  const ledger::SignedTransaction tx = test_transfer(3);
  for (const AdmissionError code :
       {AdmissionError::kBadSignature, AdmissionError::kWrongChainId, AdmissionError::kNonceUsed,
        AdmissionError::kNonceTooFarAhead, AdmissionError::kInsufficientBalance,
        AdmissionError::kFeeBelowMinimum, AdmissionError::kDuplicate, AdmissionError::kMempoolFull,
        AdmissionError::kRateLimited, AdmissionError::kInternal}) {
    const std::string message = std::string(admission_error_text(code)) + ": detail";
    backend_.set_submission(Submission{code, message});
    const Json got = error(rpc_code(code), "sendTransaction", {hex_encode(tx.bytes)});
    EXPECT_EQ(got["message"], message);
    EXPECT_EQ(got["data"]["hash"], crypto::to_hex(tx.hash));
  }
  backend_.set_submission(Submission{AdmissionError::kMempoolFull, ""});
  EXPECT_EQ(error(-32009, "sendTransaction", {hex_encode(tx.bytes)})["message"], "mempool full");
}

TEST_F(MethodsTest, BackendFailureIsMinus32603WithTheReason) {
  backend_.set_failing(true);
  for (const auto& [method, params] :
       std::vector<std::pair<std::string, Json>>{{"getStatus", Json::array()},
                                                 {"getBlockHeight", Json::array()},
                                                 {"getBalance", {alice_}},
                                                 {"getAccount", {alice_}},
                                                 {"getTransaction", {std::string(64, '0')}},
                                                 {"getBlock", {0}},
                                                 {"getValidators", Json::array()}}) {
    EXPECT_EQ(error(-32603, method, params)["data"], "the ledger store is unavailable");
  }
}

}  // namespace
}  // namespace phalanx::node
