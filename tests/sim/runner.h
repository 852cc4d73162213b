// Runs a range of seeds and aggregates what they exercised, for the CLI and the ctest
// suites. The aggregate's "teeth" are the counters a simulation must drive above zero
// before its passing means anything: pipelined heights, checkpoint GCs, crash-restarts,
// duplicate votes ignored, view changes, re-proposed certificates, rejected NEW-VIEWs,
// detected equivocations, Byzantine misbehaviours and garbage refused by the decoder.
// Thread-safety: run_seeds() may use several threads internally; each run is independent.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tests/sim/simulation.h"

namespace phalanx::sim {

struct RangeOptions {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
  SimOptions base;    // every field but the seed
  uint32_t jobs = 1;
  bool stop_at_first_failure = false;
};

struct RangeReport {
  uint64_t seeds_run = 0;
  std::vector<RunResult> failures;  // in seed order
  consensus::Counters counters;     // summed over every seed
  uint64_t crash_restarts = 0;
  uint64_t forgeries = 0;
  uint64_t txs_submitted = 0;
  uint64_t blocks = 0;  // sum of the highest committed height of each seed
  uint64_t ed25519_seeds = 0;
  uint64_t injector_seeds = 0;
  uint64_t byzantine_seeds = 0;
  ByzantineCounters byzantine;
  uint64_t garbage_rejected = 0;
  double cpu_seconds = 0;  // summed over seeds (thread CPU time)
  double slowest_seed_cpu_seconds = 0;
  uint64_t slowest_seed = 0;

  // Names of the teeth counters still at zero; empty when all of them bit.
  std::vector<std::string> missing_teeth() const;
  std::string summary_line() const;
};

// Calls on_result (if set) after each seed, from the thread that ran it, serialised.
RangeReport run_seeds(const RangeOptions& options,
                      const std::function<void(const RunResult&)>& on_result = nullptr);

// How many seeds a suite should run: $PHALANX_SIM_SEEDS when set to a positive number,
// else `normal`, divided by 4 under AddressSanitizer (at least 1).
uint64_t seed_count(uint64_t normal);

}  // namespace phalanx::sim
