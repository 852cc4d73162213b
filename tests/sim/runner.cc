// Seed-range runner (see runner.h).
#include "tests/sim/runner.h"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <thread>

#include "tests/sim/abort_note.h"
#include "tests/sim/node.h"
#include "tests/testutil/sanitizer.h"

namespace phalanx::sim {
namespace {

double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

void add(RangeReport* report, const RunResult& result, double cpu_seconds) {
  ++report->seeds_run;
  add_counters(&report->counters, result.counters);
  report->crash_restarts += result.crash_restarts;
  report->forgeries += result.forgeries;
  report->txs_submitted += result.txs_submitted;
  report->blocks += result.highest_committed;
  if (result.plan.scheme == SignatureScheme::kEd25519) ++report->ed25519_seeds;
  if (result.plan.injector) ++report->injector_seeds;
  if (!result.plan.byzantine.empty()) ++report->byzantine_seeds;
  report->byzantine.misbehaviours += result.byzantine.misbehaviours;
  report->byzantine.equivocations += result.byzantine.equivocations;
  report->byzantine.bad_proposals += result.byzantine.bad_proposals;
  report->byzantine.dropped_certificates += result.byzantine.dropped_certificates;
  report->byzantine.garbage += result.byzantine.garbage;
  report->byzantine.replays += result.byzantine.replays;
  report->byzantine.forged_catch_ups += result.byzantine.forged_catch_ups;
  report->garbage_rejected += result.garbage_rejected;
  report->cpu_seconds += cpu_seconds;
  if (cpu_seconds > report->slowest_seed_cpu_seconds) {
    report->slowest_seed_cpu_seconds = cpu_seconds;
    report->slowest_seed = result.options.seed;
  }
  if (!result.passed()) report->failures.push_back(result);
}

}  // namespace

std::vector<std::string> RangeReport::missing_teeth() const {
  std::vector<std::string> missing;
  if (counters.pipelined_heights == 0) missing.push_back("pipelined heights");
  if (counters.checkpoint_gcs == 0) missing.push_back("checkpoint GCs");
  if (crash_restarts == 0) missing.push_back("crash-restarts");
  if (counters.duplicate_votes_ignored == 0) missing.push_back("duplicate votes ignored");
  if (counters.view_changes == 0) missing.push_back("view changes");
  if (counters.reproposed_certificates == 0) missing.push_back("re-proposed certificates");
  if (counters.new_views_rejected == 0) missing.push_back("rejected NEW-VIEWs");
  if (counters.equivocations == 0) missing.push_back("detected equivocations");
  if (byzantine.misbehaviours == 0) missing.push_back("Byzantine misbehaviours");
  if (garbage_rejected == 0) missing.push_back("garbage refused by the decoder");
  if (counters.catch_ups == 0) missing.push_back("catch-ups");
  if (counters.forged_certificates_refused == 0) {
    missing.push_back("forged certificates refused");
  }
  return missing;
}

std::string RangeReport::summary_line() const {
  std::ostringstream out;
  out.precision(3);
  out << seeds_run << " seeds, " << failures.size() << " failed; " << blocks << " blocks, "
      << txs_submitted << " txs, " << crash_restarts << " crash-restarts, " << forgeries
      << " forgeries, pipelined " << counters.pipelined_heights << ", checkpoint GCs "
      << counters.checkpoint_gcs << ", duplicate votes ignored " << counters.duplicate_votes_ignored
      << ", safety refusals " << counters.safety_refusals << ", equivocations seen "
      << counters.equivocations << ", view changes " << counters.view_changes
      << ", re-proposed certificates " << counters.reproposed_certificates
      << ", NEW-VIEWs rejected " << counters.new_views_rejected << ", catch-ups "
      << counters.catch_ups << " (blocks " << counters.catch_up_blocks
      << "), forged certificates refused " << counters.forged_certificates_refused
      << ", Byzantine misbehaviours " << byzantine.misbehaviours << " (equivocations "
      << byzantine.equivocations << ", bad proposals " << byzantine.bad_proposals
      << ", dropped certificates " << byzantine.dropped_certificates << ", forged catch-ups "
      << byzantine.forged_catch_ups << ", replays " << byzantine.replays << "), garbage "
      << byzantine.garbage << " (refused " << garbage_rejected << "), " << ed25519_seeds
      << " ed25519 seeds, " << injector_seeds << " injector seeds, " << byzantine_seeds
      << " Byzantine seeds; " << cpu_seconds << " CPU-s ("
      << (seeds_run ? cpu_seconds / seeds_run : 0) << " s/seed, slowest seed " << slowest_seed
      << ": " << slowest_seed_cpu_seconds << " s)";
  return out.str();
}

RangeReport run_seeds(const RangeOptions& options,
                      const std::function<void(const RunResult&)>& on_result) {
  PHALANX_ASSERT(options.first <= options.last && options.jobs >= 1);
  install_abort_handler();
  RangeReport report;
  std::mutex mutex;
  std::atomic<uint64_t> next{options.first};
  std::atomic<bool> stop{false};
  auto worker = [&] {
    for (;;) {
      const uint64_t seed = next.fetch_add(1);
      if (seed > options.last || stop.load()) return;
      SimOptions sim_options = options.base;
      sim_options.seed = seed;
      set_abort_note(replay_command(sim_options));
      const double start = thread_cpu_seconds();
      RunResult result = run_simulation(sim_options);
      const double cpu = thread_cpu_seconds() - start;
      std::lock_guard<std::mutex> lock(mutex);
      add(&report, result, cpu);
      if (on_result) on_result(result);
      if (!result.passed() && options.stop_at_first_failure) stop.store(true);
    }
  };
  std::vector<std::thread> threads;
  for (uint32_t i = 1; i < options.jobs; ++i) threads.emplace_back(worker);
  worker();
  for (auto& thread : threads) thread.join();
  std::sort(report.failures.begin(), report.failures.end(),
            [](const RunResult& a, const RunResult& b) { return a.options.seed < b.options.seed; });
  return report;
}

uint64_t seed_count(uint64_t normal) {
  if (const char* env = std::getenv("PHALANX_SIM_SEEDS")) {
    const long long value = std::atoll(env);
    if (value > 0) return static_cast<uint64_t>(value);
  }
  if (testutil::kAddressSanitizer) return std::max<uint64_t>(1, normal / 4);
  return normal;
}

}  // namespace phalanx::sim
