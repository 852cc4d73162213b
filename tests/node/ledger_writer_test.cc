// node::LedgerWriter on a real LMDB ledger: batches come back in order with what executing
// them produced and a snapshot of exactly that state; blocks queued while a commit is in
// progress share the next transaction (group commit); stop() writes what is queued; a failed
// commit comes back as an error and the writer takes no more blocks.
#include "node/ledger_writer.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "tests/testutil/keys.h"
#include "tests/testutil/temp_dir.h"

namespace phalanx::node {
namespace {

constexpr char kChain[] = "phalanx-writer-test";

using testutil::key_of;

ledger::Genesis test_genesis() {
  ledger::Genesis genesis;
  genesis.chain_id = kChain;
  genesis.genesis_time_ms = 1764000000000;
  for (uint8_t i = 100; i < 104; ++i) {
    genesis.validators.push_back({key_of(i).public_key(), "tcp://127.0.0.1:" + std::to_string(i)});
  }
  genesis.allocations.push_back({crypto::address_of(key_of(1).public_key()), 1'000'000});
  return genesis;
}

// Blocks of one transfer each from account 1, chained on genesis.
class Chain {
 public:
  explicit Chain(const ledger::Genesis& genesis)
      : prev_hash_(ledger::block_hash(ledger::genesis_block(genesis).header)) {}

  BlockToWrite next() {
    ledger::Block block;
    block.header.chain_id = kChain;
    block.header.height = ++height_;
    block.header.prev_hash = prev_hash_;
    block.header.timestamp_ms = 1764000000000 + height_;
    block.transactions.push_back(ledger::make_transfer(
        sender_, kChain, crypto::address_of(key_of(2).public_key()), 1, 0, height_ - 1));
    block.header.tx_count = 1;
    block.header.tx_root = ledger::merkle_root(ledger::transaction_hashes(block));
    prev_hash_ = ledger::block_hash(block.header);
    ledger::CommitCertificate certificate{0, {}};
    for (uint32_t v = 0; v < 3; ++v) certificate.signatures.push_back({v, {}});
    return {{std::move(block), std::move(certificate)}, prev_hash_};
  }

 private:
  crypto::SecretKey sender_ = key_of(1);
  crypto::Hash prev_hash_{};
  uint64_t height_ = 0;
};

// Holds the writer inside before_commit() until released: a slow disk, on demand.
class Gate final : public NodeHooks {
 public:
  void attach(const HookContext&) override {}
  std::vector<HookFrame> outbound(const consensus::Outbound&) override { return {}; }
  std::vector<HookFrame> inbound(uint32_t, const consensus::Message&) override { return {}; }
  std::vector<HookFrame> tick(uint64_t) override { return {}; }
  void before_commit(uint64_t) override {
    std::unique_lock<std::mutex> lock(mutex_);
    ++entered_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
  }
  void wait_entered(int count) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return entered_ >= count; });
  }
  void open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int entered_ = 0;
  bool open_ = false;
};

// What the writer handed back, collected from its thread.
struct Returned {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<LedgerBatch> batches;
  size_t blocks = 0;

  void add(LedgerBatch batch) {
    std::lock_guard<std::mutex> lock(mutex);
    blocks += batch.blocks.size();
    batches.push_back(std::move(batch));
    changed.notify_all();
  }
  void wait_blocks(size_t count) {
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait(lock,
                 [&] { return blocks >= count || (!batches.empty() && !batches.back().status); });
  }
};

class LedgerWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testutil::make_temp_dir("phalanx-writer-test");
    ledger::StoreOptions options;
    options.map_size_bytes = 64 << 20;
    auto store = ledger::Store::open(dir_, genesis_, options);
    ASSERT_TRUE(store.is_ok()) << store.message();
    store_ = std::move(store).value();
  }
  void TearDown() override {
    returned_.batches.clear();  // their snapshots must not outlive the store
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<LedgerWriter> make_writer(NodeHooks* hooks) {
    return std::make_unique<LedgerWriter>(
        store_.get(), hooks, [this](LedgerBatch batch) { returned_.add(std::move(batch)); });
  }

  std::string dir_;
  ledger::Genesis genesis_ = test_genesis();
  std::unique_ptr<ledger::Store> store_;
  Chain chain_{genesis_};
  Returned returned_;
};

TEST_F(LedgerWriterTest, BlocksQueuedDuringACommitShareTheNextTransactionAndComeBackInOrder) {
  Gate gate;
  auto writer = make_writer(&gate);
  ASSERT_TRUE(writer->submit({chain_.next()}));
  gate.wait_entered(1);  // block 1's transaction is "syncing"
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(writer->submit({chain_.next(), chain_.next()}));
  EXPECT_EQ(writer->backlog(), 11u);
  gate.open();
  returned_.wait_blocks(11);
  writer->stop();
  ASSERT_EQ(returned_.batches.size(), 2u);  // block 1, then the ten queued behind it at once
  EXPECT_EQ(returned_.batches[0].blocks.size(), 1u);
  EXPECT_EQ(returned_.batches[1].blocks.size(), 10u);
  uint64_t height = 0;
  for (const LedgerBatch& batch : returned_.batches) {
    ASSERT_TRUE(batch.status.is_ok()) << batch.status.message();
    ASSERT_EQ(batch.executed.size(), batch.blocks.size());
    for (size_t i = 0; i < batch.blocks.size(); ++i) {
      EXPECT_EQ(batch.executed[i].height, ++height);
      EXPECT_EQ(batch.executed[i].block_hash, batch.blocks[i].hash);
      EXPECT_EQ(batch.executed[i].outcome.committed_count(), 1u);
    }
    // The snapshot is the state the batch left, whatever came after.
    EXPECT_EQ(batch.snapshot->height(), height);
    EXPECT_EQ(batch.snapshot->tip_hash(), batch.blocks.back().hash);
  }
  EXPECT_EQ(store_->height(), 11u);
  EXPECT_EQ(writer->backlog(), 0u);
}

TEST_F(LedgerWriterTest, StopWritesWhatIsQueued) {
  Gate gate;
  auto writer = make_writer(&gate);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(writer->submit({chain_.next()}));
  gate.open();
  writer->stop();
  EXPECT_EQ(store_->height(), 4u);
  EXPECT_EQ(returned_.blocks, 4u);
  EXPECT_FALSE(writer->submit({chain_.next()}));  // stopped: refused, not queued
  writer->stop();                                 // idempotent
}

TEST_F(LedgerWriterTest, AFailedCommitComesBackAsAnErrorAndStopsTheWriter) {
  auto writer = make_writer(nullptr);
  ASSERT_TRUE(writer->submit({chain_.next()}));
  returned_.wait_blocks(
      1);               // written on its own (queued together, both would fail: all or nothing)
  (void)chain_.next();  // skipped: the next block does not follow the ledger's tip
  ASSERT_TRUE(writer->submit({chain_.next()}));
  returned_.wait_blocks(2);
  ASSERT_EQ(returned_.batches.size(), 2u);
  EXPECT_TRUE(returned_.batches[0].status.is_ok());
  EXPECT_FALSE(returned_.batches[1].status.is_ok());
  EXPECT_NE(returned_.batches[1].status.message().find("cannot commit blocks 3..3"),
            std::string::npos)
      << returned_.batches[1].status.message();
  EXPECT_EQ(store_->height(), 1u);
  EXPECT_FALSE(writer->submit({chain_.next()}));
}

}  // namespace
}  // namespace phalanx::node
