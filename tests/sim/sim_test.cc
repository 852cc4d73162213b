// The simulator suite: a sweep of mixed seeds that must all pass and must exercise the
// protocol's hard paths (the teeth), plus determinism — a seed replays exactly, with or
// without its trace.
#include <gtest/gtest.h>

#include <iostream>
#include <sstream>

#include "tests/sim/runner.h"

namespace phalanx::sim {
namespace {

void print_failure(const RunResult& result) {
  if (result.passed()) return;
  std::cout << summarize(result) << "\n  plan: " << result.plan.describe()
            << "\n  replay: " << replay_command(result.options) << std::endl;
}

TEST(Simulator, MixedSeedsPassAndTheTeethBite) {
  RangeOptions range;
  range.first = 0;
  range.last = seed_count(320) - 1;
  const RangeReport report = run_seeds(range, print_failure);
  std::cout << "sim_tests: " << report.summary_line() << std::endl;
  EXPECT_TRUE(report.failures.empty())
      << report.failures.size() << " seeds failed, first: " << summarize(report.failures[0]);
  const std::vector<std::string> missing = report.missing_teeth();
  EXPECT_TRUE(missing.empty()) << "never exercised: " << ::testing::PrintToString(missing);
  EXPECT_GT(report.ed25519_seeds, 0u);
  EXPECT_GT(report.injector_seeds, 0u);
  EXPECT_GT(report.forgeries, 0u);
  EXPECT_GT(report.byzantine_seeds, 0u);
  EXPECT_GT(report.byzantine.equivocations, 0u);
  EXPECT_GT(report.byzantine.dropped_certificates, 0u);
}

TEST(Simulator, ASeedReplaysExactly) {
  for (uint64_t seed : {3u, 16u, 21u, 7u}) {  // MAC, Ed25519, injector, Byzantine
    SimOptions options;
    options.seed = seed;
    const RunResult first = run_simulation(options);
    const RunResult second = run_simulation(options);
    EXPECT_EQ(first.fingerprint, second.fingerprint) << "seed " << seed;
    EXPECT_EQ(summarize(first), summarize(second));
    EXPECT_GT(first.highest_committed, 0u) << summarize(first);
  }
}

TEST(Simulator, TracingDoesNotChangeTheRunAndIsItselfReproducible) {
  SimOptions options;
  options.seed = 7;
  std::ostringstream trace_a;
  std::ostringstream trace_b;
  const RunResult traced = run_simulation(options, &trace_a);
  run_simulation(options, &trace_b);
  const RunResult untraced = run_simulation(options);
  EXPECT_EQ(traced.fingerprint, untraced.fingerprint);
  EXPECT_EQ(trace_a.str(), trace_b.str());
  const std::string text = trace_a.str();
  for (const char* marker : {"recv PRE-PREPARE", "send PREPARE", "send COMMIT", "execute h1 ",
                             "client submits", "propose"}) {
    EXPECT_NE(text.find(marker), std::string::npos) << "trace lacks '" << marker << "'";
  }
}

// A Byzantine seed's trace names what the Byzantine replica did, and the run stays safe.
TEST(Simulator, ByzantineSeedsMisbehaveVisibly) {
  SimOptions options;
  options.byzantine = ByzantinePolicy::kAlways;
  uint64_t misbehaviours = 0;
  for (uint64_t seed = 0; seed < 8; ++seed) {
    options.seed = seed;
    std::ostringstream trace;
    const RunResult result = run_simulation(options, &trace);
    EXPECT_TRUE(result.passed()) << summarize(result);
    EXPECT_FALSE(result.plan.byzantine.empty());
    EXPECT_LE(result.plan.byzantine.size(), result.plan.f());
    misbehaviours += result.byzantine.misbehaviours;
    if (result.byzantine.misbehaviours > 0 && !result.plan.is_byzantine(0)) {
      EXPECT_NE(trace.str().find("BYZANTINE"), std::string::npos) << "seed " << seed;
    }
  }
  EXPECT_GT(misbehaviours, 0u);
}

TEST(Simulator, DifferentSeedsDrawDifferentRuns) {
  SimOptions a;
  a.seed = 7;
  SimOptions b;
  b.seed = 10;
  EXPECT_NE(run_simulation(a).fingerprint, run_simulation(b).fingerprint);
  EXPECT_NE(make_fault_plan(a).describe(), make_fault_plan(b).describe());
}

TEST(Simulator, TheReplayCommandNamesEveryOption) {
  SimOptions options;
  options.seed = 99;
  options.mutations.skip_prev_hash_check = true;
  options.injector = InjectorPolicy::kAlways;
  options.check_certificates = false;
  options.fault_model = FaultModel::kWide;
  options.mutations.new_view_not_rederived = true;
  options.byzantine = ByzantinePolicy::kAlways;
  options.byzantine_behaviours = kByzEquivocate | kByzDropCertificate;
  EXPECT_EQ(replay_command(options),
            "phalanx-sim --seed 99 --mutation skip_prev_hash_check --mutation "
            "new_view_not_rederived --injector always --byzantine always --behaviours "
            "equivocate+drop-certificate --no-certificate-check --faults wide --trace");
}

}  // namespace
}  // namespace phalanx::sim
