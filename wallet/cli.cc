// run_wallet: parse, dispatch to one command, print its outcome.
#include <chrono>
#include <cstdlib>
#include <iostream>

#include "wallet/commands.h"
#include "wallet/password.h"

namespace phalanx::wallet {
namespace {

Outcome dispatch(Context& context) {
  const std::string& command = context.options().command;
  if (command == "new") return run_new(context);
  if (command == "import") return run_import(context);
  if (command == "list") return run_list(context);
  if (command == "address") return run_address(context);
  if (command == "balance") return run_balance(context);
  if (command == "tx") return run_tx(context);
  if (command == "sign") return run_sign(context);
  PHALANX_ASSERT_MSG(command == "send", "a command the parser accepts is not dispatched");
  return run_send(context);
}

}  // namespace

WalletIo WalletIo::system() {
  WalletIo io;
  io.out = &std::cout;
  io.err = &std::cerr;
  io.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  io.read_password = prompt_password_on_terminal;
  io.now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  return io;
}

int run_wallet(const std::vector<std::string>& args, const WalletIo& io) {
  PHALANX_ASSERT(io.out != nullptr && io.err != nullptr && io.getenv && io.read_password &&
                 io.now_ms);
  ParsedCommandLine parsed = parse_command_line(args, io);
  if (!parsed.options) return parsed.exit_code;
  Context context(*parsed.options, io);
  const Outcome outcome = dispatch(context);
  print_outcome(outcome, parsed.options->json, io);
  return outcome.exit_code;
}

}  // namespace phalanx::wallet
