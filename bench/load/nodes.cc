#include "bench/load/nodes.h"

#include <algorithm>

#include "bench/load/procstat.h"
#include "bench/load/rpc.h"

namespace phalanx::bench {

Result<std::vector<NodeView>> node_views(const Testnet& testnet) {
  std::vector<NodeView> views(testnet.n);
  bool any = false;
  for (const TestnetNode& node : testnet.nodes) {
    if (!is_phalanxd(node.pid)) continue;
    RpcConnection connection(node.rpc, 3000);
    auto status = connection.call("getStatus");
    if (!status || status->error_code != 0 || !status->result.is_object()) {
      return Status::error(
          "node " + std::to_string(node.id) + " (pid " + std::to_string(node.pid) +
          ") runs but getStatus failed: " + (status ? status->error_message : status.message()));
    }
    const Json& s = status->result;
    if (s.value("chainId", std::string()) != testnet.chain_id) {
      return Status::error("node " + std::to_string(node.id) + " is on chain " +
                           s.value("chainId", std::string()) + ", not " + testnet.chain_id);
    }
    views[node.id] = {true, s.value("view", uint64_t{0}), s.value("primary", uint32_t{0}),
                      s.value("minFee", uint64_t{0}), s.value("height", uint64_t{0})};
    any = true;
  }
  if (!any) return Status::error("no node of the testnet is running (testnet/up.sh --dir DIR)");
  return views;
}

uint32_t first_live(const std::vector<NodeView>& views, uint32_t avoid) {
  for (uint32_t i = 0; i < views.size(); ++i) {
    const uint32_t node = static_cast<uint32_t>(views.size()) - 1 - i;
    if (views[node].live && node != avoid) return node;
  }
  return avoid;
}

Result<std::vector<uint64_t>> sender_nonces(const Testnet& testnet,
                                            const std::vector<NodeView>& views,
                                            const std::vector<crypto::Address>& senders,
                                            uint64_t seed) {
  std::vector<uint64_t> nonces(senders.size(), 0);
  for (uint32_t node = 0; node < testnet.n; ++node) {
    if (!views[node].live) continue;
    RpcConnection connection(testnet.nodes[node].rpc, 5000);
    for (size_t first = 0; first < senders.size(); first += kStatusBatch) {
      std::vector<Call> calls;
      for (size_t k = first; k < std::min(first + kStatusBatch, senders.size()); ++k) {
        calls.push_back({"getAccount", Json::array({crypto::format_address(senders[k])})});
      }
      auto replies = connection.batch(calls);
      if (!replies) return replies.status();
      for (size_t i = 0; i < replies->size(); ++i) {
        const Json& account = (*replies)[i].result;
        if ((*replies)[i].error_code != 0 || !account.is_object()) {
          return Status::error("getAccount failed: " + (*replies)[i].error_message);
        }
        if (account.value("balance", uint64_t{0}) == 0) {
          return Status::error("sender " + std::to_string(first + i) + " (" +
                               crypto::format_address(senders[first + i]) +
                               ") has no funds: start the testnet with testnet/up.sh --alloc-file "
                               "FILE, FILE from `phalanx-bench accounts --seed " +
                               std::to_string(seed) + "`");
        }
        nonces[first + i] = std::max(nonces[first + i], account.value("pendingNonce", uint64_t{0}));
      }
    }
  }
  return nonces;
}

}  // namespace phalanx::bench
