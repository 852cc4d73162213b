#include "bench/load/bound.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "bench/load/procstat.h"
#include "crypto/ed25519.h"

namespace phalanx::bench {
namespace {

using Clock = std::chrono::steady_clock;

// A transaction's signed bytes are ~150 bytes; verify cost barely depends on the length.
constexpr size_t kMessageBytes = 150;
constexpr size_t kDistinctMessages = 64;

}  // namespace

IdleCheck wait_for_idle(double busy_max, double timeout_s) {
  IdleCheck check;
  const auto start = Clock::now();
  while (true) {
    const CpuTimes before = machine_cpu_times();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const CpuTimes after = machine_cpu_times();
    const uint64_t total = after.total - before.total;
    check.busy_fraction =
        total == 0 ? 1.0
                   : static_cast<double>(after.busy - before.busy) / static_cast<double>(total);
    check.waited_s = std::chrono::duration<double>(Clock::now() - start).count();
    check.idle = check.busy_fraction < busy_max;
    if (check.idle || check.waited_s >= timeout_s) return check;
  }
}

double measure_verify_rate(double seconds) {
  const crypto::SecretKey key = crypto::SecretKey::generate();
  std::vector<Bytes> messages;
  std::vector<crypto::Signature> signatures;
  for (size_t i = 0; i < kDistinctMessages; ++i) {
    messages.emplace_back(kMessageBytes, static_cast<uint8_t>(i));
    signatures.push_back(key.sign(messages.back()));
  }
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> verified{0};
  std::atomic<uint64_t> failures{0};
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      uint64_t count = 0;
      for (size_t i = 0; !stop.load(std::memory_order_relaxed); i = (i + 1) % kDistinctMessages) {
        if (!crypto::verify(key.public_key(), messages[i], signatures[i])) failures++;
        ++count;
      }
      verified += count;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (std::thread& worker : workers) worker.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  PHALANX_ASSERT_MSG(failures == 0, "a valid signature failed to verify");
  return static_cast<double>(verified.load()) / elapsed;
}

}  // namespace phalanx::bench
