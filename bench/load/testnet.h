// What the benchmark needs of a running testnet, read from the DIR/testnet.json that
// testnet/up.sh writes (docs/testnet.md): the chain id, each node's RPC URL and pid.
// Thread-safety: value types.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/status.h"

namespace phalanx::bench {

struct TestnetNode {
  uint32_t id = 0;
  std::string rpc;  // http://127.0.0.1:PORT
  pid_t pid = 0;    // 0: stopped when testnet.json was read
};

struct Testnet {
  std::string chain_id;
  uint32_t n = 0;
  std::vector<TestnetNode> nodes;
};

Result<Testnet> load_testnet(const std::string& dir);

}  // namespace phalanx::bench
