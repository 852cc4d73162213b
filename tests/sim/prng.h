// The simulator's only source of randomness: xoshiro256** (Blackman & Vigna, 2018) seeded
// through splitmix64, with our own range reduction. std::uniform_int_distribution and
// std::shuffle are implementation-defined, so a seed would replay differently under another
// standard library; everything here is plain 64-bit integer arithmetic (FoundationDB keeps
// its own generator for the same reason). Probabilities are integers per million, never
// floating point.
// Thread-safety: a Prng is a value type used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "crypto/assert.h"
#include "tests/testutil/rng.h"

namespace phalanx::sim {

// splitmix64 expands one u64 seed into xoshiro's 256-bit state and derives independent
// streams (tests/testutil/rng.h).
using testutil::splitmix64;

constexpr uint32_t kPerMillion = 1'000'000;

class Prng {
 public:
  explicit Prng(uint64_t seed) {
    uint64_t sm = seed;
    for (uint64_t& word : state_) word = splitmix64(&sm);
  }

  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, bound). Lemire's multiply-shift reduction with rejection of the biased
  // low band ("Fast random integer generation in an interval", 2019): exact, and the same
  // sequence on every compiler.
  // REQUIRES: bound > 0.
  uint64_t below(uint64_t bound) {
    PHALANX_ASSERT(bound > 0);
    unsigned __int128 product = static_cast<unsigned __int128>(next()) * bound;
    uint64_t low = static_cast<uint64_t>(product);
    if (low < bound) {
      const uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
      while (low < threshold) {
        product = static_cast<unsigned __int128>(next()) * bound;
        low = static_cast<uint64_t>(product);
      }
    }
    return static_cast<uint64_t>(product >> 64);
  }

  // Uniform in [low, high], both inclusive. REQUIRES: low <= high.
  uint64_t range(uint64_t low, uint64_t high) {
    PHALANX_ASSERT(low <= high);
    if (high - low == UINT64_MAX) return next();
    return low + below(high - low + 1);
  }

  // True with probability per_million / 1,000,000.
  bool chance(uint32_t per_million) {
    PHALANX_ASSERT(per_million <= kPerMillion);
    return below(kPerMillion) < per_million;
  }

  // Fisher-Yates with our own reduction.
  template <class T>
  void shuffle(std::vector<T>* items) {
    for (std::size_t i = items->size(); i > 1; --i) {
      std::swap((*items)[i - 1], (*items)[below(i)]);
    }
  }

  // An independent generator for one purpose (network, faults, clients, ...), so adding
  // draws to one purpose does not shift the others.
  Prng fork(uint64_t stream) {
    uint64_t sm = next() ^ (stream * 0xd1342543de82ef95ULL);
    return Prng(splitmix64(&sm));
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace phalanx::sim
