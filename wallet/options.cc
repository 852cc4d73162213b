// Command-line grammar (CLI11). Global flags are accepted before or after the command
// (fallthrough), as users of git and kubectl expect. Every parse error becomes one line on
// stderr and exit code 2; CLI11's own exit codes (105..) are not used.
#include "wallet/options.h"

#include <CLI/CLI.hpp>
#include <algorithm>

namespace phalanx::wallet {
namespace {

constexpr const char* kProgram = "phalanx-wallet";

constexpr const char* kFooter =
    R"(Global flags go before or after the command: --keystore DIR, --rpc URL,
--password-file FILE, --json.

Environment:
  PHALANX_KEYSTORE          keystore directory (default ~/.phalanx/keystore)
  PHALANX_RPC               node RPC URL (default http://127.0.0.1:26601)
  PHALANX_WALLET_PASSWORD   password, when --password-file is not given
  PHALANX_KEYSTORE_KDF      test only: 'minimum' makes new keys cheap to unlock (insecure)

Exit codes: 0 ok (send --wait: committed); 1 the transaction failed, was rejected or
--wait timed out; 2 usage error; 3 any other failure. Run 'COMMAND --help' for a command's
flags; docs/wallet.md has the full reference.)";

const std::vector<std::string> kCommands = {"new",     "import", "list", "address",
                                            "balance", "sign",   "send", "tx"};

void add_global_flags(CLI::App& app, Options* o) {
  app.add_option("--keystore", o->keystore, "Keystore directory")->type_name("DIR");
  app.add_option("--rpc", o->rpc, "Node JSON-RPC URL")->type_name("URL");
  app.add_option("--password-file", o->password_file, "Read the password from this file")
      ->type_name("FILE");
  app.add_flag("--json", o->json, "Print one JSON document on stdout");
}

void add_transfer_flags(CLI::App* command, Options* o) {
  command->add_option("--from", o->from, "Sending key name")->required()->type_name("NAME");
  command->add_option("--to", o->to, "Recipient key name or address")
      ->required()
      ->type_name("NAME|ADDRESS");
  command->add_option("--amount", o->amount, "Amount, 1 .. 2^53-1")->required()->type_name("N");
  command->add_option("--fee", o->fee, "Fee (default: the node's minFee)")->type_name("N");
  command->add_option("--nonce", o->nonce, "Nonce (default: see docs/wallet.md)")->type_name("N");
}

void add_key_commands(CLI::App& app, Options* o) {
  app.add_subcommand("new", "Create a new encrypted key; prints its address")
      ->add_option("NAME", o->name, "Key name")
      ->required();
  CLI::App* import = app.add_subcommand("import", "Import a 32-byte Ed25519 seed (hex)");
  import->add_option("NAME", o->name, "Key name")->required();
  import->add_option("--seed-file", o->seed_file, "File holding 64 hex characters")
      ->required()
      ->type_name("FILE");
  app.add_subcommand("list", "Names and addresses of every key");
  app.add_subcommand("address", "The address of a key")
      ->add_option("NAME", o->name, "Key name")
      ->required();
}

void add_chain_commands(CLI::App& app, Options* o) {
  app.add_subcommand("balance", "Balance and nonce from the node")
      ->add_option("TARGET", o->name, "Key name or address")
      ->required();
  CLI::App* sign = app.add_subcommand("sign", "Sign a transfer without sending it");
  add_transfer_flags(sign, o);
  sign->add_option("--chain-id", o->chain_id, "Sign for this chain (default: the node's)")
      ->type_name("ID");
  CLI::App* send = app.add_subcommand("send", "Sign and submit a transfer");
  add_transfer_flags(send, o);
  CLI::Option* wait = send->add_flag("--wait", o->wait, "Wait until committed or failed");
  send->add_option("--timeout", o->timeout_seconds, "Seconds to wait (default 60)")
      ->type_name("S")
      ->needs(wait);
  send->add_option("--poll-interval", o->poll_interval_ms,
                   "Milliseconds between status polls (default 500)")
      ->type_name("MS")
      ->needs(wait);
  app.add_subcommand("tx", "A transaction's status")
      ->add_option("HASH", o->hash, "Transaction hash (64 hex characters)")
      ->required();
}

// CLI11 reports an unknown command as "A subcommand is required"; name it instead.
std::string usage_message(const CLI::ParseError& error, const std::vector<std::string>& args) {
  const std::string what = error.what();
  if (what == "A subcommand is required") {
    for (const std::string& arg : args) {
      if (arg.empty() || arg[0] == '-') continue;
      if (std::find(kCommands.begin(), kCommands.end(), arg) != kCommands.end()) break;
      return "unknown command '" + arg +
             "' (commands: new, import, list, address, balance, sign, send, tx)";
    }
    return "a command is required (commands: new, import, list, address, balance, sign, send, "
           "tx)";
  }
  return what;
}

}  // namespace

std::string wallet_version() { return std::string(kProgram) + " " + PHALANX_VERSION; }

ParsedCommandLine parse_command_line(const std::vector<std::string>& args, const WalletIo& io) {
  Options options;
  CLI::App app("Phalanx wallet: keys and transfers", kProgram);
  app.set_version_flag("--version", wallet_version());
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(kFooter);
  add_global_flags(app, &options);
  add_key_commands(app, &options);
  add_chain_commands(app, &options);

  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      app.exit(error, *io.out, *io.err);  // --help or --version
      return {std::nullopt, kExitOk};
    }
    *io.err << kProgram << ": error: " << usage_message(error, args) << " (see --help)\n";
    return {std::nullopt, kExitUsage};
  }
  options.command = app.get_subcommands().at(0)->get_name();
  return {std::move(options), kExitOk};
}

}  // namespace phalanx::wallet
