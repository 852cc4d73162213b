// Encrypted key files: round trip, file modes, refusal to overwrite, and clear errors for a
// wrong password and for every kind of damaged file. Uses KeystoreParams::minimum() so each
// Argon2id derivation takes microseconds.
#include "crypto/keystore.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/testutil/keys.h"
#include "tests/testutil/temp_dir.h"

namespace phalanx::crypto {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using testutil::seed_of;

class KeystoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = testutil::make_temp_dir("keystore");
    dir_ = root_ + "/wallet/keys";  // not yet created: keystore_create makes it
  }
  void TearDown() override { fs::remove_all(root_); }

  void create(const std::string& name, uint8_t seed_first, const std::string& password = "pw") {
    Status status =
        keystore_create(dir_, name, seed_of(seed_first), password, KeystoreParams::minimum());
    ASSERT_TRUE(status.is_ok()) << status.to_string();
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name + ".key"; }
  json read_json(const std::string& name) const {
    std::ifstream in(path(name));
    return json::parse(in);
  }
  void write_text(const std::string& name, const std::string& text) const {
    std::ofstream(path(name), std::ios::trunc) << text;
  }
  std::string unlock_error(const std::string& name, const std::string& password = "pw") const {
    auto key = keystore_unlock(dir_, name, password);
    return key ? std::string("(unlocked)") : key.message();
  }

  std::string root_;
  std::string dir_;
};

TEST_F(KeystoreTest, RoundTrip) {
  create("alice", 1, "correct horse");
  auto key = keystore_unlock(dir_, "alice", "correct horse");
  ASSERT_TRUE(key.is_ok()) << key.message();
  EXPECT_EQ(key->seed(), seed_of(1));
  EXPECT_EQ(key->public_key(), SecretKey::from_seed(seed_of(1)).public_key());
  auto info = keystore_info(dir_, "alice");
  ASSERT_TRUE(info.is_ok()) << info.message();
  EXPECT_EQ(info->name, "alice");
  EXPECT_EQ(info->public_key, key->public_key());
  EXPECT_EQ(info->address, address_of(key->public_key()));
}

TEST_F(KeystoreTest, FileIsPrivateAndDirectoryIsCreatedPrivate) {
  create("alice", 1);
  struct stat st {};
  ASSERT_EQ(::stat(path("alice").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // No temporary file is left behind.
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) files += entry.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST_F(KeystoreTest, FileHoldsTheDocumentedFields) {
  create("alice", 1);
  const json document = read_json("alice");
  EXPECT_EQ(document["version"], 1);
  EXPECT_EQ(document["name"], "alice");
  EXPECT_EQ(document["address"],
            format_address(address_of(SecretKey::from_seed(seed_of(1)).public_key())));
  EXPECT_EQ(document["kdf"]["algorithm"], "argon2id13");
  EXPECT_EQ(document["kdf"]["salt"].get<std::string>().size(), 32u);
  EXPECT_EQ(document["cipher"]["algorithm"], "xchacha20poly1305-ietf");
  EXPECT_EQ(document["cipher"]["nonce"].get<std::string>().size(), 48u);
  EXPECT_EQ(document["cipher"]["ciphertext"].get<std::string>().size(), 96u);
  // The seed is not stored in the clear.
  EXPECT_EQ(read_json("alice").dump().find(hex_encode(seed_of(1))), std::string::npos);
}

TEST_F(KeystoreTest, WrongPassword) {
  create("alice", 1, "right");
  EXPECT_EQ(unlock_error("alice", "wrong"),
            "wrong password or corrupted key file " + path("alice"));
  EXPECT_EQ(unlock_error("alice", ""), "wrong password or corrupted key file " + path("alice"));
}

TEST_F(KeystoreTest, RefusesExistingNameAndKeepsTheOriginal) {
  create("alice", 1, "first");
  Status again = keystore_create(dir_, "alice", seed_of(2), "second", KeystoreParams::minimum());
  ASSERT_FALSE(again.is_ok());
  EXPECT_EQ(again.message(), "a key named 'alice' already exists");
  auto key = keystore_unlock(dir_, "alice", "first");
  ASSERT_TRUE(key.is_ok()) << key.message();
  EXPECT_EQ(key->seed(), seed_of(1));
}

TEST_F(KeystoreTest, DamagedCiphertextOrHeaderFailsTheTag) {
  create("alice", 1);
  const json original = read_json("alice");
  const std::string expected = "wrong password or corrupted key file " + path("alice");

  json document = original;
  std::string ciphertext = document["cipher"]["ciphertext"];
  ciphertext[0] = ciphertext[0] == '0' ? '1' : '0';
  document["cipher"]["ciphertext"] = ciphertext;
  write_text("alice", document.dump());
  EXPECT_EQ(unlock_error("alice"), expected);

  // Header fields are associated data: a valid-looking edit still fails the tag.
  document = original;
  document["kdf"]["opslimit"] = document["kdf"]["opslimit"].get<uint64_t>() + 1;
  write_text("alice", document.dump());
  EXPECT_EQ(unlock_error("alice"), expected);

  const PublicKey other = SecretKey::from_seed(seed_of(9)).public_key();
  document = original;
  document["public_key"] = hex_encode(other);
  document["address"] = format_address(address_of(other));
  write_text("alice", document.dump());
  EXPECT_EQ(unlock_error("alice"), expected);
}

TEST_F(KeystoreTest, MalformedFilesAreReportedAsCorrupted) {
  create("alice", 1);
  const json original = read_json("alice");
  const std::string prefix = "key file " + path("alice") + " is corrupted: ";
  struct Case {
    std::function<void(json&)> edit;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](json& d) { d.erase("kdf"); }, "missing field 'kdf' in key file"},
      {[](json& d) { d["extra"] = 1; }, "unknown field 'extra' in key file"},
      {[](json& d) { d["version"] = 2; }, "unsupported version 2"},
      {[](json& d) { d["name"] = "bob"; }, "it holds the key named 'bob'"},
      {[](json& d) { d["kdf"]["algorithm"] = "scrypt"; }, "unsupported kdf 'scrypt'"},
      {[](json& d) { d["kdf"]["memlimit"] = uint64_t{1} << 40; },
       "'memlimit' must be an integer from 8192 to 1073741824"},
      {[](json& d) { d["kdf"]["opslimit"] = -1; }, "'opslimit' must be an integer from 1 to 4"},
      {[](json& d) { d["cipher"]["nonce"] = "00"; }, "'nonce': expected 48 hex characters, got 2"},
      {[](json& d) { d["cipher"]["ciphertext"] = 5; }, "'ciphertext' is not a string"},
      {[](json& d) { d["address"] = "phx1qqqq"; },
       "invalid address: expected 42 characters, got 8"},
      {[](json& d) {
         d["address"] = format_address(address_of(SecretKey::from_seed(seed_of(9)).public_key()));
       },
       "its address does not belong to its public key"},
  };
  for (const Case& c : cases) {
    json document = original;
    c.edit(document);
    write_text("alice", document.dump());
    EXPECT_EQ(unlock_error("alice"), prefix + c.message);
    EXPECT_EQ(keystore_info(dir_, "alice").message(), prefix + c.message);
  }
  write_text("alice", "{\"version\": 1,");
  EXPECT_EQ(unlock_error("alice"), prefix + "not valid JSON");
  write_text("alice", std::string(5000, ' '));
  EXPECT_EQ(unlock_error("alice"), prefix + "larger than 4096 bytes");
}

TEST_F(KeystoreTest, NamesAndPasswordsAreValidated) {
  const KeystoreParams params = KeystoreParams::minimum();
  EXPECT_EQ(keystore_create(dir_, "", seed_of(1), "pw", params).message(), "key name is empty");
  EXPECT_EQ(keystore_create(dir_, ".hidden", seed_of(1), "pw", params).message(),
            "key name must not start with '.'");
  EXPECT_EQ(keystore_create(dir_, "a/b", seed_of(1), "pw", params).message(),
            "key name 'a/b' may only use A-Z a-z 0-9 . _ -");
  EXPECT_EQ(keystore_create(dir_, std::string(65, 'a'), seed_of(1), "pw", params).message(),
            "key name is 65 characters, the maximum is 64");
  EXPECT_EQ(keystore_create(dir_, "alice", seed_of(1), "", params).message(), "password is empty");
  EXPECT_TRUE(validate_key_name("Node-0.backup_1").is_ok());
  EXPECT_EQ(unlock_error("../etc"), "key name must not start with '.'");
  EXPECT_EQ(unlock_error("a/../b"), "key name 'a/../b' may only use A-Z a-z 0-9 . _ -");
}

TEST_F(KeystoreTest, ListReportsAFileInPlaceOfTheDirectory) {
  std::ofstream(root_ + "/plain") << "x";
  const std::string message = keystore_list(root_ + "/plain").message();
  EXPECT_EQ(message.rfind("cannot list keystore " + root_ + "/plain: ", 0), 0u) << message;
}

TEST_F(KeystoreTest, UnknownNameIsReported) {
  create("alice", 1);
  EXPECT_EQ(unlock_error("bob"), "no key file " + path("bob"));
  EXPECT_EQ(keystore_info(dir_, "bob").message(), "no key file " + path("bob"));
}

TEST_F(KeystoreTest, ListIsSortedAndSkipsOtherFiles) {
  auto empty = keystore_list(dir_);  // directory does not exist yet
  ASSERT_TRUE(empty.is_ok()) << empty.message();
  EXPECT_TRUE(empty->empty());
  create("carol", 3);
  create("alice", 1);
  create("bob", 2);
  std::ofstream(dir_ + "/notes.txt") << "not a key";
  std::ofstream(dir_ + "/.alice.key.tmp-0011") << "partial";
  fs::create_symlink(dir_ + "/missing", dir_ + "/dangling.key");
  auto keys = keystore_list(dir_);
  ASSERT_TRUE(keys.is_ok()) << keys.message();
  ASSERT_EQ(keys->size(), 3u);
  EXPECT_EQ((*keys)[0].name, "alice");
  EXPECT_EQ((*keys)[1].name, "bob");
  EXPECT_EQ((*keys)[2].name, "carol");
  EXPECT_EQ((*keys)[1].public_key, SecretKey::from_seed(seed_of(2)).public_key());
}

}  // namespace
}  // namespace phalanx::crypto
