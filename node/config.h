// node::NodeConfig: HOME/config.json, the operator's settings for one phalanxd. Every key is
// optional and takes the default below; an unknown section or key, a wrong JSON type or a
// value out of range is refused with one error naming the key ("mempool.min_fee: ...").
// docs/node.md lists every key.
//
//   {"p2p":       {"host": "127.0.0.1", "port": 26600},
//    "rpc":       {"host": "127.0.0.1", "port": 26601, "threads": 16,
//                  "body_bytes_max": 1048576, "batch_max": 100,
//                  "calls_per_second": 20000, "calls_burst": 40000,
//                  "sends_per_second": 12000, "sends_burst": 24000,
//                  "submit_timeout_ms": 5000},
//    "mempool":   {"min_fee": 1, "txs_max": 50000, "bytes_max": 16777216,
//                  "sender_txs_max": 256, "nonce_gap_max": 256,
//                  "gapped_ttl_ms": 600000},
//    "consensus": {"tick_ms": 10, "retransmit_ms": 500, "timestamp_skew_ms": 1000,
//                  "propose_delay_ms": 5, "propose_batch_txs": 512,
//                  "view_change_timeout_ms": 1500},
//    "node":      {"verify_threads": 0, "event_queue_events_max": 16384,
//                  "event_queue_bytes_max": 268435456},
//    "log":       {"level": "info"}}
//
// Thread-safety: value types and pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/status.h"

namespace phalanx::node {

inline constexpr size_t node_config_bytes_max = size_t{1} << 20;

struct NodeConfig {
  // Where this node's transport listens; peers dial the endpoint genesis lists for it.
  std::string p2p_host = "127.0.0.1";
  uint16_t p2p_port = 26600;
  // The address outgoing peer connections leave from; empty: the OS picks. The fault
  // suite gives every validator its own 127.0.0.x so that iptables can cut single links.
  std::string p2p_source_host;

  std::string rpc_host = "127.0.0.1";
  uint16_t rpc_port = 26601;
  // sendTransaction holds its worker until the event loop answers, and a keep-alive
  // connection holds one for its life: enough workers for several concurrent clients.
  uint32_t rpc_threads = 16;
  uint64_t rpc_body_bytes_max = uint64_t{1} << 20;
  uint32_t rpc_batch_max = 100;
  uint32_t rpc_calls_per_second = 20'000;  // per client IP; 0 disables
  uint32_t rpc_calls_burst = 40'000;
  uint32_t rpc_sends_per_second = 12'000;  // sendTransaction per client IP; 0 disables
  uint32_t rpc_sends_burst = 24'000;
  uint32_t rpc_submit_timeout_ms = 5'000;  // how long sendTransaction waits for the loop

  uint64_t min_fee = 1;
  uint64_t mempool_txs_max = 50'000;
  uint64_t mempool_bytes_max = uint64_t{16} << 20;
  uint64_t mempool_sender_txs_max = 256;
  uint64_t mempool_nonce_gap_max = 256;
  // A tx waiting behind a nonce gap (its sender's earlier nonce missing) this long leaves the
  // mempool: otherwise only a full pool would ever evict it.
  uint64_t mempool_gapped_ttl_ms = 600'000;

  uint32_t tick_ms = 10;              // how often the replica's clock advances
  uint32_t retransmit_ms = 500;       // re-send own in-flight consensus messages
  uint32_t timestamp_skew_ms = 1000;  // a proposal may be this far ahead of our clock
  // Adaptive batching: with one of our blocks in flight, wait up to propose_delay_ms for
  // propose_batch_txs transactions before proposing; with none in flight propose at once.
  uint32_t propose_delay_ms = 5;
  uint32_t propose_batch_txs = 512;
  // PBFT's view-change timer: how long a backup waits for a pending request (or an accepted
  // proposal) to commit before it votes the primary out; doubled per failed view up to 8x.
  // Well above a healthy commit latency (a few ms on a LAN) so load never trips it, short
  // enough that a dead primary costs seconds. 0 turns the timer off: the node then only
  // joins view changes that f+1 others started.
  uint32_t view_change_timeout_ms = 1500;

  uint32_t verify_threads = 0;  // 0: one per core
  uint64_t event_queue_events_max = 16'384;
  uint64_t event_queue_bytes_max = uint64_t{256} << 20;

  std::string log_level = "info";  // trace, debug, info, warn, error, critical, off
};

Result<NodeConfig> parse_node_config(std::string_view json_text);
// Reads and parses `path`; the error names the file.
Result<NodeConfig> load_node_config(const std::string& path);
// Every key, pretty-printed; parse_node_config(node_config_to_json(c)) == c.
std::string node_config_to_json(const NodeConfig& config);

}  // namespace phalanx::node
