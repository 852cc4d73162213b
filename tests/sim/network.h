// The simulated network: decides, for every message put on a link, whether it is lost,
// delivered once or duplicated, and after what delay (independent random delays reorder
// messages). Links can be cut (a partition is a set of cut links) and healed.
// Delivery itself is an event in the simulation's queue; this class only draws fates.
// Thread-safety: none; owned by one simulation.
#pragma once

#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "tests/sim/fault_plan.h"
#include "tests/sim/prng.h"

namespace phalanx::sim {

class Network {
 public:
  Network(const FaultPlan& plan, Prng prng);

  // Delays (ms from now) of each copy that will arrive: empty when lost or cut, two
  // entries when duplicated.
  std::vector<uint64_t> fates(uint32_t from, uint32_t to);

  // Cuts both directions of a link; heal() restores every link.
  void cut(uint32_t a, uint32_t b);
  bool is_cut(uint32_t from, uint32_t to) const;
  bool partitioned() const { return !cut_.empty(); }
  void heal() { cut_.clear(); }
  // The final phase: no loss and no cuts from now on (delay and duplication remain).
  void heal_for_good() {
    heal();
    healed_for_good_ = true;
  }

  uint64_t messages_lost() const { return lost_; }
  uint64_t messages_duplicated() const { return duplicated_; }

 private:
  uint64_t delay();
  bool lossy(uint32_t from, uint32_t to) const;

  const FaultPlan& plan_;
  Prng prng_;
  std::set<std::pair<uint32_t, uint32_t>> cut_;
  bool healed_for_good_ = false;
  uint64_t lost_ = 0;
  uint64_t duplicated_ = 0;
};

}  // namespace phalanx::sim
