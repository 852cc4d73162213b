// phalanx::testutil: splitmix64 and a tiny generator on it, for tests and benchmarks that
// need reproducible random data. Our own arithmetic, so a seed gives the same values with
// every standard library (no std::*_distribution). Not for the simulator's fault schedule:
// that uses tests/sim/prng.h (xoshiro256**, seeded through this splitmix64).
// Thread-safety: value types; one generator per thread.
#pragma once

#include <cstdint>

#include "crypto/hash.h"

namespace phalanx::testutil {

// splitmix64 (Steele, Lea & Flood): advances *state and returns the next output.
inline uint64_t splitmix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() { return splitmix64(&state_); }
  uint64_t below(uint64_t bound) { return next() % bound; }  // modulo bias irrelevant here
  crypto::Hash hash() {
    crypto::Hash h;
    for (auto& b : h) b = static_cast<uint8_t>(next());
    return h;
  }

 private:
  uint64_t state_;
};

}  // namespace phalanx::testutil
