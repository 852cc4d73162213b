// Runs phalanx-wallet commands in process with captured stdout/stderr, a private
// environment (a temporary keystore, PHALANX_KEYSTORE_KDF=minimum so each key costs
// microseconds), scripted answers for the password prompt and a settable wall clock.
// Thread-safety: one harness per test.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crypto/ed25519.h"

namespace phalanx::wallet::testing {

struct WalletRun {
  int exit_code = -1;
  std::string out;
  std::string err;
  // stdout parsed as one JSON document (a test failure when it is not).
  nlohmann::json json() const;
};

class WalletHarness {
 public:
  WalletHarness();
  ~WalletHarness();
  WalletHarness(const WalletHarness&) = delete;
  WalletHarness& operator=(const WalletHarness&) = delete;

  WalletRun run(const std::vector<std::string>& args);

  // Writes root/name and returns its path.
  std::string write_file(const std::string& name, const std::string& content) const;
  // Creates key `name` with password "pw" (via --password-file); returns its address.
  std::string create_key(const std::string& name);
  // Imports a key with a known seed; returns its address.
  std::string import_key(const std::string& name, const crypto::Seed& seed);
  std::string key_path(const std::string& name) const { return keystore + "/" + name + ".key"; }

  std::string root;
  std::string keystore;
  std::string password_file;  // holds "pw\n"
  std::map<std::string, std::string> env;
  std::deque<std::string> prompt_answers;  // the prompt fails when empty
  std::vector<std::string> prompts_seen;
  int64_t now_ms = 1'700'000'000'000;
};

crypto::Seed test_seed(uint8_t first);

// Number of lines in `text` (its '\n' characters).
size_t line_count(const std::string& text);

}  // namespace phalanx::wallet::testing
