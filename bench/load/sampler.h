// Samples each node process's RssAnon every `period` and keeps the peak (LMDB's map makes
// plain RSS meaningless), and reads CPU time on demand.
// Thread-safety: start/stop from one thread; getters from any thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace phalanx::bench {

class ProcessSampler {
 public:
  // pids[i] <= 0: node i is not sampled.
  explicit ProcessSampler(std::vector<pid_t> pids);
  ~ProcessSampler();

  void start(std::chrono::milliseconds period);
  void stop();
  // Peak RssAnon of process i in KiB so far (0 if never sampled).
  uint64_t rss_anon_peak_kib(size_t i) const { return peaks_[i]; }
  // CPU seconds of each process now (negative once it is gone).
  std::vector<double> cpu_s() const;
  size_t size() const { return pids_.size(); }

 private:
  void sample();

  std::vector<pid_t> pids_;
  std::vector<std::atomic<uint64_t>> peaks_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace phalanx::bench
