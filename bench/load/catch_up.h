// `phalanx-bench catch-up`: how fast a node that missed blocks rejoins. Called right after
// the node was restarted (testnet/node.sh start I): the target is the highest tip of the
// other nodes (the load has stopped), and the node's getBlockHeight is polled from its first
// answer until it reaches the target. The transactions in the heights it fetched are counted
// with getBlock on another node.
// Thread-safety: call from one thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "crypto/status.h"

namespace phalanx::bench {

struct CatchUpOptions {
  std::string testnet_dir;
  uint32_t node = 0;
  double timeout_s = 300;
  int poll_ms = 5;
};

Result<nlohmann::json> measure_catch_up(const CatchUpOptions& options);

}  // namespace phalanx::bench
