// What one seed simulates: cluster shape, protocol parameters and the fault mix, all drawn
// from the seed (TigerBeetle's VOPR randomises its fault mix per seed the same way), plus
// the run options a caller may force (mutations, injector mode).
//
// Part 1 fault model (no view change, no catch-up yet): a seed picks a "faulty" set of at
// most f backups. Only they crash, get partitioned away, or lose messages; the primary and
// the other backups form a quorum that never loses a message. Delay, reordering and
// duplication apply to every link. That keeps liveness checkable without catch-up: a
// faulty replica may fall behind for good, the rest always make progress. In injector mode
// (a Byzantine primary forging PRE-PREPAREs) only safety is checked, so there any replica,
// the primary included, may crash and loss applies to every link.
// Thread-safety: value types.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "consensus/types.h"
#include "tests/sim/keyring.h"

namespace phalanx::sim {

enum class InjectorPolicy : uint8_t { kPerSeed, kAlways, kNever };

// kConfined: the part-1 model above. kWide: up to f replicas of any role (the primary too)
// are faulty and loss applies to every link — the model view change and catch-up (part 2)
// must survive; in part 1 it fails liveness by design (a primary that falls behind its
// backups' stable checkpoint cannot catch up).
enum class FaultModel : uint8_t { kConfined, kWide };

struct SimOptions {
  uint64_t seed = 0;
  consensus::Mutations mutations;
  InjectorPolicy injector = InjectorPolicy::kPerSeed;
  FaultModel fault_model = FaultModel::kConfined;
  // Certificates with fewer than a quorum of signatures catch quorum_2f at once; the
  // mutation test turns this off to show the protocol-level checks catch it too.
  bool check_certificates = true;
  bool trace = false;
};

// Kinds of forged PRE-PREPARE the injector may send (a bit set).
enum ForgeKind : uint32_t {
  kForgeEquivocation = 1,  // a second, different block for the same (view, height)
  kForgeWrongParent = 2,   // a block whose prev_hash is not the parent's hash
  kForgeUnknownTx = 4,     // a block carrying a transaction no client created
  kForgeAfterRestart = 8,  // re-offer a different block for a height a restarted replica voted on
};

struct FaultPlan {
  uint64_t seed = 0;
  FaultModel fault_model = FaultModel::kConfined;
  // Cluster and protocol.
  uint32_t validators = 4;
  uint32_t pipeline_depth = 4;       // W
  uint32_t checkpoint_interval = 8;  // K
  uint32_t log_window = 32;          // L
  uint64_t retransmit_ms = 200;
  uint64_t tick_ms = 10;
  SignatureScheme scheme = SignatureScheme::kMac;
  uint32_t batch_txs_max = 16;
  std::vector<uint64_t> clock_offsets_ms;  // per replica, added to the simulated clock
  uint64_t validation_delay_max_ms = 5;
  // Network.
  uint64_t delay_min_ms = 1;
  uint64_t delay_max_ms = 20;
  uint32_t loss_per_million = 0;
  uint32_t duplicate_per_million = 0;
  bool loss_on_every_link = false;  // else only on links touching a faulty replica
  // Faults.
  std::vector<uint32_t> faulty;    // replicas that may crash / be cut off / lose messages
  uint64_t crash_interval_ms = 0;  // mean gap between crashes; 0 = no crashes
  uint64_t downtime_max_ms = 0;
  uint64_t partition_interval_ms = 0;  // mean gap between partitions; 0 = none
  uint64_t partition_duration_max_ms = 0;
  // Clients.
  uint32_t client_keys = 4;
  uint64_t tx_interval_min_ms = 1;
  uint64_t tx_interval_max_ms = 20;
  uint64_t client_retry_ms = 400;
  uint32_t txs_max = 300;  // clients stop creating transfers after this many
  // Phases.
  uint64_t fault_phase_ms = 3000;  // faults and client load
  // After healing, every tx commits at a quorum within liveness_bound_ms plus
  // liveness_per_block_ms for each block the backlog at that moment needs (a block takes
  // three message delays; one more covers checkpoint pauses when L is close to K).
  uint64_t liveness_bound_ms = 5000;
  uint64_t liveness_per_block_ms() const { return 4 * delay_max_ms; }
  uint64_t settle_ms = 1000;  // injector mode: safety-only tail after the faults
  // Byzantine primary injector.
  bool injector = false;
  uint32_t forge_kinds = 0;
  uint32_t forge_per_million = 0;  // per PRE-PREPARE the primary sends
  uint32_t forgeries_max = 0;

  uint32_t f() const { return (validators - 1) / 3; }
  uint32_t quorum() const { return (validators + f() + 2) / 2; }
  bool is_faulty(uint32_t replica) const;
  std::string describe() const;
};

FaultPlan make_fault_plan(const SimOptions& options);

}  // namespace phalanx::sim
