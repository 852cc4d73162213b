// Pure summaries of a run for its report, and the report's table for people.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "bench/load/watcher.h"

namespace phalanx::bench {

// Moments of a run, in RunClock nanoseconds.
struct RunMarks {
  int64_t send_start_ns = 0;
  int64_t window_start_ns = 0;  // warm-up over
  int64_t window_end_ns = 0;    // sending stopped
  int64_t drain_end_ns = 0;
  int64_t kill_ns = -1;  // the primary was killed (scenario 4)
  int64_t killed_node = -1;
  uint64_t view_at_kill = 0;
  uint64_t height_at_kill = 0;
};

// Percentiles by nearest rank, in milliseconds; all zero when empty.
nlohmann::json latency_percentiles(std::vector<double> ms);

// Blocks observed in (from_ns, to_ns]: how many, and how many transactions they hold.
struct WindowCounts {
  uint64_t blocks = 0;
  uint64_t txs = 0;
  uint64_t first_height = 0;  // 0 when no block
  uint64_t last_height = 0;
};
WindowCounts window_counts(const std::vector<BlockSeen>& blocks, int64_t from_ns, int64_t to_ns);

// This run's transfers committed in each second since the start, up to end_ns.
std::vector<uint64_t> timeline(const std::vector<BlockSeen>& blocks, int64_t end_ns);

// After a kill: when the first block of a later view was seen, and the longest gap between
// consecutive blocks from the kill on.
nlohmann::json kill_summary(const std::vector<BlockSeen>& blocks, const RunMarks& marks);

void print_table(const nlohmann::json& report, std::ostream& out);

}  // namespace phalanx::bench
