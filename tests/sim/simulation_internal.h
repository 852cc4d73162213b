// The Simulation class behind run_simulation(), shared by simulation.cc (event loop,
// network), simulation_faults.cc (clients, crashes, partitions) and simulation_report.cc.
// Not a public interface: use simulation.h.
// Thread-safety: none; one Simulation per run.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "tests/sim/byzantine.h"
#include "tests/sim/clients.h"
#include "tests/sim/events.h"
#include "tests/sim/injector.h"
#include "tests/sim/keyring.h"
#include "tests/sim/network.h"
#include "tests/sim/node.h"
#include "tests/sim/simulation.h"
#include "tests/sim/trace.h"

namespace phalanx::sim {

class Simulation final : public NodeHost {
 public:
  Simulation(const SimOptions& options, std::ostream* trace_out);
  RunResult run();

  // NodeHost.
  uint64_t time_ms() const override { return queue_.now_ms(); }
  void send(uint32_t from, const consensus::Outbound& outbound) override;
  void request_validation(uint32_t node, uint64_t incarnation,
                          const consensus::ValidationRequest& request) override;
  void on_crashed(uint32_t node, CrashPoint point) override;

 private:
  void handle(const Event& event);
  void deliver(const Event& event);
  void deliver_wire(uint32_t from, uint32_t to, std::shared_ptr<const Bytes> wire,
                    std::string* trace_fates);
  void send_byzantine(Byzantine& byzantine, const consensus::Outbound& outbound);
  void submit_to_all(const std::vector<const ledger::SignedTransaction*>& txs);
  bool liveness_reached() const;
  void inject(const std::vector<Forgery>& forgeries);
  void client_submit();
  void client_retry();
  void crash_someone();
  void partition();
  void restart(uint32_t node);
  void end_faults();
  bool faults_on() const { return !liveness_phase_; }
  void note(int replica, const std::string& text) { trace_.line(time_ms(), replica, text); }
  void schedule(uint64_t delay_ms, EventKind kind, uint32_t node = 0) {
    Event event;
    event.kind = kind;
    event.node = node;
    event.incarnation = node < nodes_.size() ? nodes_[node]->incarnation() : 0;
    queue_.schedule(delay_ms, std::move(event));
  }
  void trace_final_state();
  RunResult result();

  SimOptions options_;
  FaultPlan plan_;
  Trace trace_;
  Prng root_;
  Prng faults_prng_;
  Prng clients_prng_;
  Keyring keyring_;
  consensus::Config config_;
  Clients clients_;
  Checker checker_;
  Network network_;
  EventQueue queue_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::unique_ptr<Injector> injector_;
  std::vector<std::unique_ptr<Byzantine>> byzantine_;  // per replica; null when honest
  bool liveness_phase_ = false;
  uint64_t end_ms_ = UINT64_MAX;  // set when the faults end
  uint64_t liveness_bound_ms_ = 0;
  uint64_t crash_restarts_ = 0;
  uint64_t events_ = 0;
  uint64_t messages_sent_ = 0;
  uint64_t garbage_rejected_ = 0;    // Byzantine bytes consensus::decode_message refused
  uint32_t liveness_submitted_ = 0;  // new txs submitted after the network healed
};

}  // namespace phalanx::sim
