// The wallet's command line (CLI11): global flags, one command and its arguments, kept as
// the text the user typed. Values (amounts, addresses, hashes) are validated later by
// wallet/values.h so every error names the flag and says what is allowed.
// Thread-safety: pure functions over their arguments.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "wallet/wallet.h"

namespace phalanx::wallet {

constexpr int kPollIntervalMsDefault = 500;
constexpr double kWaitTimeoutSecondsDefault = 60.0;

struct Options {
  // Global flags; empty means "not given" (defaults come from the environment).
  std::string keystore;
  std::string rpc;
  std::string password_file;
  bool json = false;

  std::string command;  // new, import, list, address, balance, sign, send, tx
  std::string name;     // new, import, address; NAME|ADDRESS for balance
  std::string seed_file;
  std::string from;
  std::string to;
  std::string amount;
  std::optional<std::string> fee;
  std::optional<std::string> nonce;
  std::optional<std::string> chain_id;
  bool wait = false;
  std::string timeout_seconds;   // empty: kWaitTimeoutSecondsDefault
  std::string poll_interval_ms;  // empty: kPollIntervalMsDefault
  std::string hash;
};

// Either options to run, or an exit code after help, the version or a usage error has
// been printed to io.
struct ParsedCommandLine {
  std::optional<Options> options;
  int exit_code = kExitOk;
};

ParsedCommandLine parse_command_line(const std::vector<std::string>& args, const WalletIo& io);

std::string wallet_version();

}  // namespace phalanx::wallet
