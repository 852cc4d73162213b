#include "node/bin/phalanxd_cli.h"

#include <iostream>

#include "node/bin/phalanxd_commands.h"

namespace phalanx::node {

void add_run_flags(CLI::App& command, RunOptions* options) {
  command.add_option("--home", options->home, "Home directory (see `phalanxd init`)")->required();
}

int finish_parse_error(const CLI::App& app, const CLI::ParseError& error, const char* program) {
  if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
    app.exit(error);  // --help or --version
    return kExitOk;
  }
  std::string what = error.what();
  if (what == "A subcommand is required") what = "a command is required: init, genesis or run";
  std::cerr << program << ": error: " << what << " (see --help)\n";
  return kExitUsage;
}

}  // namespace phalanx::node
