// The state tree's write-back cache (ledger/tree_cache.h) inside the store: flushes every few
// commits, replay of the pending updates on open (and refusal when they do not reproduce the
// stored root), snapshots that keep reading their own height's tree across flushes and
// failed commits, and the upgrade of a store whose tree lived in the ledger's own database
// (formats 1 and 2).
#include "ledger/tree_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "ledger/store_records.h"
#include "tests/ledger/store_fixture.h"

namespace phalanx::ledger {
namespace {

using namespace store_fixture;  // NOLINT(google-build-using-namespace): the shared fixture

class TreeCacheTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    options_.tree_cache.flush_commits = 4;
  }

  // Commits `count` blocks of `txs` transfers, checking each root against the model. Waits
  // for the flusher after each, so flushes start at the commits the options say (a commit
  // skips a due flush while the last one still runs).
  void commit(Store& store, ChainGenerator& chain, int count, size_t txs = 12) {
    for (int i = 0; i < count; ++i) {
      const CertifiedBlock block = chain.next(txs);
      auto executed = store.commit_block(block.block, block.certificate);
      ASSERT_TRUE(executed.is_ok()) << executed.status().to_string();
      ASSERT_EQ(executed->state_root, chain.model().state_root()) << "height " << chain.height();
      ASSERT_TRUE(store.tree_cache().wait_flushed().is_ok());
    }
  }

  // Every user's proof verifies against the model's root.
  void expect_proofs(const Snapshot& snapshot, const ChainGenerator& chain) {
    for (uint8_t i = 1; i <= kUsers + 3; ++i) {
      auto proof = snapshot.prove(address(i));
      ASSERT_TRUE(proof.is_ok()) << proof.status().to_string();
      EXPECT_EQ(proof->state_root, chain.model().state_root());
      EXPECT_TRUE(proof->verify(address(i))) << "user " << int{i};
    }
  }

  // Raw access to the store's LMDB environment (the store must be closed).
  template <class Edit>
  void edit_raw(Edit edit) {
    auto env = lmdb::Env::open(dir_, lmdb::EnvOptions{});
    ASSERT_TRUE(env.is_ok()) << env.status().to_string();
    auto txn = lmdb::Txn::begin(*env, false);
    ASSERT_TRUE(txn.is_ok());
    edit(*txn);
    ASSERT_TRUE(txn->commit().is_ok());
  }

  // Rewrites the closed store as format `format` (1 or 2) left it: the tree environment's
  // nodes in the ledger's own `tree` database (format 2: with their height in meta
  // "tree_height"; format 1: no height and no pending records, the tree at the tip) and no
  // tree environment.
  void make_legacy(uint64_t format) {
    std::map<std::string, Bytes> nodes;
    std::optional<uint64_t> height;
    {
      auto flusher = open_tree_flusher(dir_);
      ASSERT_NE(flusher, nullptr);
      auto read = flusher->read([&](ByteSpan key, ByteSpan value) {
        nodes[std::string(key.begin(), key.end())] = Bytes(value.begin(), value.end());
        return Status::ok();
      });
      ASSERT_TRUE(read.is_ok() && read->has_value());
      height = *read;
    }
    std::filesystem::remove_all(dir_ + "/tree");
    ASSERT_NO_FATAL_FAILURE(edit_raw([&](const lmdb::Txn& txn) {
      auto tree = lmdb::open_database(txn, "tree", false);
      auto meta = lmdb::open_database(txn, "meta", false);
      auto pending = lmdb::open_database(txn, "tree_pending", false);
      ASSERT_TRUE(tree.is_ok() && meta.is_ok() && pending.is_ok());
      for (const auto& [key, value] : nodes) {
        ASSERT_TRUE(lmdb::put(txn, *tree, as_span(key), value).is_ok());
      }
      ASSERT_TRUE(
          lmdb::put(txn, *meta, as_span(records::kFormat), records::encode_u64(format)).is_ok());
      if (format == 2) {
        ASSERT_TRUE(lmdb::put(txn, *meta, as_span(std::string_view("tree_height")),
                              records::encode_u64(*height))
                        .is_ok());
      } else {
        ASSERT_TRUE(lmdb::clear(txn, *pending).is_ok());
      }
    }));
  }

  // What a store of format 3 holds: its format, and no nodes in the ledger's `tree` database.
  void expect_format_3() {
    ASSERT_NO_FATAL_FAILURE(edit_raw([&](const lmdb::Txn& txn) {
      auto meta = lmdb::open_database(txn, "meta", false);
      auto tree = lmdb::open_database(txn, "tree", false);
      ASSERT_TRUE(meta.is_ok() && tree.is_ok());
      EXPECT_EQ(*records::meta_u64(txn, *meta, records::kFormat), records::kFormatVersion);
      EXPECT_EQ(*lmdb::entries(txn, *tree), 0u);
      EXPECT_FALSE(lmdb::get(txn, *meta, as_span(std::string_view("tree_height")))->has_value());
    }));
  }
};

// TreeCache alone over an LMDB environment: which version a reader of each height gets, and
// that an older version reads unchanged while the writer goes on.
TEST(TreeCacheVersions, TheLastFewHeightsHaveTheirVersionAndOlderOnesReadUnchanged) {
  const std::string dir = testutil::make_temp_dir("phalanx-tree-cache");
  {
    auto env = lmdb::Env::open(dir, lmdb::EnvOptions{});
    ASSERT_TRUE(env.is_ok());
    const TreeDatabases databases = store_fixture::open_tree_databases(*env);
    TreeCache cache(open_tree_flusher(dir), databases, TreeCacheOptions{3, uint64_t{1} << 30});
    MemoryNodeStore model;
    std::shared_ptr<const TreeVersion> held;  // a reader holding height 2 throughout
    Hash root_at_2{};
    const uint64_t last = kTreeVersionsKept + 4;  // flushes at 3 and 6
    for (uint64_t height = 1; height <= last; ++height) {
      std::vector<TreeUpdate> updates;
      for (uint8_t i = 0; i < 4; ++i) {
        Hash key{}, value{};
        key[0] = static_cast<uint8_t>(16 * i + height);
        value[0] = static_cast<uint8_t>(height);
        updates.push_back({key, value});
      }
      auto txn = lmdb::Txn::begin(*env, false);
      ASSERT_TRUE(txn.is_ok());
      auto root = cache.apply(updates);
      ASSERT_TRUE(root.is_ok());
      EXPECT_EQ(*root, *StateTree(model).apply(updates));
      ASSERT_TRUE(cache.finish(*txn, height).is_ok());
      ASSERT_TRUE(txn->commit().is_ok());
      cache.committed(height);
      for (uint64_t h = 1; h <= height; ++h) {
        auto version = cache.version_at(h);
        const bool kept = height - h < kTreeVersionsKept;
        EXPECT_EQ(version != nullptr, kept) << "version " << h << " after commit " << height;
        if (version != nullptr) {
          EXPECT_EQ(version->height(), h);
        }
      }
      if (height == 2) {
        held = cache.version_at(2);
        root_at_2 = *root;
      }
    }
    ASSERT_NE(held, nullptr);
    EXPECT_EQ(mem_tree_root_hash(held->root()), root_at_2);
    const MemNodeReader reader(held);
    EXPECT_EQ(*StateTree(static_cast<const NodeReader&>(reader)).root_hash(), root_at_2);
  }
  std::filesystem::remove_all(dir);
}

TEST_F(TreeCacheTest, FlushesEveryFewCommitsAndRootsStayRight) {
  auto store = open_store();
  ChainGenerator chain(genesis_, 11);
  EXPECT_EQ(store->tree_cache().commits_since_flush(), 0u);
  ASSERT_NO_FATAL_FAILURE(commit(*store, chain, 2));
  EXPECT_EQ(store->tree_cache().commits_since_flush(), 2u);
  EXPECT_GT(store->tree_cache().dirty_nodes(), 0u);
  ASSERT_NO_FATAL_FAILURE(commit(*store, chain, 2));  // the 4th commit starts a flush
  EXPECT_EQ(store->tree_cache().commits_since_flush(), 0u);
  EXPECT_EQ(store->tree_cache().dirty_nodes(), 0u);
  ASSERT_TRUE(store->tree_cache().wait_flushed().is_ok());
  EXPECT_EQ(store->tree_cache().flushes(), 2u);  // genesis's and this one
  EXPECT_EQ(store->tree_cache().flusher().durable_height(), std::optional<uint64_t>(4));
  ASSERT_NO_FATAL_FAILURE(commit(*store, chain, 7));
  EXPECT_EQ(store->tree_cache().commits_since_flush(), 3u);
  EXPECT_TRUE(store->check_consistency().is_ok());
  ASSERT_NO_FATAL_FAILURE(expect_proofs(*store->snapshot(), chain));
}

TEST_F(TreeCacheTest, ReopeningReplaysThePendingUpdates) {
  ChainGenerator chain(genesis_, 12);
  {
    auto store = open_store();
    ASSERT_NO_FATAL_FAILURE(commit(*store, chain, 6));  // flushed at 4, pending 5 and 6
    ASSERT_EQ(store->tree_cache().commits_since_flush(), 2u);
    ASSERT_TRUE(store->tree_cache().wait_flushed().is_ok());
  }
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->tree_cache().flusher().durable_height(), std::optional<uint64_t>(4));
  EXPECT_EQ(store->tree_cache().commits_since_flush(), 1u);  // the replay, as one commit
  EXPECT_TRUE(store->check_consistency().is_ok());
  ASSERT_NO_FATAL_FAILURE(expect_proofs(*store->snapshot(), chain));
  ASSERT_NO_FATAL_FAILURE(commit(*store, chain, 5));
  EXPECT_TRUE(store->check_consistency().is_ok());
}

TEST_F(TreeCacheTest, PendingUpdatesThatDoNotReproduceTheRootRefuseToOpen) {
  ChainGenerator chain(genesis_, 13);
  {
    auto store = open_store();
    ASSERT_NO_FATAL_FAILURE(commit(*store, chain, 5));
  }
  ASSERT_NO_FATAL_FAILURE(edit_raw([&](const lmdb::Txn& txn) {
    auto pending = lmdb::open_database(txn, "tree_pending", false);
    ASSERT_TRUE(pending.is_ok());
    auto record = lmdb::get(txn, *pending, lmdb::u64_key(5));
    ASSERT_TRUE(record.is_ok() && record->has_value());
    Bytes changed((*record)->begin(), (*record)->end());
    changed.back() ^= 1;  // the last update's value hash
    ASSERT_TRUE(lmdb::put(txn, *pending, lmdb::u64_key(5), changed).is_ok());
  }));
  auto store = Store::open(dir_, genesis_, options_);
  ASSERT_FALSE(store.is_ok());
  EXPECT_NE(store.status().message().find("does not match its stored state root"),
            std::string::npos)
      << store.status().message();
}

TEST_F(TreeCacheTest, AMalformedPendingRecordIsAClearError) {
  ChainGenerator chain(genesis_, 14);
  {
    auto store = open_store();
    ASSERT_NO_FATAL_FAILURE(commit(*store, chain, 5));
  }
  ASSERT_NO_FATAL_FAILURE(edit_raw([&](const lmdb::Txn& txn) {
    auto pending = lmdb::open_database(txn, "tree_pending", false);
    ASSERT_TRUE(pending.is_ok());
    const Bytes truncated(64, 7);  // not a whole update
    ASSERT_TRUE(lmdb::put(txn, *pending, lmdb::u64_key(5), truncated).is_ok());
  }));
  auto store = Store::open(dir_, genesis_, options_);
  ASSERT_FALSE(store.is_ok());
  EXPECT_NE(store.status().message().find("corrupt tree pending record 5"), std::string::npos)
      << store.status().message();
}

TEST_F(TreeCacheTest, ASnapshotKeepsItsTreeAcrossFlushes) {
  auto store = open_store();
  ChainGenerator chain(genesis_, 15);
  ASSERT_NO_FATAL_FAILURE(commit(*store, chain, 2));
  auto old_snapshot = store->snapshot();
  ASSERT_TRUE(old_snapshot.is_ok());
  const ChainGenerator at_two = chain;
  ASSERT_NO_FATAL_FAILURE(commit(*store, chain, 9));  // two flushes since
  ASSERT_NO_FATAL_FAILURE(expect_proofs(*old_snapshot, at_two));
  ASSERT_NO_FATAL_FAILURE(expect_proofs(*store->snapshot(), chain));
}

TEST_F(TreeCacheTest, AFailedCommitLeavesNoTraceInTheCache) {
  auto store = open_store();
  ChainGenerator chain(genesis_, 16);
  ASSERT_NO_FATAL_FAILURE(commit(*store, chain, 1));
  // A valid next block paying an address the chain never touches (so its tree writes are
  // not all overwritten by the chain's next block), then one that does not extend it.
  Block block;
  block.header.chain_id = kChain;
  block.header.height = chain.height() + 1;
  block.header.prev_hash = chain.tip_hash();
  block.header.timestamp_ms = 1764000000000 + block.header.height;
  const uint64_t nonce = (*chain.model().account(address(1))).value_or(Account{}).nonce;
  block.transactions = {make_transfer(key(1), kChain, address(50), 5, 1, nonce)};
  block.header.tx_count = 1;
  block.header.tx_root = merkle_root(transaction_hashes(block));
  const std::vector<CertifiedBlock> blocks = {{block, certificate_for(block.header.height)},
                                              {block, certificate_for(block.header.height)}};
  auto failed = store->commit_blocks(blocks);
  ASSERT_FALSE(failed.is_ok());
  EXPECT_NE(failed.status().message().find("does not extend"), std::string::npos)
      << failed.status().message();
  EXPECT_EQ(store->tree_cache().commits_since_flush(), 1u);
  // The first block's tree writes were discarded with its transaction.
  ASSERT_NO_FATAL_FAILURE(expect_proofs(*store->snapshot(), chain));
  ASSERT_NO_FATAL_FAILURE(commit(*store, chain, 6));
  EXPECT_TRUE(store->check_consistency().is_ok());
}

TEST_F(TreeCacheTest, ReadersProveWhileTheWriterFlushes) {
  options_.tree_cache.flush_commits = 2;
  auto store = open_store();
  ChainGenerator chain(genesis_, 17);
  std::vector<Address> addresses;  // computed here: key() is not thread-safe
  for (uint8_t i = 1; i <= kUsers + 3; ++i) addresses.push_back(address(i));
  std::atomic<bool> done{false};
  std::atomic<uint64_t> proofs{0};
  std::atomic<bool> reader_ok{true};
  std::thread reader([&] {
    while (!done.load() && reader_ok.load()) {
      auto snapshot = store->snapshot();
      if (!snapshot) {
        reader_ok = false;
        break;
      }
      auto root = snapshot->state_root(snapshot->height());
      for (const Address& who : addresses) {
        auto proof = snapshot->prove(who);
        if (!proof || !proof->verify(who) || !root || proof->state_root != **root) {
          reader_ok = false;
        }
      }
      proofs.fetch_add(1);
    }
  });
  bool writer_ok = true;  // no ASSERT before join: a joinable thread would terminate the test
  for (int i = 0; i < 20 && writer_ok; ++i) {
    const CertifiedBlock block = chain.next(4);
    auto executed = store->commit_block(block.block, block.certificate);
    writer_ok = executed.is_ok() && executed->state_root == chain.model().state_root();
  }
  while (writer_ok && proofs.load() < 3 && reader_ok.load()) std::this_thread::yield();
  done = true;
  reader.join();
  EXPECT_TRUE(writer_ok);
  EXPECT_TRUE(reader_ok.load());
}

// Several blocks in one transaction touching the same accounts: the pending record holds each
// key once, with its last value, and reopening replays it to the same root.
TEST_F(TreeCacheTest, AMultiBlockCommitRecordsEachKeyOnceAndReplays) {
  ChainGenerator chain(genesis_, 21);
  {
    auto store = open_store();
    for (int round = 0; round < 2; ++round) {
      std::vector<CertifiedBlock> blocks;
      for (int i = 0; i < 3; ++i) blocks.push_back(chain.next(12));  // six users: keys repeat
      auto executed = store->commit_blocks(blocks);
      ASSERT_TRUE(executed.is_ok()) << executed.status().to_string();
      ASSERT_EQ(executed->back().state_root, chain.model().state_root());
    }
    ASSERT_EQ(store->tree_cache().commits_since_flush(), 2u);
  }
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->height(), 6u);
  EXPECT_TRUE(store->check_consistency().is_ok());
  ASSERT_NO_FATAL_FAILURE(expect_proofs(*store->snapshot(), chain));
}

TEST_F(TreeCacheTest, AFlushIsDueOnceThePendingUpdatesReachTheByteBudget) {
  options_.tree_cache.flush_commits = 1000;
  options_.tree_cache.flush_bytes = 1 << 10;  // a few commits' pending updates (65 bytes each)
  auto store = open_store();
  ChainGenerator chain(genesis_, 19);
  uint64_t most = 0;
  for (int i = 0; i < 12; ++i) {
    ASSERT_NO_FATAL_FAILURE(commit(*store, chain, 1));
    most = std::max(most, store->tree_cache().commits_since_flush());
  }
  EXPECT_GT(most, 0u);   // some commits were not flushed...
  EXPECT_LT(most, 11u);  // ...but the budget flushed long before flush_commits
  EXPECT_TRUE(store->check_consistency().is_ok());
}

TEST_F(TreeCacheTest, AnEmptyCommitLeavesThePendingUpdatesAlone) {
  ChainGenerator chain(genesis_, 20);
  {
    auto store = open_store();
    ASSERT_NO_FATAL_FAILURE(commit(*store, chain, 2));
    auto none = store->commit_blocks({});
    ASSERT_TRUE(none.is_ok()) << none.status().to_string();
    EXPECT_TRUE(none->empty());
    EXPECT_EQ(store->tree_cache().commits_since_flush(), 2u);
  }
  auto store = open_store();  // replays heights 1 and 2
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->check_consistency().is_ok());
}

TEST_F(TreeCacheTest, AStoreWithTheTreeWrittenInPlaceIsUpgraded) {
  ChainGenerator chain(genesis_, 18);
  {
    auto store = open_store();
    ASSERT_NO_FATAL_FAILURE(commit(*store, chain, 3));
    // The tree on disk at the tip, as format 1 kept it.
    ASSERT_TRUE(store->tree_cache().flush_now().is_ok());
    EXPECT_EQ(store->tree_cache().flusher().durable_height(), std::optional<uint64_t>(3));
  }
  ASSERT_NO_FATAL_FAILURE(make_legacy(1));
  {
    auto store = open_store();
    ASSERT_NE(store, nullptr);
    EXPECT_TRUE(store->check_consistency().is_ok());
    ASSERT_NO_FATAL_FAILURE(commit(*store, chain, 2));  // pending, not flushed
  }
  ASSERT_NO_FATAL_FAILURE(expect_format_3());
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->check_consistency().is_ok());
  ASSERT_NO_FATAL_FAILURE(expect_proofs(*store->snapshot(), chain));
}

TEST_F(TreeCacheTest, AStoreWithTheTreeInTheLedgerIsUpgraded) {
  ChainGenerator chain(genesis_, 22);
  {
    auto store = open_store();
    ASSERT_NO_FATAL_FAILURE(commit(*store, chain, 6));  // flushed at 4, pending 5 and 6
    ASSERT_TRUE(store->tree_cache().wait_flushed().is_ok());
  }
  ASSERT_NO_FATAL_FAILURE(make_legacy(2));
  {
    auto store = open_store();
    ASSERT_NE(store, nullptr);
    // Moved to the tree environment at the tip, with the pending updates replayed.
    EXPECT_EQ(store->tree_cache().flusher().durable_height(), std::optional<uint64_t>(6));
    EXPECT_TRUE(store->check_consistency().is_ok());
    ASSERT_NO_FATAL_FAILURE(commit(*store, chain, 5));
    ASSERT_TRUE(store->tree_cache().wait_flushed().is_ok());
  }
  ASSERT_NO_FATAL_FAILURE(expect_format_3());
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->check_consistency().is_ok());
  ASSERT_NO_FATAL_FAILURE(expect_proofs(*store->snapshot(), chain));
}

// A crash after the tree environment took a format 1 or 2 tree but before the opening
// transaction removed it from the ledger: the next open removes it.
TEST_F(TreeCacheTest, ALegacyTreeLeftInTheLedgerAfterItMovedIsRemoved) {
  ChainGenerator chain(genesis_, 23);
  {
    auto store = open_store();
    ASSERT_NO_FATAL_FAILURE(commit(*store, chain, 3));
    ASSERT_TRUE(store->tree_cache().flush_now().is_ok());
  }
  ASSERT_NO_FATAL_FAILURE(edit_raw([&](const lmdb::Txn& txn) {  // what the crash left
    auto tree = lmdb::open_database(txn, "tree", false);
    auto meta = lmdb::open_database(txn, "meta", false);
    ASSERT_TRUE(tree.is_ok() && meta.is_ok());
    ASSERT_TRUE(lmdb::put(txn, *tree, as_span(std::string_view("\x00", 1)), Bytes(40, 1)).is_ok());
    ASSERT_TRUE(lmdb::put(txn, *meta, as_span(std::string_view("tree_height")),
                          records::encode_u64(1))
                    .is_ok());
  }));
  {
    auto store = open_store();
    ASSERT_NE(store, nullptr);
    EXPECT_TRUE(store->check_consistency().is_ok());
  }
  ASSERT_NO_FATAL_FAILURE(expect_format_3());
}

// A crash between a flush and the commit that erases the pending records it covers: the next
// open erases them.
TEST_F(TreeCacheTest, PendingRecordsAFlushCoveredAreErasedOnOpen) {
  ChainGenerator chain(genesis_, 24);
  const auto pending_records = [&] {
    uint64_t count = 0;
    edit_raw([&](const lmdb::Txn& txn) {
      auto pending = lmdb::open_database(txn, "tree_pending", false);
      ASSERT_TRUE(pending.is_ok());
      count = *lmdb::entries(txn, *pending);
    });
    return count;
  };
  {
    auto store = open_store();
    ASSERT_NO_FATAL_FAILURE(commit(*store, chain, 3));
    ASSERT_TRUE(store->tree_cache().flush_now().is_ok());  // durable at 3; nothing erased yet
  }
  EXPECT_GT(pending_records(), 0u);
  {
    auto store = open_store();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->tree_cache().flusher().durable_height(), std::optional<uint64_t>(3));
  }
  EXPECT_EQ(pending_records(), 0u);
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->check_consistency().is_ok());
  ASSERT_NO_FATAL_FAILURE(expect_proofs(*store->snapshot(), chain));
}

}  // namespace
}  // namespace phalanx::ledger
