// phalanxd-byzantine: `phalanxd run` with chosen Byzantine behaviours and a slow disk, for
// fault tests only (docs/byzantine.md). Built only with -DPHALANX_BYZANTINE=ON; the node is
// phalanxd's own code (node/bin/phalanxd_commands.h) with an Adversary in its hooks.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "node/bin/phalanxd_cli.h"
#include "node/bin/phalanxd_commands.h"
#include "node/zmq_tsan_suppression.h"
#include "tests/byzantine/adversary.h"

namespace {

constexpr const char* kProgram = "phalanxd-byzantine";
constexpr uint64_t kSlowCommitMsMax = 60'000;

}  // namespace

int main(int argc, char** argv) {
  using phalanx::node::kExitUsage;
  CLI::App app(
      "A TEST build of the Phalanx validator node that misbehaves on purpose. It runs like "
      "`phalanxd run` (the word `run` may be given or left out).",
      kProgram);
  app.set_version_flag("--version", std::string(kProgram) + " " + PHALANX_VERSION);
  phalanx::node::RunOptions run;
  phalanx::node::add_run_flags(app, &run);
  std::optional<std::string> list;
  std::optional<uint64_t> seed;
  uint64_t slow_commit_ms = 0;
  app.add_option("--byzantine", list, "Behaviours: comma-separated names (below) or `all`");
  app.add_option("--byzantine-seed", seed, "Seed of every random choice (default: the node id)");
  app.add_option("--slow-commit-ms", slow_commit_ms,
                 "Sleep this long before each ledger block commit (a slow disk)")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{0}, kSlowCommitMsMax));
  app.footer("Behaviours:\n" + phalanx::byzantine::behaviours_help() +
             "What it did is logged in HOME/node.log as `byzantine: ...` lines.");
  std::vector<char*> args{argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (i == 1 && std::string(argv[i]) == "run") continue;
    args.push_back(argv[i]);
  }
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& error) {
    return phalanx::node::finish_parse_error(app, error, kProgram);
  }
  phalanx::byzantine::AdversaryOptions options;
  if (list) {
    auto behaviours = phalanx::byzantine::parse_behaviours(*list);
    if (!behaviours) {
      std::cerr << kProgram << ": error: " << behaviours.message() << " (see --help)\n";
      return kExitUsage;
    }
    options.behaviours = *behaviours;
  }
  options.seed = seed;
  options.slow_commit_ms = slow_commit_ms;
  return phalanx::node::run_node(run.home,
                                 std::make_unique<phalanx::byzantine::Adversary>(options));
}
