// Genesis JSON: a valid file parses and round-trips; every malformed or out-of-range field
// is refused with a message naming it.
#include "ledger/genesis.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "encoding_fixtures.h"

namespace phalanx::ledger {
namespace {

using nlohmann::json;
using testing::seed_of;

PublicKey validator_key(int i) {
  return crypto::SecretKey::from_seed(seed_of(static_cast<uint8_t>(0x40 + i))).public_key();
}

std::string address_text(int i) {
  return crypto::format_address(crypto::address_of(
      crypto::SecretKey::from_seed(seed_of(static_cast<uint8_t>(i))).public_key()));
}

json validator_json(int i) {
  return {{"public_key", hex_encode(validator_key(i))},
          {"p2p", "tcp://127.0.0.1:" + std::to_string(26600 + 2 * i)}};
}

json valid_document() {
  return {
      {"chain_id", "phalanx-local"},
      {"genesis_time_ms", 1764000000000},
      {"pipeline_depth", 4},
      {"checkpoint_interval", 16},
      {"block_txs_max", 4096},
      {"block_bytes_max", 1048576},
      {"validators", {validator_json(0), validator_json(1), validator_json(2), validator_json(3)}},
      {"allocations",
       {{{"address", address_text(1)}, {"balance", 1000}},
        {{"address", address_text(2)}, {"balance", 9007199254739991}}}}};
}

std::string parse_error(const json& document) {
  auto genesis = parse_genesis(document.dump());
  return genesis ? std::string("(accepted)") : genesis.message();
}

void expect_same(const Genesis& a, const Genesis& b) {
  EXPECT_EQ(a.chain_id, b.chain_id);
  EXPECT_EQ(a.genesis_time_ms, b.genesis_time_ms);
  EXPECT_EQ(a.pipeline_depth, b.pipeline_depth);
  EXPECT_EQ(a.checkpoint_interval, b.checkpoint_interval);
  EXPECT_EQ(a.block_limits.txs_max, b.block_limits.txs_max);
  EXPECT_EQ(a.block_limits.bytes_max, b.block_limits.bytes_max);
  ASSERT_EQ(a.validators.size(), b.validators.size());
  for (size_t i = 0; i < a.validators.size(); ++i) {
    EXPECT_EQ(a.validators[i].public_key, b.validators[i].public_key);
    EXPECT_EQ(a.validators[i].p2p, b.validators[i].p2p);
  }
  ASSERT_EQ(a.allocations.size(), b.allocations.size());
  for (size_t i = 0; i < a.allocations.size(); ++i) {
    EXPECT_EQ(a.allocations[i].address, b.allocations[i].address);
    EXPECT_EQ(a.allocations[i].balance, b.allocations[i].balance);
  }
}

TEST(Genesis, ParsesAValidFile) {
  auto genesis = parse_genesis(valid_document().dump(2));
  ASSERT_TRUE(genesis.is_ok()) << genesis.message();
  EXPECT_EQ(genesis->chain_id, "phalanx-local");
  EXPECT_EQ(genesis->genesis_time_ms, 1764000000000u);
  EXPECT_EQ(genesis->n(), 4u);
  EXPECT_EQ(genesis->f(), 1u);
  EXPECT_EQ(genesis->quorum(), 3u);
  EXPECT_EQ(genesis->validators[2].public_key, validator_key(2));
  EXPECT_EQ(genesis->validators[2].p2p, "tcp://127.0.0.1:26604");
  EXPECT_EQ(crypto::format_address(genesis->allocations[0].address), address_text(1));
  EXPECT_EQ(genesis->total_supply(), kAmountMax);
}

TEST(Genesis, RoundTripsThroughJson) {
  auto genesis = parse_genesis(valid_document().dump());
  ASSERT_TRUE(genesis.is_ok()) << genesis.message();
  const std::string text = genesis_to_json(*genesis);
  auto again = parse_genesis(text);
  ASSERT_TRUE(again.is_ok()) << again.message();
  expect_same(*genesis, *again);
  EXPECT_EQ(genesis_to_json(*again), text);
}

TEST(Genesis, OptionalFieldsTakeTheirDefaults) {
  json document = valid_document();
  for (const char* field :
       {"pipeline_depth", "checkpoint_interval", "block_txs_max", "block_bytes_max"}) {
    document.erase(field);
  }
  document["allocations"] = json::array();
  auto genesis = parse_genesis(document.dump());
  ASSERT_TRUE(genesis.is_ok()) << genesis.message();
  EXPECT_EQ(genesis->pipeline_depth, 4u);
  EXPECT_EQ(genesis->checkpoint_interval, 16u);
  EXPECT_EQ(genesis->block_limits.txs_max, 4096u);
  EXPECT_EQ(genesis->block_limits.bytes_max, 1048576u);
  EXPECT_EQ(genesis->total_supply(), 0u);
}

TEST(Genesis, QuorumForOtherValidatorCounts) {
  json document = valid_document();
  document["validators"].push_back(validator_json(4));
  auto five = parse_genesis(document.dump());
  ASSERT_TRUE(five.is_ok()) << five.message();
  EXPECT_EQ(five->f(), 1u);
  EXPECT_EQ(five->quorum(), 4u);
  document["validators"].push_back(validator_json(5));
  document["validators"].push_back(validator_json(6));
  auto seven = parse_genesis(document.dump());
  ASSERT_TRUE(seven.is_ok()) << seven.message();
  EXPECT_EQ(seven->f(), 2u);
  EXPECT_EQ(seven->quorum(), 5u);
}

struct RejectCase {
  std::string name;
  std::function<void(json&)> edit;
  std::string message;
};

TEST(Genesis, RejectsBadFields) {
  const std::vector<RejectCase> cases = {
      {"few validators", [](json& d) { d["validators"].erase(3); },
       "'validators' must list 4 to 1024 validators, got 3"},
      {"duplicate key",
       [](json& d) { d["validators"][3]["public_key"] = hex_encode(validator_key(0)); },
       "validators[3]: duplicate public key"},
      {"duplicate p2p", [](json& d) { d["validators"][3]["p2p"] = "tcp://127.0.0.1:26600"; },
       "validators[3]: duplicate p2p endpoint tcp://127.0.0.1:26600"},
      {"bad key hex", [](json& d) { d["validators"][1]["public_key"] = "abcd"; },
       "validators[1]: 'public_key': expected 64 hex characters, got 4"},
      {"bad p2p", [](json& d) { d["validators"][0]["p2p"] = "udp://x:1"; },
       "validators[0]: 'p2p' must look like tcp://HOST:PORT, got 'udp://x:1'"},
      {"bad port", [](json& d) { d["validators"][0]["p2p"] = "tcp://h:70000"; },
       "validators[0]: 'p2p' port must be 1..65535 in 'tcp://h:70000'"},
      {"validator extra", [](json& d) { d["validators"][0]["stake"] = 1; },
       "validators[0]: unknown field 'stake' in validators[0]"},
      {"validator missing", [](json& d) { d["validators"][0].erase("p2p"); },
       "validators[0]: missing field 'p2p' in validators[0]"},
      {"duplicate address", [](json& d) { d["allocations"][1]["address"] = address_text(1); },
       "allocations[1]: duplicate address"},
      {"bad address", [](json& d) { d["allocations"][0]["address"] = "phx1qqqq"; },
       "allocations[0]: 'address': invalid address: expected 42 characters, got 8"},
      {"zero balance", [](json& d) { d["allocations"][0]["balance"] = 0; },
       "allocations[0]: 'balance' must be an integer from 1 to 9007199254740991, got 0"},
      {"negative balance", [](json& d) { d["allocations"][0]["balance"] = -5; },
       "allocations[0]: 'balance' must be an integer from 1 to 9007199254740991, got -5"},
      {"fractional balance", [](json& d) { d["allocations"][0]["balance"] = 1.5; },
       "allocations[0]: 'balance' must be an integer from 1 to 9007199254740991, got 1.5"},
      {"string balance", [](json& d) { d["allocations"][0]["balance"] = "10"; },
       "allocations[0]: 'balance' must be an integer from 1 to 9007199254740991, got \"10\""},
      {"huge balance", [](json& d) { d["allocations"][0]["balance"] = kAmountMax + 1; },
       "allocations[0]: 'balance' must be an integer from 1 to 9007199254740991, got "
       "9007199254740992"},
      {"supply", [](json& d) { d["allocations"][0]["balance"] = 1001; },
       "total supply exceeds 2^53-1 (9007199254740991) at allocations[1]"},
      {"long value", [](json& d) { d["allocations"][0]["balance"] = std::string(100, 'x'); },
       "allocations[0]: 'balance' must be an integer from 1 to 9007199254740991, got "
       "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..."},
      {"chain id", [](json& d) { d["chain_id"] = "Phalanx"; },
       "'chain_id': chain id has an invalid character at position 0 (allowed: a-z 0-9 . _ -)"},
      {"chain id type", [](json& d) { d["chain_id"] = 5; }, "'chain_id' must be a string"},
      {"time negative", [](json& d) { d["genesis_time_ms"] = -1; },
       "'genesis_time_ms' must be an integer from 0 to 9007199254740991, got -1"},
      {"depth 0", [](json& d) { d["pipeline_depth"] = 0; },
       "'pipeline_depth' must be an integer from 1 to 64, got 0"},
      {"depth 65", [](json& d) { d["pipeline_depth"] = 65; },
       "'pipeline_depth' must be an integer from 1 to 64, got 65"},
      {"interval 0", [](json& d) { d["checkpoint_interval"] = 0; },
       "'checkpoint_interval' must be an integer from 1 to 10000, got 0"},
      {"interval big", [](json& d) { d["checkpoint_interval"] = 10001; },
       "'checkpoint_interval' must be an integer from 1 to 10000, got 10001"},
      {"block bytes", [](json& d) { d["block_bytes_max"] = 100; },
       "'block_bytes_max' must be an integer from 402 to 67108864, got 100"},
      {"block txs", [](json& d) { d["block_txs_max"] = 0; },
       "'block_txs_max' must be an integer from 1 to 65536, got 0"},
      {"unknown", [](json& d) { d["chainid"] = "x"; }, "unknown field 'chainid' in genesis"},
      {"missing", [](json& d) { d.erase("allocations"); },
       "missing field 'allocations' in genesis"},
      {"validators type", [](json& d) { d["validators"] = json::object(); },
       "'validators' must be an array"},
      {"not object", [](json& d) { d = json::array(); }, "genesis must be a JSON object"},
  };
  for (const RejectCase& c : cases) {
    json document = valid_document();
    c.edit(document);
    EXPECT_EQ(parse_error(document), "genesis: " + c.message) << c.name;
  }
}

TEST(Genesis, RejectsBadJson) {
  EXPECT_EQ(parse_genesis(R"({"chain_id": "a", "chain_id": "b"})").message(),
            "genesis: duplicate key 'chain_id'");
  EXPECT_EQ(parse_genesis(R"({"validators": [{"public_key": [1]}]})").message(),
            "genesis: nested too deeply");
  // Keys are checked per object, also inside arrays (and equal keys in sibling objects pass).
  EXPECT_EQ(parse_genesis(R"({"allocations": [{"balance": 1}, {"balance": 2, "balance": 3}]})")
                .message(),
            "genesis: duplicate key 'balance'");
  const std::string truncated = parse_genesis(R"({"chain_id": )").message();
  EXPECT_EQ(truncated.rfind("genesis: not valid JSON: ", 0), 0u) << truncated;
  EXPECT_EQ(parse_genesis(std::string((16 << 20) + 1, ' ')).message(),
            "genesis: larger than 16777216 bytes");
}

TEST(Genesis, LoadsFromFile) {
  const std::string path =
      (std::filesystem::path(::testing::TempDir()) / "phalanx-genesis-test.json").string();
  std::ofstream(path, std::ios::trunc) << valid_document().dump(2);
  auto genesis = load_genesis(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(genesis.is_ok()) << genesis.message();
  EXPECT_EQ(genesis->n(), 4u);
  EXPECT_EQ(load_genesis(path).message(), "cannot open genesis file " + path);
}

}  // namespace
}  // namespace phalanx::ledger
