// phalanx-bench: load generator and measurement for a running testnet (bench/README.md).
//
//   phalanx-bench accounts --out FILE [--count N] [--seed S]
//   phalanx-bench bound [--n N] [--idle-timeout S] [--json]
//   phalanx-bench run --testnet DIR [--rate R | --max] [--duration S] [--warmup S] ... [--json]
//   phalanx-bench catch-up --testnet DIR --node I [--timeout S] [--json]
//
// Exit codes: 0 done; 1 a runtime failure (message on stderr), or --require-all-committed
// and a transfer did not commit; 2 a usage error.
#include <CLI/CLI.hpp>
#include <cmath>
#include <iostream>

#include "bench/load/accounts.h"
#include "bench/load/bound.h"
#include "bench/load/catch_up.h"
#include "bench/load/procstat.h"
#include "bench/load/report.h"
#include "bench/load/run.h"
#include "crypto/file_io.h"

namespace {

using namespace phalanx::bench;
using nlohmann::json;

constexpr const char* kProgram = "phalanx-bench";
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

struct Cli {
  std::string accounts_out;
  uint32_t account_count = kAccountsMax;
  uint64_t seed = 1;
  uint32_t bound_n = 4;
  double idle_timeout_s = 60;
  RunOptions run;
  double rate = 0;
  bool require_all_committed = false;
  CatchUpOptions catch_up;
  bool json_output = false;
};

int fail(const std::string& message) {
  std::cerr << kProgram << ": error: " << message << "\n";
  return kExitFailure;
}

int run_accounts(const Cli& cli) {
  const auto keys = derive_keys(cli.seed, cli.account_count);
  const std::string text = alloc_file_text(cli.seed, addresses_of(keys), kAccountBalance);
  const phalanx::Status written = phalanx::write_file_atomically(cli.accounts_out, text);
  if (!written) return fail(written.message());
  std::cout << "wrote " << cli.accounts_out << ": " << cli.account_count << " accounts (seed "
            << cli.seed << "), " << kAccountBalance << " each\n";
  return kExitOk;
}

int run_bound(const Cli& cli) {
  const IdleCheck idle = wait_for_idle(0.10, cli.idle_timeout_s);
  if (!idle.idle) {
    std::cerr << kProgram << ": warning: the machine stayed busy ("
              << std::lround(idle.busy_fraction * 100) << "% of its CPU) for " << idle.waited_s
              << " s; measuring anyway, the bound will be low\n";
  }
  const double rate = measure_verify_rate(3.0);
  const json out = {{"machine", machine_description()},
                    {"idle", idle.idle},
                    {"busy_percent", std::lround(idle.busy_fraction * 100)},
                    {"verify_per_s", std::lround(rate)},
                    {"n", cli.bound_n},
                    {"bound_tx_per_s", std::lround(rate / cli.bound_n)}};
  if (cli.json_output) {
    std::cout << out.dump() << "\n";
  } else {
    std::cout << "Ed25519 verify (libsodium, " << out["machine"]["cores"]
              << " cores): " << out["verify_per_s"] << "/s; bound for n = " << cli.bound_n << ": "
              << out["bound_tx_per_s"] << " tx/s\n";
  }
  return kExitOk;
}

int run_run(Cli& cli) {
  RunOptions& options = cli.run;
  options.seed = cli.seed;
  options.load.open_loop = cli.rate > 0;
  options.load.rate = cli.rate;
  options.progress = !cli.json_output || options.progress;
  auto report = run_load(options);
  if (!report) return fail(report.message());
  if (cli.json_output) {
    std::cout << report->dump() << "\n";
  } else {
    print_table(*report, std::cout);
  }
  if (cli.require_all_committed && !(*report)["all_committed"].get<bool>()) {
    return fail(
        std::to_string((*report)["sent"].get<uint64_t>() - (*report)["committed"].get<uint64_t>()) +
        " of the transfers sent did not commit");
  }
  return kExitOk;
}

int run_catch_up(const Cli& cli) {
  auto report = measure_catch_up(cli.catch_up);
  if (!report) return fail(report.message());
  if (cli.json_output) {
    std::cout << report->dump() << "\n";
  } else {
    std::cout << "node " << (*report)["node"] << " caught up " << (*report)["blocks"] << " blocks ("
              << (*report)["txs"] << " txs) in " << (*report)["seconds"]
              << " s: " << (*report)["blocks_per_s"] << " blocks/s, " << (*report)["tx_per_s"]
              << " tx/s\n";
  }
  return kExitOk;
}

void add_run(CLI::App& app, Cli* cli) {
  CLI::App* run = app.add_subcommand("run", "Load a running testnet and measure it");
  RunOptions& o = cli->run;
  run->add_option("--testnet", o.testnet_dir, "Testnet directory (testnet/up.sh --dir)")
      ->required();
  run->add_option("--name", o.name, "Label for the report");
  run->add_option("--rate", cli->rate, "Open loop at this many tx/s (default: max throughput)")
      ->check(CLI::Range(1.0, 1e6));
  run->add_option("--duration", o.duration_s, "Seconds of the measured window")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 3600.0));
  run->add_option("--warmup", o.warmup_s, "Seconds of load before the window")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 600.0));
  run->add_option("--drain-timeout", o.drain_timeout_s, "Seconds to wait for the last commits")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 600.0));
  run->add_option("--senders", o.senders, "Sending accounts K (the first K of the accounts)")
      ->capture_default_str()
      ->check(CLI::Range(1u, kAccountsMax));
  run->add_option("--accounts", o.accounts, "Accounts in genesis (recipients drawn from all)")
      ->capture_default_str()
      ->check(CLI::Range(2u, kAccountsMax));
  run->add_option("--txs", o.txs, "Transfers to pre-sign (default: enough for the run)")
      ->check(CLI::Range(1, 4'000'000));
  run->add_option("--batch", o.load.batch, "sendTransaction calls per JSON-RPC batch")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  run->add_option("--connections", o.load.connections,
                  "Connections (threads), round-robin over nodes")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  run->add_option("--inflight", o.load.inflight_s, "Max throughput: seconds of work in flight")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 10.0));
  run->add_option("--resend-after-ms", o.load.resend_after_ms,
                  "Resend an uncommitted transfer after")
      ->capture_default_str()
      ->check(CLI::Range(100, 600000));
  run->add_option("--verify-rate", o.verify_rate, "All-core verifies/s (default: measure it)")
      ->check(CLI::Range(1.0, 1e9));
  run->add_option("--idle-timeout", o.idle_timeout_s, "Seconds to wait for an idle machine")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  run->add_option("--kill-primary-after", o.kill_primary_after_s,
                  "SIGKILL the primary this many seconds into the window")
      ->check(CLI::Range(0.0, 3600.0));
  run->add_option("--stop-after-blocks", o.stop_after_blocks, "Stop sending after this many blocks")
      ->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}));
  run->add_option("--poll-us", o.poll_us, "Chain watcher poll period (microseconds)")
      ->capture_default_str()
      ->check(CLI::Range(100, 1'000'000));
  run->add_option("--stall-timeout", o.stall_timeout_s,
                  "Fail when no block commits this long with transfers in flight")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 3600.0));
  run->add_flag("--require-all-committed", cli->require_all_committed,
                "Exit 1 unless every transfer sent committed");
  run->add_flag("--json", cli->json_output, "Print the report as one JSON document");
}

void add_commands(CLI::App& app, Cli* cli) {
  CLI::App* accounts =
      app.add_subcommand("accounts", "Write the genesis allocations of the benchmark accounts");
  accounts->add_option("--out", cli->accounts_out, "File to write (testnet/up.sh --alloc-file)")
      ->required();
  accounts->add_option("--count", cli->account_count, "Accounts")
      ->capture_default_str()
      ->check(CLI::Range(2u, kAccountsMax));
  app.add_option("--seed", cli->seed, "Seed of the accounts' keys and the recipients")
      ->capture_default_str();
  CLI::App* bound =
      app.add_subcommand("bound", "Measure the physical bound: all-core Ed25519 verify rate / n");
  bound->add_option("--n", cli->bound_n, "Validators")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1024u));
  bound->add_option("--idle-timeout", cli->idle_timeout_s, "Seconds to wait for an idle machine")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  bound->add_flag("--json", cli->json_output, "Print one JSON document");
  add_run(app, cli);
  CLI::App* catch_up = app.add_subcommand("catch-up", "Measure a restarted node's catch-up");
  catch_up->add_option("--testnet", cli->catch_up.testnet_dir, "Testnet directory")->required();
  catch_up->add_option("--node", cli->catch_up.node, "The restarted node")->required();
  catch_up->add_option("--timeout", cli->catch_up.timeout_s, "Seconds")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 3600.0));
  catch_up->add_flag("--json", cli->json_output, "Print one JSON document");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Phalanx load generator and measurement", kProgram);
  app.set_version_flag("--version", std::string(kProgram) + " " + PHALANX_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Commands: accounts, bound, run, catch-up; `phalanx-bench COMMAND --help`.\n"
      "bench/run.sh runs the standard scenarios (bench/README.md).");
  Cli cli;
  add_commands(app, &cli);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      app.exit(error);
      return kExitOk;
    }
    std::cerr << kProgram << ": error: " << error.what() << " (see --help)\n";
    return kExitUsage;
  }
  const std::string command = app.get_subcommands().at(0)->get_name();
  if (command == "accounts") return run_accounts(cli);
  if (command == "bound") return run_bound(cli);
  if (command == "catch-up") return run_catch_up(cli);
  return run_run(cli);
}
