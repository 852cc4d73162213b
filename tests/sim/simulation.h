// The deterministic simulator for the PBFT core (TigerBeetle VOPR / FoundationDB style).
// One u64 seed fixes everything: cluster shape, protocol parameters, fault mix, every
// network delay, loss and duplication, crash points, client load and forged messages. A run
// has two phases:
//
//   faults     clients submit transfers; messages are delayed, reordered, duplicated and
//              (on faulty links) lost; partitions come and heal; replicas crash at chosen
//              points of their Ready loop and restart from durable state; Byzantine
//              replicas misbehave (byzantine.h); in injector mode a Byzantine primary of
//              view 0 forges PRE-PREPAREs; view changes replace primaries that stall
//   liveness   the network heals for good and every replica is up, Byzantine ones still
//              misbehaving; clients submit a few new txs; every tx must be executed by
//              every honest replica (one that fell behind catches up), in bounded time
//
// The checker (checker.h) runs after every step; the first violation ends the run. The
// same options always produce the same run, the same trace and the same fingerprint.
// Thread-safety: a run uses no shared state; separate runs may go on separate threads.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "consensus/replica.h"
#include "tests/sim/byzantine.h"
#include "tests/sim/checker.h"
#include "tests/sim/fault_plan.h"

namespace phalanx::sim {

struct RunResult {
  SimOptions options;
  FaultPlan plan;
  std::optional<Violation> violation;
  consensus::Counters counters;  // summed over replicas and incarnations
  uint64_t crash_restarts = 0;
  uint64_t forgeries = 0;
  ByzantineCounters byzantine;    // summed over Byzantine replicas
  uint64_t garbage_rejected = 0;  // Byzantine bytes the decoder refused
  uint64_t txs_submitted = 0;
  uint64_t highest_committed = 0;
  uint64_t events = 0;
  uint64_t messages_sent = 0;
  uint64_t messages_lost = 0;
  uint64_t messages_duplicated = 0;
  uint64_t end_time_ms = 0;
  crypto::Hash fingerprint{};  // of the final ledgers and counters

  bool passed() const { return !violation.has_value(); }
};

// Runs one seed. With `trace` non-null, writes one line per event to it.
RunResult run_simulation(const SimOptions& options, std::ostream* trace = nullptr);

// The command line that replays `options` with a trace.
std::string replay_command(const SimOptions& options);
// "seed 42 FAILED agreement: ..." or "seed 42 ok: height 120, 3 crash-restarts, ...".
std::string summarize(const RunResult& result);

}  // namespace phalanx::sim
