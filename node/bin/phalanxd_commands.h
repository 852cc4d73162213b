// The phalanxd subcommands. Each returns the process exit code: 0 success, 1 a runtime
// failure (with a message on stderr), 2 a usage error.
// Thread-safety: called once, from main().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "node/node_hooks.h"

namespace phalanx::node {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct InitOptions {
  std::string home;
  std::string host = "127.0.0.1";
  uint16_t p2p_port = 26600;
  uint16_t rpc_port = 26601;
};

struct GenesisOptions {
  std::string out;
  std::string chain_id;
  std::vector<std::string> validators;   // PUBKEYHEX@tcp://HOST:PORT
  std::vector<std::string> allocations;  // ADDRESS=AMOUNT
  std::string alloc_file;                // one ADDRESS=AMOUNT per line; "" for none
  uint32_t pipeline_depth = 4;
  uint32_t checkpoint_interval = 16;
  uint64_t genesis_time_ms = 0;  // 0: now
  bool force = false;
};

int run_init(const InitOptions& options);
int run_genesis(const GenesisOptions& options);
// `hooks`: a test build's misbehaviour (phalanxd-byzantine); phalanxd passes none.
int run_node(const std::string& home, std::unique_ptr<NodeHooks> hooks = nullptr);

}  // namespace phalanx::node
