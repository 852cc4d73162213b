#include "bench/load/testnet.h"

#include <nlohmann/json.hpp>

#include "crypto/file_io.h"
#include "wallet/rpc_client.h"

namespace phalanx::bench {
namespace {

constexpr size_t kTestnetJsonBytesMax = 1 << 20;
constexpr uint32_t kNodesMax = 1024;

Result<TestnetNode> parse_node(const nlohmann::json& node) {
  if (!node.is_object() || !node.value("id", nlohmann::json()).is_number_unsigned() ||
      !node.value("rpc", nlohmann::json()).is_string() ||
      !node.value("pid", nlohmann::json()).is_number_integer()) {
    return Status::error("a node entry lacks an integer id and pid or a string rpc");
  }
  TestnetNode parsed;
  parsed.id = node["id"].get<uint32_t>();
  parsed.rpc = node["rpc"].get<std::string>();
  parsed.pid = static_cast<pid_t>(node["pid"].get<int64_t>());
  if (auto url = wallet::parse_rpc_url(parsed.rpc); !url || url->scheme != "http") {
    return Status::error("node " + std::to_string(parsed.id) + ": rpc '" + parsed.rpc +
                         "' is not an http:// URL");
  }
  return parsed;
}

}  // namespace

Result<Testnet> load_testnet(const std::string& dir) {
  const std::string path = dir + "/testnet.json";
  auto text = read_small_file(path, kTestnetJsonBytesMax, "testnet file");
  if (!text) return Status::error(text.message() + " (start one with testnet/up.sh --dir DIR)");
  const nlohmann::json doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() ||
      !doc.value("chain_id", nlohmann::json()).is_string() ||
      !doc.value("nodes", nlohmann::json()).is_array()) {
    return Status::error(path + ": not a testnet.json (no chain_id or nodes)");
  }
  Testnet testnet;
  testnet.chain_id = doc["chain_id"].get<std::string>();
  const nlohmann::json& nodes = doc["nodes"];
  if (nodes.size() < 4 || nodes.size() > kNodesMax) {
    return Status::error(path + ": expected 4.." + std::to_string(kNodesMax) + " nodes");
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    auto node = parse_node(nodes[i]);
    if (!node) return Status::error(path + ": nodes[" + std::to_string(i) + "]: " + node.message());
    if (node->id != i)
      return Status::error(path + ": nodes[" + std::to_string(i) + "] has id " +
                           std::to_string(node->id));
    testnet.nodes.push_back(std::move(*node));
  }
  testnet.n = static_cast<uint32_t>(testnet.nodes.size());
  return testnet;
}

}  // namespace phalanx::bench
