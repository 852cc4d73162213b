// Genesis: the chain's fixed starting point, loaded from JSON:
//
//   {"chain_id": "phalanx-local",
//    "genesis_time_ms": 1764000000000,
//    "pipeline_depth": 4,            W: heights in flight; header h carries root after h-W
//    "checkpoint_interval": 16,      K
//    "block_txs_max": 4096, "block_bytes_max": 1048576,
//    "validators": [{"public_key": "hex32", "p2p": "tcp://127.0.0.1:26600"}, ...],
//    "allocations": [{"address": "phx1...", "balance": 1000}, ...]}
//
// Rejected: fewer than 4 validators, duplicate keys or addresses, total supply above
// 2^53-1, zero balances, unknown fields' wrong types, W or K out of range.
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/block.h"

namespace phalanx::ledger {

struct Validator {
  PublicKey public_key{};
  std::string p2p;  // tcp://host:port
};

struct Allocation {
  Address address;
  uint64_t balance = 0;
};

struct Genesis {
  std::string chain_id;
  uint64_t genesis_time_ms = 0;
  uint32_t pipeline_depth = 4;
  uint32_t checkpoint_interval = 16;
  BlockLimits block_limits;
  std::vector<Validator> validators;
  std::vector<Allocation> allocations;

  uint32_t n() const { return static_cast<uint32_t>(validators.size()); }
  uint32_t f() const { return (n() - 1) / 3; }
  // ceil((n + f + 1) / 2): any two quorums share an honest validator.
  uint32_t quorum() const { return (n() + f() + 2) / 2; }
  uint64_t total_supply() const;
};

Result<Genesis> parse_genesis(std::string_view json_text);
Result<Genesis> load_genesis(const std::string& path);
std::string genesis_to_json(const Genesis& genesis);

}  // namespace phalanx::ledger
