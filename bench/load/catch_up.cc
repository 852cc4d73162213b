#include "bench/load/catch_up.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <thread>

#include "bench/load/rpc.h"
#include "bench/load/run_clock.h"
#include "bench/load/testnet.h"

namespace phalanx::bench {
namespace {

constexpr uint64_t kBlocksPerBatch = 16;

std::optional<uint64_t> block_height(RpcConnection& connection) {
  auto reply = connection.call("getBlockHeight");
  if (!reply || reply->error_code != 0 || !reply->result.is_number_unsigned()) return std::nullopt;
  return reply->result.get<uint64_t>();
}

// The highest tip among the other nodes, and one of them that answered.
Result<std::pair<uint64_t, uint32_t>> others_tip(const Testnet& testnet, uint32_t node) {
  std::optional<std::pair<uint64_t, uint32_t>> best;
  for (const TestnetNode& other : testnet.nodes) {
    if (other.id == node) continue;
    RpcConnection connection(other.rpc, 2000);
    const auto height = block_height(connection);
    if (height && (!best || *height > best->first)) best = std::make_pair(*height, other.id);
  }
  if (!best) return Status::error("no other node of the testnet answers getBlockHeight");
  return *best;
}

Result<uint64_t> count_txs(const std::string& url, uint64_t from, uint64_t to) {
  RpcConnection connection(url, 10000);
  uint64_t txs = 0;
  for (uint64_t first = from; first <= to; first += kBlocksPerBatch) {
    std::vector<Call> calls;
    for (uint64_t h = first; h <= std::min(to, first + kBlocksPerBatch - 1); ++h) {
      calls.push_back({"getBlock", Json::array({h})});
    }
    auto replies = connection.batch(calls);
    if (!replies) return replies.status();
    for (const Reply& reply : *replies) {
      if (reply.error_code != 0 || !reply.result.is_object() ||
          !reply.result.contains("transactions") || !reply.result["transactions"].is_array()) {
        return Status::error(url + ": getBlock failed: " + reply.error_message);
      }
      txs += reply.result["transactions"].size();
    }
  }
  return txs;
}

double rounded1(double value) { return std::round(value * 10) / 10; }

}  // namespace

Result<nlohmann::json> measure_catch_up(const CatchUpOptions& options) {
  auto testnet = load_testnet(options.testnet_dir);
  if (!testnet) return testnet.status();
  if (options.node >= testnet->n) return Status::error("--node is not a node of the testnet");
  const RunClock clock;
  auto tip = others_tip(*testnet, options.node);
  if (!tip) return tip.status();
  const uint64_t target = tip->first;
  RpcConnection connection(testnet->nodes[options.node].rpc, 2000);
  const int64_t deadline_ns = static_cast<int64_t>(options.timeout_s * kNsPerS);
  std::optional<std::pair<int64_t, uint64_t>> first_answer;
  int64_t done_ns = -1;
  while (clock.now_ns() < deadline_ns) {
    const auto height = block_height(connection);
    const int64_t now_ns = clock.now_ns();
    if (height && !first_answer) first_answer = std::make_pair(now_ns, *height);
    if (height && *height >= target) {
      done_ns = now_ns;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(options.poll_ms));
  }
  if (!first_answer)
    return Status::error("node " + std::to_string(options.node) + " never answered");
  if (done_ns < 0) {
    return Status::error("node " + std::to_string(options.node) + " did not reach height " +
                         std::to_string(target) + " within " + std::to_string(options.timeout_s) +
                         " s");
  }
  const uint64_t from = first_answer->second;
  auto txs = count_txs(testnet->nodes[tip->second].rpc, from + 1, target);
  if (!txs) return txs.status();
  const double seconds =
      std::max(1e-9, static_cast<double>(done_ns - first_answer->first) / kNsPerS);
  return nlohmann::json{{"node", options.node},
                        {"from_height", from},
                        {"to_height", target},
                        {"blocks", target - from},
                        {"txs", *txs},
                        {"startup_s", rounded1(static_cast<double>(first_answer->first) / kNsPerS)},
                        {"seconds", std::round(seconds * 1000) / 1000},
                        {"blocks_per_s", rounded1(static_cast<double>(target - from) / seconds)},
                        {"tx_per_s", rounded1(static_cast<double>(*txs) / seconds)}};
}

}  // namespace phalanx::bench
