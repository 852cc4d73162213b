// The fault schedule and the client load of a run: crashes at chosen Ready-loop points,
// restarts, partitions, the final heal, and clients submitting to the primary.
#include <algorithm>

#include "tests/sim/simulation_internal.h"

namespace phalanx::sim {
namespace {

constexpr uint64_t kCrashFuseMaxMs = 300;  // an armed crash fires by then at the latest

uint64_t around(Prng& prng, uint64_t mean_ms) {
  return prng.range(mean_ms / 2 + 1, mean_ms + mean_ms / 2 + 1);
}

}  // namespace

// Clients hand each transfer to every running replica (as gossip would): the primary
// proposes it, the backups hold it, and their view-change timers run until it commits.
// After the network healed they submit plan_.liveness_txs more, which must commit too.
void Simulation::client_submit() {
  if (clients_.full() || clients_.transactions().size() >= plan_.txs_max) {
    if (faults_on()) return;
  }
  if (!faults_on()) {
    if (liveness_submitted_ >= plan_.liveness_txs || clients_.full()) {
      return;
    }
    ++liveness_submitted_;
  }
  const ledger::SignedTransaction& tx = clients_.create(clients_prng_);
  if (trace_.on()) note(-1, "client submits tx " + short_hex(tx.hash) + " to every replica");
  submit_to_all({&tx});
  schedule(clients_prng_.range(plan_.tx_interval_min_ms, plan_.tx_interval_max_ms),
           EventKind::kClientSubmit);
}

void Simulation::submit_to_all(const std::vector<const ledger::SignedTransaction*>& txs) {
  for (auto& node : nodes_) {
    if (node->up()) node->submit(txs);
  }
}

// Txs not yet executed where liveness wants them go to every running replica again: they
// may have been lost with a crashed replica's mempool or with a proposal a view change
// dropped. A replica ignores those it holds or executed.
void Simulation::client_retry() {
  std::vector<const ledger::SignedTransaction*> pending;
  for (const auto& tx : clients_.transactions()) {
    if (!checker_.tx_done(tx.hash)) pending.push_back(&tx);
  }
  if (!pending.empty()) {
    if (trace_.on()) note(-1, "clients resubmit " + std::to_string(pending.size()) + " txs");
    submit_to_all(pending);
  }
  schedule(plan_.client_retry_ms, EventKind::kClientRetry);
}

void Simulation::crash_someone() {
  if (!faults_on()) return;
  std::vector<uint32_t> candidates;
  for (uint32_t replica : plan_.faulty) {
    if (nodes_[replica]->up() && !nodes_[replica]->crash_armed()) candidates.push_back(replica);
  }
  if (!candidates.empty()) {
    const uint32_t victim = candidates[faults_prng_.below(candidates.size())];
    const auto point = static_cast<CrashPoint>(faults_prng_.below(kCrashPoints));
    nodes_[victim]->arm_crash(point, static_cast<uint32_t>(faults_prng_.below(3)));
    if (trace_.on()) {
      note(static_cast<int>(victim), "crash armed: " + std::string(crash_point_name(point)));
    }
    schedule(faults_prng_.range(1, kCrashFuseMaxMs), EventKind::kCrashDeadline, victim);
  }
  schedule(around(faults_prng_, plan_.crash_interval_ms), EventKind::kCrash);
}

void Simulation::on_crashed(uint32_t node, CrashPoint) {
  ++crash_restarts_;
  const uint64_t downtime = faults_on() ? faults_prng_.range(1, plan_.downtime_max_ms) : 0;
  schedule(downtime, EventKind::kRestart, node);
}

void Simulation::restart(uint32_t node) {
  SimNode& sim_node = *nodes_[node];
  if (sim_node.up()) return;
  sim_node.start();
  if (!sim_node.up()) return;  // crashed again at once
  schedule(faults_prng_.range(0, plan_.tick_ms), EventKind::kTick, node);
  if (injector_) inject(injector_->on_restart(node, sim_node.ledger().height()));
}

void Simulation::partition() {
  if (!faults_on()) return;
  uint64_t duration = 0;
  if (!network_.partitioned()) {
    std::vector<uint32_t> pool = plan_.faulty;
    faults_prng_.shuffle(&pool);
    const size_t side_max = std::min<size_t>(pool.size(), plan_.validators - 1);
    pool.resize(faults_prng_.range(1, side_max));
    std::string text = "partition:";
    if (faults_prng_.chance(500'000)) {
      for (uint32_t inside : pool) {  // isolate the side from everyone else
        for (uint32_t other = 0; other < plan_.validators; ++other) {
          if (std::find(pool.begin(), pool.end(), other) == pool.end()) network_.cut(inside, other);
        }
        text += " isolate r" + std::to_string(inside);
      }
    } else {
      const uint32_t inside = pool.front();
      uint32_t other = static_cast<uint32_t>(faults_prng_.below(plan_.validators - 1));
      if (other >= inside) ++other;
      network_.cut(inside, other);
      text += " cut r" + std::to_string(inside) + "-r" + std::to_string(other);
    }
    duration = faults_prng_.range(1, plan_.partition_duration_max_ms);
    if (trace_.on()) note(-1, text + " for " + std::to_string(duration) + "ms");
    schedule(duration, EventKind::kHeal);
  }
  schedule(duration + around(faults_prng_, plan_.partition_interval_ms), EventKind::kPartition);
}

void Simulation::end_faults() {
  liveness_phase_ = true;
  const uint64_t backlog =
      clients_.transactions().size() + plan_.liveness_txs - checker_.txs_at_quorum();
  const uint64_t blocks = (backlog + plan_.batch_txs_max - 1) / plan_.batch_txs_max;
  // Byzantine or lagging primaries may cost f+1 view changes at the capped timeout.
  const uint64_t view_changes_ms = (plan_.f() + 1) * 8 * plan_.view_change_timeout_ms;
  liveness_bound_ms_ =
      plan_.liveness_bound_ms + blocks * plan_.liveness_per_block_ms() + view_changes_ms;
  end_ms_ = time_ms() + liveness_bound_ms_;
  note(-1, "faults end: network healed, every replica up; " + std::to_string(backlog) + " txs (" +
               std::to_string(plan_.liveness_txs) +
               " of them new) must be executed by every honest replica within " +
               std::to_string(liveness_bound_ms_) + "ms");
  schedule(0, EventKind::kClientSubmit);
  network_.heal_for_good();
  if (injector_) injector_->stop();
  for (auto& node : nodes_) {
    if (node->up()) node->disarm_crash();
  }
  for (uint32_t i = 0; i < nodes_.size(); ++i) restart(i);
}

}  // namespace phalanx::sim
