#include "bench/load/sampler.h"

#include "bench/load/procstat.h"

namespace phalanx::bench {

ProcessSampler::ProcessSampler(std::vector<pid_t> pids)
    : pids_(std::move(pids)), peaks_(pids_.size()) {}

ProcessSampler::~ProcessSampler() { stop(); }

void ProcessSampler::start(std::chrono::milliseconds period) {
  sample();
  thread_ = std::thread([this, period] {
    while (!stop_) {
      std::this_thread::sleep_for(period);
      sample();
    }
  });
}

void ProcessSampler::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ProcessSampler::sample() {
  for (size_t i = 0; i < pids_.size(); ++i) {
    if (pids_[i] <= 0) continue;
    const auto rss = process_rss_anon_kib(pids_[i]);
    if (rss && *rss > peaks_[i]) peaks_[i] = *rss;
  }
}

std::vector<double> ProcessSampler::cpu_s() const {
  std::vector<double> out;
  for (pid_t pid : pids_) out.push_back(pid > 0 ? process_cpu_s(pid).value_or(-1) : -1);
  return out;
}

}  // namespace phalanx::bench
