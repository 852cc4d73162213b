// The run's time base: steady-clock nanoseconds since the run started, shared by every
// thread's timestamps (submissions, block observations, samples).
// Thread-safety: immutable after construction.
#pragma once

#include <chrono>
#include <cstdint>

namespace phalanx::bench {

using Clock = std::chrono::steady_clock;

class RunClock {
 public:
  RunClock() : start_(Clock::now()) {}
  int64_t now_ns() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count();
  }
  Clock::time_point at(int64_t ns) const { return start_ + std::chrono::nanoseconds(ns); }

 private:
  Clock::time_point start_;
};

inline constexpr int64_t kNsPerS = 1'000'000'000;
inline constexpr int64_t kNsPerMs = 1'000'000;

}  // namespace phalanx::bench
