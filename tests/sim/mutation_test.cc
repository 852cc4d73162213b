// Mutation tests: each switch in consensus::Mutations breaks the replica on purpose, and the
// simulator must notice within 300 seeds — through the invariant that bug should break —
// while the very same seeds pass with the switch off. A simulator that cannot tell a broken
// replica from a correct one proves nothing when it passes.
#include <gtest/gtest.h>

#include <iostream>

#include "tests/sim/runner.h"

namespace phalanx::sim {
namespace {

constexpr uint64_t kSeedsMax = 300;

struct Scan {
  std::optional<RunResult> caught;
  uint64_t seeds_run = 0;
};

Scan scan(const SimOptions& base) {
  RangeOptions range;
  range.first = 0;
  range.last = kSeedsMax - 1;
  range.base = base;
  range.stop_at_first_failure = true;
  const RangeReport report = run_seeds(range);
  Scan result;
  result.seeds_run = report.seeds_run;
  if (!report.failures.empty()) result.caught = report.failures.front();
  return result;
}

// Runs the mutation over seeds until one fails, checks the invariant that caught it, then
// reruns every scanned seed without the mutation.
void expect_caught(SimOptions mutated, Invariant expected) {
  const Scan found = scan(mutated);
  ASSERT_TRUE(found.caught.has_value()) << "the mutation survived " << found.seeds_run << " seeds";
  const RunResult& caught = *found.caught;
  std::cout << "caught after " << found.seeds_run << " seeds: " << summarize(caught)
            << "\n  replay: " << replay_command(caught.options) << std::endl;
  EXPECT_EQ(caught.violation->invariant, expected)
      << "caught by " << invariant_name(caught.violation->invariant) << " instead";

  SimOptions clean = mutated;
  clean.mutations = consensus::Mutations{};
  RangeOptions range;
  range.first = 0;
  range.last = caught.options.seed;
  range.base = clean;
  const RangeReport rerun = run_seeds(range);
  EXPECT_TRUE(rerun.failures.empty())
      << "without the mutation: " << summarize(rerun.failures.front());
}

TEST(SimMutation, QuorumOf2fYieldsCertificatesBelowQuorum) {
  SimOptions options;
  options.mutations.quorum_2f = true;
  expect_caught(options, Invariant::kCertificate);
}

TEST(SimMutation, QuorumOf2fLetsAnEquivocatingPrimarySplitTheReplicas) {
  SimOptions options;
  options.mutations.quorum_2f = true;
  options.injector = InjectorPolicy::kAlways;
  options.check_certificates = false;  // show the protocol-level check catches it too
  expect_caught(options, Invariant::kAgreement);
}

TEST(SimMutation, SkippingThePrevHashCheckCommitsABrokenChain) {
  SimOptions options;
  options.mutations.skip_prev_hash_check = true;
  options.injector = InjectorPolicy::kAlways;
  expect_caught(options, Invariant::kLinkage);
}

TEST(SimMutation, SendingBeforePersistingLetsARestartedReplicaVoteTwice) {
  SimOptions options;
  options.mutations.send_before_persist = true;
  options.injector = InjectorPolicy::kAlways;
  expect_caught(options, Invariant::kSingleVote);
}

}  // namespace
}  // namespace phalanx::sim
