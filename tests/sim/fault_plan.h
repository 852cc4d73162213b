// What one seed simulates: cluster shape, protocol parameters and the fault mix, all drawn
// from the seed (TigerBeetle's VOPR randomises its fault mix per seed the same way), plus
// the run options a caller may force (mutations, injector mode).
//
// Fault model: a seed picks a "faulty" set of at most f replicas of any role (the primary
// of view 0 included: the view-change timer replaces a primary that stops making
// progress). Only they crash, get partitioned away, or lose messages; delay, reordering
// and duplication apply to every link. A replica that falls behind catches up from its
// peers (certified blocks).
//
// Byzantine seeds (byzantine.h) add up to f Byzantine replicas, each with its own mix of
// misbehaviours that lasts into the liveness phase. Either the faults stay on the Byzantine
// replicas, or they are wide: any replica may crash, be cut off or lose messages during the
// faulty phase.
// Liveness (every honest replica executes every tx once the network healed, Byzantine ones
// still misbehaving) is checked for every seed. In injector mode (a primary of view 0 whose
// key forges PRE-PREPAREs, injector.h) any replica may crash and loss applies to every link.
// Thread-safety: value types.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "consensus/types.h"
#include "tests/sim/keyring.h"

namespace phalanx::sim {

enum class InjectorPolicy : uint8_t { kPerSeed, kAlways, kNever };
// Byzantine replicas: kPerSeed = 3 seeds in 8 (those that are not injector seeds).
enum class ByzantinePolicy : uint8_t { kPerSeed, kAlways, kNever };

// kConfined: the model above. kWide: loss applies to every link (Byzantine wide seeds also
// let every replica crash and be cut off in the faulty phase).
enum class FaultModel : uint8_t { kConfined, kWide };

struct SimOptions {
  uint64_t seed = 0;
  consensus::Mutations mutations;
  InjectorPolicy injector = InjectorPolicy::kPerSeed;
  ByzantinePolicy byzantine = ByzantinePolicy::kPerSeed;
  // Byzantine behaviours a seed may draw (a ByzantineBehaviour bit set); tests narrow it.
  uint32_t byzantine_behaviours = 0xffffffffu;
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

// What a Byzantine replica does (a bit set per Byzantine replica). It holds its real key, so
// everything it sends is validly signed unless the behaviour says otherwise.
enum ByzantineBehaviour : uint32_t {
  kByzEquivocate = 1u << 0,        // as primary: one block to some backups, another to the rest
  kByzConflictingVotes = 1u << 1,  // PREPARE/COMMIT for a different digest to some replicas
  kByzForgedSignature = 1u << 2,   // a message in another replica's name, signed with its own key
  kByzInvalidSignature = 1u << 3,  // its own message with a corrupted signature
  kByzStaleView = 1u << 4,         // votes re-signed for an older view
  kByzFutureView = 1u << 5,        // votes and VIEW-CHANGEs for a view far ahead
  kByzReplay = 1u << 6,            // re-sends old messages it received, to anyone
  kByzGarbage = 1u << 7,           // random or mangled bytes (the decoder must reject them)
  kByzSilence = 1u << 8,           // sends nothing at all
  kByzCensor = 1u << 9,            // as primary: never proposes some clients' txs
  kByzBadTxs = 1u << 10,           // as primary: blocks with unknown or duplicated txs
  kByzDropCertificate = 1u << 11,  // as new primary: a NEW-VIEW without its last re-proposal
  kByzForgedCatchUp = 1u << 12,    // serves catch-up blocks with forged certificates
};
constexpr uint32_t kByzBehaviourCount = 13;
std::string byzantine_behaviour_names(uint32_t behaviours);

struct FaultPlan {
  uint64_t seed = 0;
  FaultModel fault_model = FaultModel::kConfined;
  // Cluster and protocol.
  uint32_t validators = 4;
  uint32_t pipeline_depth = 4;       // W
  uint32_t checkpoint_interval = 8;  // K
  uint32_t log_window = 32;          // L
  uint64_t retransmit_ms = 200;
  uint64_t view_change_timeout_ms = 1000;  // > retransmit, several network delays
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
  // Byzantine replicas (at most f; disjoint from nothing: they may also crash).
  std::vector<uint32_t> byzantine;
  std::vector<uint32_t> behaviours;    // per Byzantine replica, a ByzantineBehaviour set
  uint32_t misbehave_per_million = 0;  // per message a Byzantine replica sends
  // Clients.
  uint32_t client_keys = 4;
  uint64_t tx_interval_min_ms = 1;
  uint64_t tx_interval_max_ms = 20;
  uint64_t client_retry_ms = 400;
  uint32_t txs_max = 300;     // clients stop creating transfers after this many
  uint32_t liveness_txs = 0;  // new transfers submitted after the network healed
  // Phases.
  uint64_t fault_phase_ms = 3000;  // faults and client load
  // After healing, every honest replica executes every tx within liveness_bound_ms plus
  // liveness_per_block_ms for each block the backlog at that moment needs (a block takes
  // three message delays; one more covers checkpoint pauses when L is close to K), plus f+1
  // view changes at the capped timeout (Simulation::end_faults).
  uint64_t liveness_bound_ms = 5000;
  uint64_t liveness_per_block_ms() const { return 4 * delay_max_ms; }
  // Byzantine primary injector.
  bool injector = false;
  uint32_t forge_kinds = 0;
  uint32_t forge_per_million = 0;  // per PRE-PREPARE the primary sends
  uint32_t forgeries_max = 0;

  uint32_t f() const { return (validators - 1) / 3; }
  uint32_t quorum() const { return (validators + f() + 2) / 2; }
  bool is_faulty(uint32_t replica) const;
  bool is_byzantine(uint32_t replica) const;
  // The behaviours of `replica` (0 when it is honest).
  uint32_t behaviours_of(uint32_t replica) const;
  std::string describe() const;
};

FaultPlan make_fault_plan(const SimOptions& options);

}  // namespace phalanx::sim
