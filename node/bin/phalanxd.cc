// phalanxd: command-line parsing (CLI11) and dispatch to the subcommands.
#include <CLI/CLI.hpp>

#include "node/bin/phalanxd_cli.h"
#include "node/bin/phalanxd_commands.h"
#include "node/zmq_tsan_suppression.h"

namespace {

using phalanx::node::GenesisOptions;
using phalanx::node::InitOptions;

constexpr const char* kProgram = "phalanxd";

std::string version() { return std::string(kProgram) + " " + PHALANX_VERSION; }

void add_init(CLI::App& app, InitOptions* o) {
  CLI::App* init = app.add_subcommand("init", "Create a node home: validator key and config.json");
  init->set_version_flag("--version", version());
  init->add_option("--home", o->home, "Home directory to create")->required();
  init->add_option("--p2p-port", o->p2p_port, "Port for validator traffic")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  init->add_option("--rpc-port", o->rpc_port, "Port for JSON-RPC")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  init->add_option("--host", o->host, "Address both ports bind to")->capture_default_str();
}

void add_genesis(CLI::App& app, GenesisOptions* o) {
  CLI::App* genesis = app.add_subcommand("genesis", "Write a genesis.json for a new chain");
  genesis->set_version_flag("--version", version());
  genesis->add_option("--out", o->out, "File to write")->required();
  genesis->add_option("--chain-id", o->chain_id, "Chain id (1..64 of [a-z0-9._-])")->required();
  genesis
      ->add_option("--validator", o->validators,
                   "PUBKEYHEX@tcp://HOST:PORT, once per validator (at least 4), in index order")
      ->required();
  genesis->add_option("--alloc", o->allocations, "ADDRESS=AMOUNT: a genesis balance");
  genesis->add_option("--alloc-file", o->alloc_file,
                      "File of genesis balances: one ADDRESS=AMOUNT per line ('#' comments)");
  genesis->add_option("--pipeline-depth", o->pipeline_depth, "W: heights in flight")
      ->capture_default_str();
  genesis->add_option("--checkpoint-interval", o->checkpoint_interval, "K: checkpoint every K")
      ->capture_default_str();
  genesis->add_option("--genesis-time-ms", o->genesis_time_ms,
                      "Unix ms of the genesis block (default: now)");
  genesis->add_flag("--force", o->force, "Overwrite an existing file");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Phalanx validator node", kProgram);
  app.set_version_flag("--version", version());
  app.require_subcommand(1);
  app.footer(
      "Commands: init (create a home), genesis (write a genesis file), run (start the node).\n"
      "Run `phalanxd COMMAND --help` for the flags of each.");
  InitOptions init;
  GenesisOptions genesis;
  phalanx::node::RunOptions run_options;
  add_init(app, &init);
  add_genesis(app, &genesis);
  CLI::App* run = app.add_subcommand("run", "Run the node from its home directory");
  run->set_version_flag("--version", version());
  phalanx::node::add_run_flags(*run, &run_options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return phalanx::node::finish_parse_error(app, error, kProgram);
  }
  const std::string command = app.get_subcommands().at(0)->get_name();
  if (command == "init") return phalanx::node::run_init(init);
  if (command == "genesis") return phalanx::node::run_genesis(genesis);
  return phalanx::node::run_node(run_options.home);
}
