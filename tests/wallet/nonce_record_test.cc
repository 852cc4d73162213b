// The per-key record of recently sent nonces: the 60 s window, chains kept apart, a record
// of a replaced key ignored, malformed records reported, bounded size, atomic writes.
#include "wallet/nonce_record.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tests/testutil/temp_dir.h"

namespace phalanx::wallet {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kNow = 1'700'000'000'000;
const std::string kAddress = "phx1-test-address";  // the record does not parse addresses

class NonceRecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testutil::make_temp_dir("nonces");
    path_ = nonce_record_path(dir_, "alice");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<SentNonce> load() {
    auto entries = load_nonce_record(path_, kAddress);
    EXPECT_TRUE(entries) << entries.message();
    return entries ? *entries : std::vector<SentNonce>{};
  }
  void save(const std::string& chain_id, uint64_t nonce, int64_t time_ms) {
    const Status saved = save_nonce_record(path_, kAddress, load(), {chain_id, nonce, time_ms});
    ASSERT_TRUE(saved.is_ok()) << saved.to_string();
  }

  std::string dir_;
  std::string path_;
};

TEST_F(NonceRecordTest, MissingRecordIsEmpty) {
  EXPECT_EQ(path_, dir_ + "/alice.nonces.json");
  EXPECT_TRUE(load().empty());
  EXPECT_FALSE(recent_nonce(load(), "c", kNow));
}

TEST_F(NonceRecordTest, HighestFreshNonceOfTheChainCounts) {
  save("c", 4, kNow - 1000);
  save("c", 6, kNow - 500);
  save("c", 5, kNow - 100);
  save("other", 90, kNow - 100);
  EXPECT_EQ(recent_nonce(load(), "c", kNow), 6u);
  EXPECT_EQ(recent_nonce(load(), "other", kNow), 90u);
  EXPECT_FALSE(recent_nonce(load(), "third", kNow));
}

TEST_F(NonceRecordTest, EntriesExpireAfterSixtySeconds) {
  save("c", 9, kNow);
  EXPECT_EQ(recent_nonce(load(), "c", kNow + kNonceWindowMs - 1), 9u);
  EXPECT_FALSE(recent_nonce(load(), "c", kNow + kNonceWindowMs));
  EXPECT_FALSE(recent_nonce(load(), "c", kNow - 1)) << "an entry from the future is not trusted";
  save("c", 3, kNow + kNonceWindowMs + 5);  // the write drops the stale entry
  ASSERT_EQ(load().size(), 1u);
  EXPECT_EQ(load()[0].nonce, 3u);
}

TEST_F(NonceRecordTest, KeepsAtMostTheHighestEntries) {
  std::vector<SentNonce> many;
  for (uint64_t nonce = 0; nonce < kNonceRecordEntriesMax + 9; ++nonce) {
    many.push_back({"c", nonce, kNow});
  }
  const Status saved =
      save_nonce_record(path_, kAddress, many, {"c", kNonceRecordEntriesMax + 9, kNow});
  ASSERT_TRUE(saved.is_ok()) << saved.to_string();
  const std::vector<SentNonce> entries = load();
  ASSERT_EQ(entries.size(), kNonceRecordEntriesMax);
  EXPECT_EQ(recent_nonce(entries, "c", kNow), kNonceRecordEntriesMax + 9);
}

TEST_F(NonceRecordTest, RecordOfAnotherAddressIsIgnored) {
  save("c", 4, kNow);
  auto entries = load_nonce_record(path_, "phx1-another-key");
  ASSERT_TRUE(entries) << entries.message();
  EXPECT_TRUE(entries->empty());
}

TEST_F(NonceRecordTest, MalformedRecordIsAnError) {
  for (const char* text :
       {"not json", "[]", R"({"version":2,"address":"a","sent":[]})",
        R"({"version":1,"address":"phx1-test-address","sent":[{"nonce":-1}]})"}) {
    std::ofstream(path_, std::ios::trunc) << text;
    auto entries = load_nonce_record(path_, kAddress);
    ASSERT_FALSE(entries) << text;
    EXPECT_NE(entries.message().find("is malformed"), std::string::npos) << entries.message();
  }
}

TEST_F(NonceRecordTest, OversizedRecordIsRefused) {
  std::ofstream(path_, std::ios::trunc) << std::string(kNonceRecordBytesMax + 1, ' ');
  auto entries = load_nonce_record(path_, kAddress);
  ASSERT_FALSE(entries);
  EXPECT_NE(entries.message().find("larger than"), std::string::npos) << entries.message();
}

TEST_F(NonceRecordTest, WritesAtomicallyWithPrivateMode) {
  save("c", 1, kNow);
  save("c", 2, kNow);
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "alice.nonces.json") << "leftover temporary file";
  }
  EXPECT_EQ(files, 1u);
}

}  // namespace
}  // namespace phalanx::wallet
