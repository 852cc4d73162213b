// What a run asks of the testnet's nodes besides the load: each running node's status, and
// the senders' accounts.
// Thread-safety: pure functions over RPC; call from one thread.
#pragma once

#include <cstdint>
#include <vector>

#include "bench/load/testnet.h"
#include "crypto/address.h"
#include "crypto/status.h"

namespace phalanx::bench {

// JSON-RPC calls per batch: the nodes' default rpc.batch_max.
constexpr size_t kStatusBatch = 100;

struct NodeView {
  bool live = false;
  uint64_t view = 0;
  uint32_t primary = 0;
  uint64_t min_fee = 0;
  uint64_t height = 0;
};

// getStatus of every node whose process runs; a running node that does not answer is an error.
Result<std::vector<NodeView>> node_views(const Testnet& testnet);

// The live node with the highest index other than `avoid`; `avoid` when there is none.
uint32_t first_live(const std::vector<NodeView>& views, uint32_t avoid);

// The senders' next nonces (the largest pendingNonce any live node reports), after checking
// each is funded; `seed` names the accounts in the error.
Result<std::vector<uint64_t>> sender_nonces(const Testnet& testnet,
                                            const std::vector<NodeView>& views,
                                            const std::vector<crypto::Address>& senders,
                                            uint64_t seed);

}  // namespace phalanx::bench
