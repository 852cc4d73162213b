// The golden traces (golden.h): each scripted run must reproduce its file under
// tests/sim/testdata/ byte for byte. PHALANX_REWRITE_GOLDEN=1 rewrites the files instead
// (then review the diff and commit it).
#include "tests/sim/golden.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace phalanx::sim {
namespace {

bool rewriting() {
  const char* env = std::getenv("PHALANX_REWRITE_GOLDEN");
  return env != nullptr && std::string(env) == "1";
}

TEST(SimGolden, ScriptedRunsMatchTheirTraces) {
  for (const std::string& name : golden_names()) {
    const GoldenRun run = run_golden(name);
    EXPECT_TRUE(run.failures.empty()) << name << ": " << ::testing::PrintToString(run.failures);
    const std::string path = golden_path(PHALANX_SIM_TESTDATA, name);
    if (rewriting()) {
      const Status written = write_golden(path, run.trace);
      ASSERT_TRUE(written.is_ok()) << written.message();
      continue;
    }
    const Result<std::string> golden = read_golden(path);
    ASSERT_TRUE(golden.is_ok()) << golden.message() << " (create it with PHALANX_REWRITE_GOLDEN=1)";
    EXPECT_EQ(*golden, run.trace)
        << name << " differs from " << path
        << "; if the change is intended, rerun with PHALANX_REWRITE_GOLDEN=1 and review the diff";
  }
}

TEST(SimGolden, AScriptIsDeterministic) {
  for (const std::string& name : golden_names()) {
    EXPECT_EQ(run_golden(name).trace, run_golden(name).trace) << name;
  }
}

}  // namespace
}  // namespace phalanx::sim
