// Helpers shared by the catch-up tests (replica_catch_up_test.cc, catch_up_window_test.cc):
// committing blocks on a Cluster, status periods, and a replica cut off while the others
// move on. Thread-safety: none (one test thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "tests/consensus/cluster.h"

namespace phalanx::consensus::testing {

inline constexpr uint64_t kStatusMs = 1000;

inline size_t count_kind(const TestNode& node, MessageKind kind,
                         std::optional<uint32_t> to = {}) {
  size_t count = 0;
  for (const Outbound& out : node.sent) {
    if (out.message.kind == kind && (!to || out.to == to)) ++count;
  }
  return count;
}

// Commits `heights` blocks of `txs_per_block` transfers, one at a time, at the primary of
// replica 0's view.
inline void commit_blocks(Cluster& cluster, int heights, size_t txs_per_block = 1) {
  for (int i = 0; i < heights; ++i) {
    cluster.propose(cluster.make_txs(txs_per_block));
    cluster.pump();
  }
}

// One status period: every replica sends STATUS and reacts to the others'.
inline void status_round(Cluster& cluster) {
  cluster.advance_time(kStatusMs);
  cluster.pump();
}

// Replica 3 is cut off while the others commit `heights` blocks, then comes back.
inline Cluster& lag_replica_3(Cluster& cluster, int heights) {
  cluster.node(3).up = false;
  commit_blocks(cluster, heights);
  cluster.node(3).up = true;
  return cluster;
}

}  // namespace phalanx::consensus::testing
