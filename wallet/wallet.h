// phalanx-wallet's entry point: run_wallet() parses a command line, runs one command and
// returns the process exit code. Everything the outside world provides — output streams,
// environment variables, the password prompt and the wall clock — comes in through
// WalletIo, so tests run every command in process with captured output.
// Thread-safety: run_wallet() touches only its arguments, the keystore and the node; calls
// on different threads need their own WalletIo (its streams are not synchronised).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "crypto/status.h"

namespace phalanx::wallet {

// Exit codes (docs/wallet.md).
constexpr int kExitOk = 0;
constexpr int kExitTxFailed = 1;  // the tx failed, was rejected, or --wait timed out
constexpr int kExitUsage = 2;     // bad flags or argument values
constexpr int kExitFailure = 3;   // anything else: keystore, password, node, I/O

struct WalletIo {
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  // An environment variable, or nullopt when unset.
  std::function<std::optional<std::string>(const std::string& name)> getenv;
  // Asks a person for a password (without echo); an error when nobody can be asked.
  std::function<Result<std::string>(const std::string& prompt)> read_password;
  // Wall-clock Unix milliseconds (the nonce record's 60 s window).
  std::function<int64_t()> now_ms;

  // std::cout, std::cerr, ::getenv, a termios prompt on /dev/tty, the system clock.
  static WalletIo system();
};

// REQUIRES: every member of io is set.
// `args` excludes the program name: {"send", "--from", "alice", ...}.
int run_wallet(const std::vector<std::string>& args, const WalletIo& io);

}  // namespace phalanx::wallet
