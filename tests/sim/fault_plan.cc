// Draws a FaultPlan from a seed (see fault_plan.h for the fault model).
#include "tests/sim/fault_plan.h"

#include <algorithm>
#include <sstream>

#include "tests/sim/prng.h"

namespace phalanx::sim {
namespace {

constexpr uint64_t kStreamPlan = 1;

void draw_cluster(Prng& prng, FaultPlan* plan) {
  plan->validators = plan->scheme == SignatureScheme::kEd25519 ? 4 : (prng.chance(333'333) ? 7 : 4);
  plan->pipeline_depth = static_cast<uint32_t>(prng.range(1, 6));
  plan->checkpoint_interval = static_cast<uint32_t>(prng.range(1, 16));
  // L >= K so the next checkpoint is always reachable, and L >= W.
  const uint32_t floor = std::max(plan->pipeline_depth, plan->checkpoint_interval);
  plan->log_window = floor + static_cast<uint32_t>(prng.range(0, 32));
  plan->retransmit_ms = prng.range(40, 400);
  plan->tick_ms = prng.range(5, 40);  // the view-change timeout is drawn with the network
  plan->batch_txs_max = prng.chance(200'000) ? 1 : static_cast<uint32_t>(prng.range(2, 64));
  plan->clock_offsets_ms.clear();
  for (uint32_t i = 0; i < plan->validators; ++i) {
    plan->clock_offsets_ms.push_back(prng.range(0, 300));  // well inside the 1 s skew
  }
  plan->validation_delay_max_ms = prng.range(0, 20);
}

void draw_network(Prng& prng, FaultPlan* plan) {
  plan->delay_min_ms = prng.range(1, 10);
  plan->delay_max_ms = plan->delay_min_ms + prng.range(0, 60);
  plan->loss_per_million = prng.chance(300'000) ? 0 : static_cast<uint32_t>(prng.range(0, 250'000));
  plan->duplicate_per_million = static_cast<uint32_t>(prng.range(0, 100'000));
  plan->loss_on_every_link = plan->injector || plan->fault_model == FaultModel::kWide;
  // Longer than a retransmission plus a round trip or two, so an honest primary on a slow
  // link keeps its view most of the time; short enough for several view changes per run.
  plan->view_change_timeout_ms = plan->retransmit_ms + 4 * plan->delay_max_ms + prng.range(50, 400);
}

// Up to f Byzantine replicas of any role, each with its own random mix of behaviours.
// Silence is drawn rarely: a silent replica exercises nothing else.
void draw_byzantine(Prng& prng, uint32_t allowed, FaultPlan* plan) {
  std::vector<uint32_t> candidates;
  for (uint32_t i = 0; i < plan->validators; ++i) candidates.push_back(i);
  prng.shuffle(&candidates);
  const uint32_t count = static_cast<uint32_t>(prng.range(1, plan->f()));
  plan->byzantine.assign(candidates.begin(), candidates.begin() + count);
  std::sort(plan->byzantine.begin(), plan->byzantine.end());
  for (size_t i = 0; i < plan->byzantine.size(); ++i) {
    uint32_t behaviours = 0;
    for (uint32_t bit = 0; bit < kByzBehaviourCount; ++bit) {
      const uint32_t behaviour = 1u << bit;
      const uint32_t odds = behaviour == kByzSilence ? 60'000 : 400'000;
      if ((allowed & behaviour) != 0 && prng.chance(odds)) behaviours |= behaviour;
    }
    if (behaviours == 0 && allowed != 0) {
      for (;;) {
        const uint32_t behaviour = 1u << prng.below(kByzBehaviourCount);
        if ((allowed & behaviour) != 0) {
          behaviours = behaviour;
          break;
        }
      }
    }
    plan->behaviours.push_back(behaviours);
  }
  plan->misbehave_per_million = static_cast<uint32_t>(prng.range(50'000, 500'000));
  // Wide: anyone may fail in the faulty phase; safety only (see fault_plan.h).
  if (prng.chance(500'000)) {
    plan->fault_model = FaultModel::kWide;
    plan->loss_on_every_link = true;
  }
}

void draw_faults(Prng& prng, FaultPlan* plan) {
  std::vector<uint32_t> candidates;
  for (uint32_t i = 0; i < plan->validators; ++i) candidates.push_back(i);
  prng.shuffle(&candidates);
  const uint32_t faulty_count = static_cast<uint32_t>(prng.range(0, plan->f()));
  plan->faulty.assign(candidates.begin(), candidates.begin() + faulty_count);
  std::sort(plan->faulty.begin(), plan->faulty.end());
  if (!plan->byzantine.empty()) plan->faulty = plan->byzantine;  // faults stay on them
  if (plan->injector || (plan->fault_model == FaultModel::kWide && !plan->byzantine.empty())) {
    // Safety only: anyone may crash, the primary included.
    plan->faulty.clear();
    for (uint32_t i = 0; i < plan->validators; ++i) plan->faulty.push_back(i);
  }
  if (!plan->faulty.empty() && prng.chance(800'000)) {
    plan->crash_interval_ms = prng.range(150, 1500);
    plan->downtime_max_ms = prng.range(10, 1200);
  }
  if (!plan->faulty.empty() && prng.chance(500'000)) {
    plan->partition_interval_ms = prng.range(200, 2000);
    plan->partition_duration_max_ms = prng.range(20, 1500);
  }
}

void draw_clients(Prng& prng, FaultPlan* plan) {
  plan->client_keys = static_cast<uint32_t>(prng.range(1, 6));
  plan->tx_interval_min_ms = prng.range(1, 8);
  if (plan->batch_txs_max == 1) {
    // One tx per block: keep the load near what W blocks per three delays can carry, or
    // the backlog (and the run) grows without teaching anything new.
    const uint64_t block_ms = 3 * plan->delay_max_ms / plan->pipeline_depth + 1;
    plan->tx_interval_min_ms = std::max(plan->tx_interval_min_ms, block_ms);
  }
  plan->tx_interval_max_ms = plan->tx_interval_min_ms + prng.range(0, 40);
  plan->client_retry_ms = prng.range(200, 800);
  // Ed25519 verification costs ~50 us against ~1 us for the MAC: those seeds stay small.
  const bool small = plan->scheme == SignatureScheme::kEd25519;
  plan->txs_max = static_cast<uint32_t>(small ? prng.range(20, 64) : prng.range(50, 600));
  plan->fault_phase_ms = small ? prng.range(800, 1500) : prng.range(1500, 4000);
  plan->liveness_txs = static_cast<uint32_t>(prng.range(1, 8));
}

void draw_injector(Prng& prng, FaultPlan* plan) {
  if (!plan->injector) return;
  plan->forge_kinds = static_cast<uint32_t>(prng.range(1, 15));
  plan->forge_per_million = static_cast<uint32_t>(prng.range(20'000, 300'000));
  plan->forgeries_max = static_cast<uint32_t>(prng.range(1, 4));
}

}  // namespace

bool FaultPlan::is_faulty(uint32_t replica) const {
  return std::find(faulty.begin(), faulty.end(), replica) != faulty.end();
}

bool FaultPlan::is_byzantine(uint32_t replica) const {
  return std::find(byzantine.begin(), byzantine.end(), replica) != byzantine.end();
}

uint32_t FaultPlan::behaviours_of(uint32_t replica) const {
  for (size_t i = 0; i < byzantine.size(); ++i) {
    if (byzantine[i] == replica) return behaviours[i];
  }
  return 0;
}

std::string byzantine_behaviour_names(uint32_t behaviours) {
  static constexpr const char* kNames[kByzBehaviourCount] = {
      "equivocate",       "conflicting-votes",
      "forged-signature", "invalid-signature",
      "stale-view",       "future-view",
      "replay",           "garbage",
      "silence",          "censor",
      "bad-txs",          "drop-certificate",
      "forged-catch-up"};
  std::string out;
  for (uint32_t bit = 0; bit < kByzBehaviourCount; ++bit) {
    if ((behaviours & (1u << bit)) == 0) continue;
    out += (out.empty() ? "" : "+") + std::string(kNames[bit]);
  }
  return out.empty() ? "none" : out;
}

FaultPlan make_fault_plan(const SimOptions& options) {
  FaultPlan plan;
  plan.seed = options.seed;
  plan.fault_model = options.fault_model;
  Prng root(options.seed);
  Prng prng = root.fork(kStreamPlan);
  // Every 16th seed uses real Ed25519 signatures (>= 5% of seeds).
  plan.scheme = options.seed % 16 == 0 ? SignatureScheme::kEd25519 : SignatureScheme::kMac;
  switch (options.injector) {
    case InjectorPolicy::kAlways:
      plan.injector = true;
      break;
    case InjectorPolicy::kNever:
      plan.injector = false;
      break;
    case InjectorPolicy::kPerSeed:
      plan.injector = options.seed % 8 == 5;
      break;
  }
  bool byzantine = false;
  switch (options.byzantine) {
    case ByzantinePolicy::kAlways:
      byzantine = true;
      break;
    case ByzantinePolicy::kNever:
      break;
    case ByzantinePolicy::kPerSeed:
      byzantine = options.seed % 8 == 1 || options.seed % 8 == 3 || options.seed % 8 == 7;
      break;
  }
  // The injector forges in the name of view 0's primary; a Byzantine seed brings its own.
  if (byzantine && options.injector == InjectorPolicy::kPerSeed) plan.injector = false;
  draw_cluster(prng, &plan);
  draw_network(prng, &plan);
  if (byzantine) draw_byzantine(prng, options.byzantine_behaviours, &plan);
  draw_faults(prng, &plan);
  draw_clients(prng, &plan);
  draw_injector(prng, &plan);
  return plan;
}

std::string FaultPlan::describe() const {
  std::ostringstream out;
  out << (fault_model == FaultModel::kWide ? "wide faults: " : "") << "n=" << validators
      << " W=" << pipeline_depth << " K=" << checkpoint_interval << " L=" << log_window
      << " sig=" << (scheme == SignatureScheme::kMac ? "mac" : "ed25519")
      << " batch<=" << batch_txs_max << " retransmit=" << retransmit_ms << "ms"
      << " delay=" << delay_min_ms << ".." << delay_max_ms << "ms"
      << " loss=" << loss_per_million / 10'000.0 << "%"
      << (loss_on_every_link ? "(all links)" : "(faulty links)")
      << " dup=" << duplicate_per_million / 10'000.0 << "% faulty={";
  for (size_t i = 0; i < faulty.size(); ++i) out << (i ? "," : "") << faulty[i];
  out << "} crash_every~" << crash_interval_ms << "ms down<=" << downtime_max_ms << "ms"
      << " partition_every~" << partition_interval_ms << "ms for<=" << partition_duration_max_ms
      << "ms txs<=" << txs_max << " every " << tx_interval_min_ms << ".." << tx_interval_max_ms
      << "ms"
      << " faults_for=" << fault_phase_ms << "ms view_timeout=" << view_change_timeout_ms << "ms";
  for (size_t i = 0; i < byzantine.size(); ++i) {
    out << " byzantine r" << byzantine[i] << "(" << byzantine_behaviour_names(behaviours[i])
        << " p=" << misbehave_per_million / 10'000.0 << "%)";
  }
  if (injector) {
    out << " injector(kinds=" << forge_kinds << " p=" << forge_per_million / 10'000.0
        << "% max=" << forgeries_max << ")";
  }
  return out.str();
}

}  // namespace phalanx::sim
