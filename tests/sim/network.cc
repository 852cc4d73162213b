// Network fates (see network.h).
#include "tests/sim/network.h"

namespace phalanx::sim {

Network::Network(const FaultPlan& plan, Prng prng) : plan_(plan), prng_(prng) {}

uint64_t Network::delay() { return prng_.range(plan_.delay_min_ms, plan_.delay_max_ms); }

bool Network::lossy(uint32_t from, uint32_t to) const {
  if (healed_for_good_) return false;
  return plan_.loss_on_every_link || plan_.is_faulty(from) || plan_.is_faulty(to);
}

std::vector<uint64_t> Network::fates(uint32_t from, uint32_t to) {
  std::vector<uint64_t> delays;
  if (is_cut(from, to)) {
    ++lost_;
    return delays;
  }
  // Draw every random number unconditionally so the stream does not depend on the link.
  const bool lost = prng_.chance(plan_.loss_per_million);
  const bool duplicated = prng_.chance(plan_.duplicate_per_million);
  const uint64_t first = delay();
  const uint64_t second = delay();
  if (lost && lossy(from, to)) {
    ++lost_;
    return delays;
  }
  delays.push_back(first);
  if (duplicated) {
    ++duplicated_;
    delays.push_back(second);
  }
  return delays;
}

void Network::cut(uint32_t a, uint32_t b) {
  cut_.insert({a, b});
  cut_.insert({b, a});
}

bool Network::is_cut(uint32_t from, uint32_t to) const {
  return !healed_for_good_ && cut_.count({from, to}) > 0;
}

}  // namespace phalanx::sim
