// Offline commands through run_wallet(): new, import, list, address; password sources;
// keystore location; --help, --version and usage errors (exit 2, one line).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "crypto/address.h"
#include "tests/wallet/harness.h"

namespace phalanx::wallet::testing {
namespace {

namespace fs = std::filesystem;

std::string address_of_seed(const crypto::Seed& seed) {
  return crypto::format_address(
      crypto::address_of(crypto::SecretKey::from_seed(seed).public_key()));
}

TEST(WalletKeysTest, NewPrintsTheAddressAndWritesAPrivateKeyFile) {
  WalletHarness wallet;
  WalletRun created = wallet.run({"new", "alice", "--password-file", wallet.password_file});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ASSERT_EQ(line_count(created.out), 1u) << created.out;
  const std::string address = created.out.substr(0, created.out.size() - 1);
  EXPECT_TRUE(crypto::parse_address(address)) << address;
  EXPECT_NE(created.err.find("created key 'alice' in " + wallet.keystore), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(wallet.key_path("alice").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(WalletKeysTest, NewJsonShapeAndAddressAgree) {
  WalletHarness wallet;
  WalletRun created = wallet.run({"--json", "new", "bob", "--password-file", wallet.password_file});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const nlohmann::json document = created.json();
  EXPECT_EQ(document.size(), 2u) << document;
  EXPECT_EQ(document["name"], "bob");
  WalletRun address = wallet.run({"address", "bob", "--json"});
  ASSERT_EQ(address.exit_code, 0) << address.err;
  EXPECT_EQ(address.json(), document);
  EXPECT_EQ(wallet.run({"address", "bob"}).out, document["address"].get<std::string>() + "\n");
}

TEST(WalletKeysTest, NewRefusesAnExistingName) {
  WalletHarness wallet;
  const std::string address = wallet.create_key("alice");
  WalletRun again = wallet.run({"new", "alice", "--password-file", wallet.password_file});
  EXPECT_EQ(again.exit_code, 3);
  EXPECT_EQ(again.err, "phalanx-wallet: error: a key named 'alice' already exists in keystore " +
                           wallet.keystore + "\n");
  EXPECT_EQ(wallet.run({"address", "alice"}).out, address + "\n");
}

TEST(WalletKeysTest, NewAsksForThePasswordTwice) {
  WalletHarness wallet;
  wallet.prompt_answers = {"secret", "secret"};
  WalletRun created = wallet.run({"new", "alice"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ASSERT_EQ(wallet.prompts_seen.size(), 2u);
  EXPECT_EQ(wallet.prompts_seen[0], "Password for the new key 'alice': ");
  EXPECT_EQ(wallet.prompts_seen[1], "Repeat the password: ");
  wallet.env["PHALANX_WALLET_PASSWORD"] = "secret";  // the prompted password unlocks it
  EXPECT_EQ(wallet
                .run({"sign", "--from", "alice", "--to", "alice", "--amount", "1", "--fee", "0",
                      "--nonce", "0", "--chain-id", "c"})
                .exit_code,
            0);
}

TEST(WalletKeysTest, MismatchedPasswordsCreateNothing) {
  WalletHarness wallet;
  wallet.prompt_answers = {"secret", "secreT"};
  WalletRun created = wallet.run({"new", "alice"});
  EXPECT_EQ(created.exit_code, 3);
  EXPECT_NE(created.err.find("the two passwords do not match"), std::string::npos) << created.err;
  EXPECT_FALSE(fs::exists(wallet.key_path("alice")));
}

TEST(WalletKeysTest, NoPasswordSourceSaysHowToGiveOne) {
  WalletHarness wallet;  // no prompt answers: "no terminal"
  WalletRun created = wallet.run({"new", "alice"});
  EXPECT_EQ(created.exit_code, 3);
  EXPECT_NE(created.err.find("no password: no terminal to ask on; use --password-file FILE or "
                             "PHALANX_WALLET_PASSWORD"),
            std::string::npos)
      << created.err;
}

TEST(WalletKeysTest, PasswordFromEnvironmentAndEmptyFileRefused) {
  WalletHarness wallet;
  wallet.env["PHALANX_WALLET_PASSWORD"] = "from-env";
  ASSERT_EQ(wallet.run({"new", "alice"}).exit_code, 0);
  EXPECT_TRUE(wallet.prompts_seen.empty());
  const std::string empty = wallet.write_file("empty.txt", "\n");
  WalletRun refused = wallet.run({"new", "bob", "--password-file", empty});
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_NE(refused.err.find("is empty"), std::string::npos) << refused.err;
  WalletRun missing = wallet.run({"new", "bob", "--password-file", wallet.root + "/nope"});
  EXPECT_NE(missing.err.find("cannot open password file"), std::string::npos) << missing.err;
}

TEST(WalletKeysTest, ImportUsesTheSeed) {
  WalletHarness wallet;
  const crypto::Seed seed = test_seed(3);
  EXPECT_EQ(wallet.import_key("imported", seed), address_of_seed(seed));
  const std::string prefixed =
      wallet.write_file("prefixed.seed", "  0x" + hex_encode(seed) + "\r\n");
  WalletRun again = wallet.run(
      {"import", "again", "--seed-file", prefixed, "--password-file", wallet.password_file});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, address_of_seed(seed) + "\n");
}

TEST(WalletKeysTest, ImportRejectsBadSeedFiles) {
  WalletHarness wallet;
  const std::string short_seed = wallet.write_file("short.seed", std::string(62, 'a'));
  const std::string not_hex = wallet.write_file("bad.seed", std::string(63, 'a') + "z");
  for (const auto& [file, expected] : std::vector<std::pair<std::string, std::string>>{
           {short_seed, "expected 64 hex characters, got 62"},
           {not_hex, "must hold a 32-byte Ed25519 seed as 64 hex characters"},
           {wallet.root + "/missing.seed", "no such file"}}) {
    WalletRun imported =
        wallet.run({"import", "k", "--seed-file", file, "--password-file", wallet.password_file});
    EXPECT_EQ(imported.exit_code, 3) << file;
    EXPECT_NE(imported.err.find(expected), std::string::npos) << imported.err;
    EXPECT_EQ(line_count(imported.err), 1u) << imported.err;
  }
  EXPECT_FALSE(fs::exists(wallet.key_path("k")));
  EXPECT_EQ(wallet.run({"import", "k"}).exit_code, 2) << "--seed-file is required";
}

TEST(WalletKeysTest, ListShowsNamesAndAddresses) {
  WalletHarness wallet;
  WalletRun empty = wallet.run({"list", "--json"});
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(empty.json(), nlohmann::json::array());
  const std::string bob = wallet.create_key("bob");
  const std::string alice = wallet.create_key("alice");
  WalletRun listed = wallet.run({"list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.out, "alice  " + alice + "\nbob    " + bob + "\n");
  const nlohmann::json expected = nlohmann::json::array(
      {{{"name", "alice"}, {"address", alice}}, {{"name", "bob"}, {"address", bob}}});
  EXPECT_EQ(wallet.run({"list", "--json"}).json(), expected);
}

TEST(WalletKeysTest, UnknownAndInvalidNames) {
  WalletHarness wallet;
  wallet.create_key("alice");
  WalletRun unknown = wallet.run({"address", "alcie"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_EQ(unknown.err, "phalanx-wallet: error: unknown key name 'alcie': keystore " +
                             wallet.keystore + " has no such key (see 'phalanx-wallet list')\n");
  WalletRun json_error = wallet.run({"address", "alcie", "--json"});
  EXPECT_NE(json_error.json()["error"]["message"].get<std::string>().find("unknown key name"),
            std::string::npos);
  WalletRun invalid = wallet.run({"address", "a/b"});
  EXPECT_EQ(invalid.exit_code, 2);
  EXPECT_NE(invalid.err.find("may only use A-Z a-z 0-9 . _ -"), std::string::npos) << invalid.err;
}

TEST(WalletKeysTest, KeystoreLocation) {
  WalletHarness wallet;
  wallet.env.erase("PHALANX_KEYSTORE");
  ASSERT_EQ(wallet.run({"new", "home-key", "--password-file", wallet.password_file}).exit_code, 0);
  EXPECT_TRUE(fs::exists(wallet.env["HOME"] + "/.phalanx/keystore/home-key.key"));
  const std::string flag_dir = wallet.root + "/flag-keystore";
  wallet.env["PHALANX_KEYSTORE"] = wallet.keystore;
  ASSERT_EQ(
      wallet
          .run({"new", "flag-key", "--keystore", flag_dir, "--password-file", wallet.password_file})
          .exit_code,
      0);
  EXPECT_TRUE(fs::exists(flag_dir + "/flag-key.key"));
  EXPECT_FALSE(fs::exists(wallet.key_path("flag-key")));
  wallet.env.erase("PHALANX_KEYSTORE");
  wallet.env.erase("HOME");
  WalletRun nowhere = wallet.run({"list"});
  EXPECT_EQ(nowhere.exit_code, 3);
  EXPECT_NE(nowhere.err.find("set --keystore DIR, PHALANX_KEYSTORE or HOME"), std::string::npos);
}

TEST(WalletKeysTest, UnknownKdfSettingIsAUsageError) {
  WalletHarness wallet;
  wallet.env["PHALANX_KEYSTORE_KDF"] = "fast";
  WalletRun created = wallet.run({"new", "alice", "--password-file", wallet.password_file});
  EXPECT_EQ(created.exit_code, 2);
  EXPECT_NE(created.err.find("PHALANX_KEYSTORE_KDF must be 'interactive' or 'minimum'"),
            std::string::npos);
}

TEST(WalletKeysTest, HelpAndVersion) {
  WalletHarness wallet;
  WalletRun help = wallet.run({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* word : {"Usage:", "new", "import", "balance", "send", "tx", "--keystore",
                           "--rpc", "--json", "Exit codes"}) {
    EXPECT_NE(help.out.find(word), std::string::npos) << word;
  }
  WalletRun send_help = wallet.run({"send", "--help"});
  EXPECT_EQ(send_help.exit_code, 0);
  EXPECT_NE(send_help.out.find("--timeout"), std::string::npos) << send_help.out;
  WalletRun version = wallet.run({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("phalanx-wallet ", 0), 0u) << version.out;
}

TEST(WalletKeysTest, UsageErrorsAreOneLineWithExitTwo) {
  WalletHarness wallet;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "a command is required"},
      {{"frobnicate"}, "unknown command 'frobnicate'"},
      {{"list", "--bogus"}, "--bogus"},
      {{"address"}, "NAME is required"},
      {{"send", "--from", "a", "--to", "b"}, "--amount is required"},
      {{"send", "--from", "a", "--to", "b", "--amount", "1", "--timeout", "5"}, "--wait"},
  };
  for (const auto& [args, expected] : cases) {
    WalletRun run = wallet.run(args);
    EXPECT_EQ(run.exit_code, 2) << expected;
    EXPECT_EQ(line_count(run.err), 1u) << run.err;
    EXPECT_EQ(run.err.rfind("phalanx-wallet: error: ", 0), 0u) << run.err;
    EXPECT_NE(run.err.find(expected), std::string::npos) << run.err;
    EXPECT_TRUE(run.out.empty());
  }
}

}  // namespace
}  // namespace phalanx::wallet::testing
