// The Byzantine primary injector. The simulator holds the primary's signing key and, while
// the honest primary code runs on, sends validly signed forged messages in its name:
//
//   equivocation   a second block for the same (view, height) (timestamp + 1, sometimes a
//                  tx dropped) to a random subset of backups, ahead of the real one, plus
//                  the primary's COMMIT for it (a Byzantine primary votes both ways)
//   wrong parent   a block whose prev_hash is not its parent's hash, to every backup first
//   unknown tx     the real block plus a transaction no client created, to every backup
//   after restart  when a backup restarts, a different block for each height it may have
//                  voted on before the crash (it must refuse: it persisted its votes)
//
// With a correct replica none of these can break safety, nor liveness once the faults end
// (view change and catch-up route around the forgeries). Each mutation in
// consensus::Mutations turns one of them into a visible violation.
// Thread-safety: none; owned by one simulation.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "consensus/signer.h"
#include "consensus/types.h"
#include "tests/sim/clients.h"
#include "tests/sim/fault_plan.h"
#include "tests/sim/prng.h"

namespace phalanx::sim {

struct Forgery {
  std::vector<uint32_t> targets;
  consensus::Message message;
  std::string what;  // for the trace
};

class Injector {
 public:
  // Heights of real PRE-PREPAREs remembered for re-offering after a restart.
  static constexpr size_t kRememberedHeightsMax = 64;

  // `byzantine`: the replica whose key `signer` is (the primary of view 0).
  Injector(const FaultPlan& plan, ledger::BlockLimits limits, uint32_t byzantine,
           std::unique_ptr<consensus::Signer> signer, const Clients* clients, Prng prng);

  // Sees every PRE-PREPARE a primary sends, retransmissions included; forges only in the
  // name of the replica whose key it holds.
  std::vector<Forgery> on_primary_pre_prepare(const consensus::Message& real);
  // A backup restarted; it has executed up to `executed_height`.
  std::vector<Forgery> on_restart(uint32_t replica, uint64_t executed_height);
  void stop() { stopped_ = true; }
  uint64_t forgeries() const { return forgeries_; }

 private:
  bool budget_left() const { return !stopped_ && forgeries_ < plan_.forgeries_max; }
  uint32_t pick_kind();
  std::vector<uint32_t> backups(uint32_t primary) const;
  // Signs a PRE-PREPARE (or COMMIT) for `block` in the primary's name.
  consensus::Message sign(consensus::MessageKind kind, const consensus::Message& real,
                          const ledger::Block& block);
  std::vector<Forgery> equivocate(const consensus::Message& real, ledger::Block block);
  std::vector<Forgery> wrong_parent(const consensus::Message& real, ledger::Block block);
  std::vector<Forgery> unknown_tx(const consensus::Message& real, ledger::Block block);

  const FaultPlan& plan_;
  ledger::BlockLimits limits_;
  uint32_t byzantine_;
  std::unique_ptr<consensus::Signer> signer_;
  const Clients* clients_;
  Prng prng_;
  bool stopped_ = false;
  uint64_t forgeries_ = 0;
  std::set<uint64_t> forged_heights_;
  std::map<uint64_t, consensus::Message> real_;  // height -> latest real PRE-PREPARE
};

}  // namespace phalanx::sim
