#include "tests/wallet/harness.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/bytes.h"
#include "tests/testutil/temp_dir.h"
#include "wallet/wallet.h"

namespace phalanx::wallet::testing {

namespace fs = std::filesystem;

nlohmann::json WalletRun::json() const {
  nlohmann::json document = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(document.is_discarded()) << "stdout is not one JSON document: " << out;
  return document;
}

WalletHarness::WalletHarness() {
  root = testutil::make_temp_dir("wallet");
  keystore = root + "/keystore";
  password_file = write_file("pw.txt", "pw\n");
  env["PHALANX_KEYSTORE"] = keystore;
  env["PHALANX_KEYSTORE_KDF"] = "minimum";
  env["HOME"] = root + "/home";
}

WalletHarness::~WalletHarness() { fs::remove_all(root); }

WalletRun WalletHarness::run(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  WalletIo io;
  io.out = &out;
  io.err = &err;
  io.getenv = [this](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  io.read_password = [this](const std::string& prompt) -> Result<std::string> {
    prompts_seen.push_back(prompt);
    if (prompt_answers.empty()) return Status::error("no terminal to ask on");
    std::string answer = prompt_answers.front();
    prompt_answers.pop_front();
    return answer;
  };
  io.now_ms = [this] { return now_ms; };
  WalletRun result;
  result.exit_code = run_wallet(args, io);
  result.out = out.str();
  result.err = err.str();
  return result;
}

std::string WalletHarness::write_file(const std::string& name, const std::string& content) const {
  const std::string path = root + "/" + name;
  std::ofstream(path, std::ios::trunc | std::ios::binary) << content;
  return path;
}

std::string WalletHarness::create_key(const std::string& name) {
  WalletRun created = run({"new", name, "--password-file", password_file, "--json"});
  EXPECT_EQ(created.exit_code, 0) << created.err;
  return created.json().value("address", "");
}

std::string WalletHarness::import_key(const std::string& name, const crypto::Seed& seed) {
  const std::string seed_file = write_file(name + ".seed", hex_encode(seed) + "\n");
  WalletRun imported =
      run({"import", name, "--seed-file", seed_file, "--password-file", password_file, "--json"});
  EXPECT_EQ(imported.exit_code, 0) << imported.err;
  return imported.json().value("address", "");
}

crypto::Seed test_seed(uint8_t first) {
  crypto::Seed seed{};
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(first + 7 * i);
  return seed;
}

size_t line_count(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace phalanx::wallet::testing
