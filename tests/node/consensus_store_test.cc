// The consensus record store (node/consensus_store.h) and its log (node/record_log.h):
// round trips, bad ops, torn tails at every byte of the last frame, corruption, compaction,
// migration from the LMDB environment of earlier versions, and crash atomicity with a real
// SIGKILLed child process.
#include "node/consensus_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "crypto/sanitizer.h"
#include "ledger/lmdb.h"
#include "tests/testutil/kill_child.h"
#include "tests/testutil/legacy_consensus_env.h"
#include "tests/testutil/rng.h"
#include "tests/testutil/temp_dir.h"

namespace phalanx::node {
namespace {

using testutil::Rng;
using Records = std::map<std::string, Bytes>;

// A directory for one store, removed with it; log() is where the store keeps its records.
struct StoreDir : testutil::TempDir {
  StoreDir() : TempDir("phalanx-consensus-store") {}
  std::string log() const { return path() + "/records.log"; }
};

consensus::PersistOp put(std::string key, Bytes value) {
  return {consensus::PersistOp::Type::kPut, std::move(key), std::move(value)};
}
consensus::PersistOp erase(std::string key) {
  return {consensus::PersistOp::Type::kErase, std::move(key), {}};
}

// Small preallocation so the tests grow the file often.
ConsensusStoreOptions small_options() {
  ConsensusStoreOptions options;
  options.log.preallocate_bytes = 4096;
  return options;
}

std::unique_ptr<ConsensusStore> open_store(const std::string& dir,
                                           const ConsensusStoreOptions& options = small_options()) {
  auto store = ConsensusStore::open(dir, options);
  EXPECT_TRUE(store.is_ok()) << store.message();
  return store.is_ok() ? std::move(store).value() : nullptr;
}

Records load(const ConsensusStore& store) {
  auto records = store.load();
  EXPECT_TRUE(records.is_ok()) << records.message();
  return records.is_ok() ? *records : Records{};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_file(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

TEST(ConsensusStore, WritesInOrderAndSurvivesReopening) {
  StoreDir dir;
  {
    auto store = open_store(dir.path());
    ASSERT_NE(store, nullptr);
    const std::vector<consensus::PersistOp> ops{put("view", {0}), put("a", {1}),   put("b", {2}),
                                                erase("a"),       erase("absent"), put("b", {3})};
    ASSERT_TRUE(store->write(ops).is_ok());
    EXPECT_EQ(load(*store), (Records{{"b", {3}}, {"view", {0}}}));
  }
  auto store = open_store(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(load(*store), (Records{{"b", {3}}, {"view", {0}}}));
}

TEST(ConsensusStore, ErasedRecordsStayErasedAfterReopening) {
  StoreDir dir;
  {
    auto store = open_store(dir.path());
    ASSERT_TRUE(store->write(std::vector{put("a", {1}), put("b", {2}), put("c", {})}).is_ok());
    ASSERT_TRUE(store->write(std::vector{erase("b")}).is_ok());
    ASSERT_TRUE(store->write(std::vector{erase("c"), put("a", {4})}).is_ok());
  }
  auto store = open_store(dir.path());
  EXPECT_EQ(load(*store), (Records{{"a", {4}}}));
}

TEST(ConsensusStore, ABadOpWritesNothing) {
  StoreDir dir;
  auto store = open_store(dir.path());
  ASSERT_NE(store, nullptr);
  const std::vector<consensus::PersistOp> ops{put("kept", {1}), put("", {2})};
  const Status written = store->write(ops);
  ASSERT_FALSE(written.is_ok());
  EXPECT_NE(written.message().find("key"), std::string::npos);
  const std::vector<consensus::PersistOp> long_key{put(std::string(257, 'k'), {1})};
  EXPECT_FALSE(store->write(long_key).is_ok());
  EXPECT_TRUE(load(*store).empty());
  EXPECT_EQ(store->log_bytes(), 0u);
  store.reset();
  EXPECT_TRUE(load(*open_store(dir.path())).empty());
}

// Three writes; returns the log's size before and after the last one.
std::pair<uint64_t, uint64_t> three_writes(const std::string& dir) {
  auto store = open_store(dir);
  EXPECT_TRUE(store->write(std::vector{put("view", {1}), put("a", Bytes(50, 0xaa))}).is_ok());
  EXPECT_TRUE(store->write(std::vector{put("b", Bytes(20, 0xbb)), erase("a")}).is_ok());
  const uint64_t before = store->log_bytes();
  EXPECT_TRUE(store->write(std::vector{put("view", {2}), put("c", Bytes(30, 0xcc))}).is_ok());
  return {before, store->log_bytes()};
}
const Records kAfterTwo{{"b", Bytes(20, 0xbb)}, {"view", {1}}};

// The store reopens with the first two writes and then takes and keeps a new one.
void expect_torn_tail_dropped(const std::string& dir, const std::string& what) {
  SCOPED_TRACE(what);
  {
    auto store = open_store(dir);
    ASSERT_NE(store, nullptr);
    ASSERT_EQ(load(*store), kAfterTwo);
    ASSERT_TRUE(store->write(std::vector{put("d", {4})}).is_ok());
  }
  auto store = open_store(dir);
  ASSERT_NE(store, nullptr);
  Records expected = kAfterTwo;
  expected["d"] = {4};
  ASSERT_EQ(load(*store), expected);
}

TEST(ConsensusStore, ATornTailAtEveryByteOfTheLastFrameIsDropped) {
  StoreDir dir;
  const auto [before, after] = three_writes(dir.path());
  const std::string full = read_file(dir.log());
  ASSERT_LT(before, after);
  for (uint64_t cut = before; cut < after; ++cut) {
    // The file ends inside the frame (a crash before the file grew is not possible, but a
    // shorter file must read the same).
    write_file(dir.log(), full.substr(0, cut));
    expect_torn_tail_dropped(dir.path(), "truncated at " + std::to_string(cut));
    // The frame's bytes from `cut` on never reached the disk: still zeros.
    std::string zeroed = full;
    std::fill(zeroed.begin() + static_cast<ptrdiff_t>(cut),
              zeroed.begin() + static_cast<ptrdiff_t>(after), '\0');
    write_file(dir.log(), zeroed);
    expect_torn_tail_dropped(dir.path(), "zeroed from " + std::to_string(cut));
    // One damaged byte in the last frame.
    std::string flipped = full;
    flipped[cut] = static_cast<char>(flipped[cut] ^ 0x5a);
    write_file(dir.log(), flipped);
    expect_torn_tail_dropped(dir.path(), "byte flipped at " + std::to_string(cut));
  }
}

TEST(ConsensusStore, DamageInAMiddleFrameRefusesToOpen) {
  StoreDir dir;
  three_writes(dir.path());
  std::string content = read_file(dir.log());
  // The second frame starts after the first: 12-byte header, count, two puts.
  const size_t second = 12 + 4 + (1 + 2 + 4 + 4 + 1) + (1 + 2 + 1 + 4 + 50);
  content[second + 20] = static_cast<char>(content[second + 20] ^ 1);
  write_file(dir.log(), content);
  auto store = ConsensusStore::open(dir.path(), small_options());
  ASSERT_FALSE(store.is_ok());
  EXPECT_NE(store.message().find(dir.log()), std::string::npos) << store.message();
  EXPECT_NE(store.message().find("offset " + std::to_string(second)), std::string::npos)
      << store.message();
  EXPECT_NE(store.message().find("corrupt"), std::string::npos) << store.message();
}

// Opens `dir` in a child whose address space may grow by only 256 MiB: a store that
// allocated what a length field claims would die of std::bad_alloc. Returns the child's
// exit status (0: opened with the first two writes). Sanitizers reserve terabytes of
// shadow memory, so there the child runs without the limit.
int open_with_little_memory(const std::string& dir) {
  const pid_t child = fork();
  if (child < 0) return -1;
  if (child == 0) {
    if (!kAddressSanitizer && !kThreadSanitizer) {
      std::ifstream statm("/proc/self/statm");
      uint64_t pages = 0;
      statm >> pages;
      const rlim_t limit = pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) + (256u << 20);
      const rlimit address_space{limit, limit};
      if (setrlimit(RLIMIT_AS, &address_space) != 0) _exit(2);
    }
    try {
      auto store = ConsensusStore::open(dir, small_options());
      if (!store) _exit(3);
      auto records = (*store)->load();
      _exit(records.is_ok() && *records == kAfterTwo ? 0 : 4);
    } catch (...) {  // std::bad_alloc: never back into the test framework
      _exit(5);
    }
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Lengths at and above the frame bound, and far above the file: the frame is the end and
// nothing is allocated for it.
TEST(ConsensusStore, AFrameLengthOfFourGibibytesIsTheEndAndAllocatesNothing) {
  StoreDir dir;
  const auto [before, after] = three_writes(dir.path());
  const std::string content = read_file(dir.log());
  for (const uint32_t length : {uint32_t{0xffffffff}, uint32_t{1} << 30, (uint32_t{1} << 30) + 1}) {
    std::string damaged = content;
    for (size_t i = 0; i < 4; ++i) damaged[before + i] = static_cast<char>(length >> (24 - 8 * i));
    write_file(dir.log(), damaged);
    EXPECT_EQ(open_with_little_memory(dir.path()), 0) << "length " << length;
    write_file(dir.log(), damaged);
    expect_torn_tail_dropped(dir.path(), "length " + std::to_string(length));
  }
}

// Random damage to a valid log, and random files: open() either reads a prefix of the
// writes or refuses with a message; it never crashes, and a store it opens takes writes.
TEST(ConsensusStore, RandomDamageNeverCrashesOpen) {
  StoreDir dir;
  three_writes(dir.path());
  const std::string valid = read_file(dir.log());
  Rng rng(20261128);
  int opened = 0;
  for (int round = 0; round < 300; ++round) {
    std::string content = valid;
    if (round % 3 == 0) {
      content.resize(rng.below(400));
      for (char& c : content) c = static_cast<char>(rng.below(round % 2 == 0 ? 256 : 3));
    } else {
      for (uint64_t n = 1 + rng.below(4); n > 0; --n) {
        content[rng.below(200)] = static_cast<char>(rng.next());
      }
    }
    write_file(dir.log(), content);
    auto store = ConsensusStore::open(dir.path(), small_options());
    if (!store) {
      EXPECT_NE(store.message().find(dir.log()), std::string::npos) << store.message();
      continue;
    }
    ++opened;
    ASSERT_TRUE((*store)->write(std::vector{put("z", {1})}).is_ok());
  }
  EXPECT_GT(opened, 0);
}

TEST(ConsensusStore, CompactionKeepsTheLiveSetAndSurvivesReopening) {
  StoreDir dir;
  ConsensusStoreOptions options = small_options();
  options.compaction_bytes_min = 8192;
  Records model;
  Rng rng(20261127);
  {
    auto store = open_store(dir.path(), options);
    uint64_t log_bytes = 0;
    int compactions = 0;
    for (int i = 0; i < 600; ++i) {
      const std::string key = "k/" + std::to_string(rng.below(40));
      if (rng.below(4) == 0) {
        ASSERT_TRUE(store->write(std::vector{erase(key)}).is_ok());
        model.erase(key);
      } else {
        Bytes value(rng.below(120), static_cast<uint8_t>(i));
        ASSERT_TRUE(store->write(std::vector{put(key, value)}).is_ok());
        model[key] = value;
      }
      // A write that passes the threshold compacts the log down to the live records.
      uint64_t live_bytes = 0;
      for (const auto& [k, v] : model) live_bytes += 1 + 2 + k.size() + 4 + v.size();
      ASSERT_LE(store->log_bytes(), std::max<uint64_t>(8192, 4 * live_bytes));
      if (store->log_bytes() < log_bytes) ++compactions;
      log_bytes = store->log_bytes();
    }
    EXPECT_GE(compactions, 3);
    EXPECT_EQ(load(*store), model);
  }
  EXPECT_FALSE(std::filesystem::exists(dir.log() + ".new"));
  auto store = open_store(dir.path(), options);
  EXPECT_EQ(load(*store), model);
}

TEST(ConsensusStore, ALeftoverCompactionFileIsIgnored) {
  StoreDir dir;
  three_writes(dir.path());
  write_file(dir.log() + ".new", std::string(100, '\x07'));
  auto store = open_store(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(load(*store), (Records{{"b", Bytes(20, 0xbb)}, {"c", Bytes(30, 0xcc)}, {"view", {2}}}));
  EXPECT_FALSE(std::filesystem::exists(dir.log() + ".new"));
}

TEST(ConsensusStore, MigratesTheLmdbEnvironmentOfEarlierVersions) {
  StoreDir dir;
  const Records old{{"view", {0, 0, 0, 3}}, {"checkpoint", Bytes(500, 7)}, {"vote/x", {1, 2}}};
  ASSERT_NO_FATAL_FAILURE(testutil::write_legacy_consensus_env(dir.path(), old));
  ASSERT_TRUE(std::filesystem::exists(dir.path() + "/data.mdb"));
  {
    auto store = open_store(dir.path());
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(load(*store), old);
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/data.mdb"));
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/lock.mdb"));
    EXPECT_TRUE(std::filesystem::exists(dir.log()));
    ASSERT_TRUE(store->write(std::vector{put("view", {0, 0, 0, 4})}).is_ok());
  }
  Records expected = old;
  expected["view"] = {0, 0, 0, 4};
  EXPECT_EQ(load(*open_store(dir.path())), expected);
}

// A crash between the migration's rename and the removal of data.mdb: the next open
// migrates again from the untouched environment, replacing the log.
TEST(ConsensusStore, AnInterruptedMigrationIsRepeated) {
  StoreDir dir;
  const Records old{{"view", {0, 0, 0, 3}}, {"vote/y", {9}}};
  ASSERT_NO_FATAL_FAILURE(testutil::write_legacy_consensus_env(dir.path(), old));
  write_file(dir.log(), std::string(64, '\x01'));  // a log that is not one
  auto store = open_store(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(load(*store), old);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/data.mdb"));
}

TEST(ConsensusStore, TheFileIsWrittenWithZerosAheadOfTheLog) {
  StoreDir dir;
  auto store = open_store(dir.path());  // preallocates 4096 bytes at a time
  ASSERT_TRUE(store->write(std::vector{put("a", Bytes(100, 1))}).is_ok());
  std::string content = read_file(dir.log());
  ASSERT_EQ(content.size(), 4096u);
  EXPECT_EQ(content.find_first_not_of('\0', store->log_bytes()), std::string::npos);
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(store->write(std::vector{put("a", Bytes(100, 2))}).is_ok());
  }
  content = read_file(dir.log());
  EXPECT_EQ(content.size() % 4096, 0u);
  EXPECT_GE(content.size(), store->log_bytes());
  EXPECT_LT(content.size(), store->log_bytes() + 4096);
}

// Write i: "seq" = i, "k/<i%7>" = a value of i, erase "k/<(i+3)%7>".
std::vector<consensus::PersistOp> write_number(uint64_t i) {
  Bytes seq(8);
  for (int b = 0; b < 8; ++b) seq[b] = static_cast<uint8_t>(i >> (56 - 8 * b));
  return {put("seq", seq), put("k/" + std::to_string(i % 7), Bytes(1 + (i * 37) % 300, i & 0xff)),
          erase("k/" + std::to_string((i + 3) % 7))};
}
Records after_writes(uint64_t count) {
  Records model;
  for (uint64_t i = 0; i < count; ++i) {
    for (const consensus::PersistOp& op : write_number(i)) {
      if (op.type == consensus::PersistOp::Type::kPut) {
        model[op.key] = op.value;
      } else {
        model.erase(op.key);
      }
    }
  }
  return model;
}
uint64_t writes_in(const Records& records) {
  auto seq = records.find("seq");
  if (seq == records.end()) return 0;
  uint64_t i = 0;
  for (uint8_t byte : seq->second) i = (i << 8) | byte;
  return i + 1;
}

ConsensusStoreOptions crash_options() {
  ConsensusStoreOptions options = small_options();
  options.compaction_bytes_min = 16384;  // compactions happen under the kills too
  return options;
}

// Child: continues the numbered writes until killed, reporting each durable one on
// `report_fd`. Never returns into the test framework.
[[noreturn]] void write_until_killed(const std::string& dir, int report_fd) {
  auto store = ConsensusStore::open(dir, crash_options());
  if (!store) _exit(3);
  auto records = (*store)->load();
  if (!records) _exit(3);
  for (uint64_t i = writes_in(*records); i < 1'000'000; ++i) {
    if (!(*store)->write(write_number(i))) _exit(4);
    const uint64_t count = i + 1;
    if (::write(report_fd, &count, sizeof count) != sizeof count) _exit(5);
  }
  _exit(0);
}

TEST(ConsensusStore, SigkilledWriterLeavesAPrefixOfWholeWrites) {
  StoreDir dir;
  Rng rng(20261127);
  uint64_t reported = 0;
  for (int round = 0; round < 12; ++round) {
    ASSERT_NO_FATAL_FAILURE(testutil::kill_child_mid_work(
        rng, 2 + rng.below(40), &reported,
        [&](int report_fd) { write_until_killed(dir.path(), report_fd); }));
    auto store = open_store(dir.path(), crash_options());
    ASSERT_NE(store, nullptr);
    const Records records = load(*store);
    const uint64_t writes = writes_in(records);
    ASSERT_GE(writes, reported) << "a durable write was lost";
    ASSERT_LE(writes, reported + 1);
    ASSERT_EQ(records, after_writes(writes)) << "write " << writes - 1 << " is not whole";
    reported = writes;
  }
}

}  // namespace
}  // namespace phalanx::node
