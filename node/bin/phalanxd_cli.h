// Command-line pieces shared by phalanxd (phalanxd.cc) and the test build phalanxd-byzantine
// (tests/byzantine/), which takes exactly `phalanxd run`'s flags plus its own.
// Thread-safety: called from main() only.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace phalanx::node {

struct RunOptions {
  std::string home;
};

// The flags of `phalanxd run` on `command` (a subcommand, or a whole program).
void add_run_flags(CLI::App& command, RunOptions* options);

// What main() does with a CLI11 parse exception: --help and --version print and give 0, any
// other error prints "PROGRAM: error: ... (see --help)" and gives 2 (kExitUsage).
int finish_parse_error(const CLI::App& app, const CLI::ParseError& error, const char* program);

}  // namespace phalanx::node
