// TreeCache over LMDB (ledger/tree_cache.h) with the in-memory tree's hard cases: deletes,
// collapses, a node erased and written again within one flush window, a flush that fails.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "ledger/mem_tree.h"
#include "ledger/tree_cache.h"
#include "tests/ledger/store_fixture.h"
#include "tests/ledger/tree_batches.h"
#include "tests/testutil/rng.h"
#include "tests/testutil/temp_dir.h"

namespace phalanx::ledger {
namespace {

using testutil::Rng;

// TreeCache over LMDB with what the ledger itself never does (deletes, collapses, a node
// erased and written again within one flush window): after every flush LMDB's tree holds
// exactly StateTree's records, every commit passes the audit, and a fresh cache recovers.
TEST(MemTreeInLmdb, DeletesAndCollapsesReachLmdbExactlyAndRecover) {
  const testutil::TempDir dir("phalanx-mem-tree");
  auto env = lmdb::Env::open(dir.path(), lmdb::EnvOptions{});
  ASSERT_TRUE(env.is_ok());
  const TreeDatabases databases = store_fixture::open_tree_databases(*env);
  auto lmdb_records = [&](TreeCache& cache) {  // once its flush in progress ended
    EXPECT_TRUE(cache.wait_flushed().is_ok());
    std::map<std::string, Bytes> out;
    EXPECT_TRUE(cache.flusher()
                    .read([&](ByteSpan key, ByteSpan value) {
                      out[std::string(key.begin(), key.end())] = Bytes(value.begin(), value.end());
                      return Status::ok();
                    })
                    .is_ok());
    return out;
  };
  Rng rng(31);
  MemoryNodeStore reference_nodes;
  StateTree reference(reference_nodes);
  std::vector<Hash> known;
  Hash root{};
  const uint64_t flush_commits = 3;
  {
    TreeCache cache(store_fixture::open_tree_flusher(dir.path()), databases,
                    TreeCacheOptions{flush_commits, uint64_t{1} << 30});
    {  // genesis: written and flushed at height 0, as the store does
      auto txn = lmdb::Txn::begin(*env, false);
      ASSERT_TRUE(txn.is_ok());
      const auto updates = random_batch(rng, &known, 3000);
      auto genesis = cache.write_genesis(*txn, updates);
      ASSERT_TRUE(genesis.is_ok());
      ASSERT_EQ(*genesis, *reference.apply(updates));
      ASSERT_TRUE(txn->commit().is_ok());
      cache.committed(0);
    }
    for (uint64_t height = 1; height <= 20; ++height) {
      auto txn = lmdb::Txn::begin(*env, false);
      ASSERT_TRUE(txn.is_ok());
      for (int block = 0; block < 2; ++block) {  // two blocks a commit
        // Mostly small blocks (a flush writes the changed nodes), every 7th commit a large
        // one (a flush rewrites the whole tree).
        const auto updates = random_batch(rng, &known, height % 7 == 0 ? 2500 : 1 + rng.below(60));
        auto applied = cache.apply(updates);
        ASSERT_TRUE(applied.is_ok()) << applied.status().to_string();
        root = *applied;
        ASSERT_EQ(root, *reference.apply(updates)) << "height " << height;
      }
      ASSERT_TRUE(cache.finish(*txn, height).is_ok());
      ASSERT_TRUE(txn->commit().is_ok());
      cache.committed(height);
      // (So that flushes start where flush_commits says: a due one is skipped while the last
      // one runs.)
      ASSERT_TRUE(cache.wait_flushed().is_ok());
      auto read = lmdb::Txn::begin(*env, true);
      ASSERT_TRUE(read.is_ok());
      auto audited = cache.audit(*read, height, root);
      EXPECT_TRUE(audited.is_ok() && *audited) << "height " << height;
      if (cache.commits_since_flush() == 0) {
        EXPECT_EQ(lmdb_records(cache), reference_nodes.nodes()) << "flushed at " << height;
      }
    }
    // The audit notices a tree that does not match.
    auto read = lmdb::Txn::begin(*env, true);
    EXPECT_FALSE(cache.audit(*read, 20, rng.hash()).is_ok());
    // Genesis and the flushes after the large blocks (heights 9 and 15) rewrote the whole
    // tree; the other four wrote the changed nodes.
    EXPECT_EQ(cache.whole_rewrites(), 3u);
  }
  TreeCache reopened(store_fixture::open_tree_flusher(dir.path()), databases,
                     TreeCacheOptions{flush_commits, uint64_t{1} << 30});
  auto txn = lmdb::Txn::begin(*env, false);
  ASSERT_TRUE(txn.is_ok());
  ASSERT_TRUE(reopened.recover(*txn, 20, root).is_ok());
  ASSERT_TRUE(txn->commit().is_ok());
  reopened.committed(20);  // the replay of the pending updates counts as a commit
  // Empty commits until the next flush: it writes the replayed nodes.
  for (uint64_t height = 21; reopened.commits_since_flush() != 0; ++height) {
    auto empty = lmdb::Txn::begin(*env, false);
    ASSERT_TRUE(empty.is_ok());
    ASSERT_TRUE(reopened.finish(*empty, height).is_ok());
    ASSERT_TRUE(empty->commit().is_ok());
    reopened.committed(height);
  }
  EXPECT_EQ(lmdb_records(reopened), reference_nodes.nodes());
  EXPECT_EQ(mem_tree_root_hash(reopened.version_at(20)->root()), root);
}

// A flush that fails (here: the tree environment's map is full) fails the next commit and
// loses nothing: the pending updates stay in the ledger, and a cache with room rebuilds the
// tree from them.
TEST(MemTreeInLmdb, AFailedFlushFailsTheNextCommitAndLosesNothing) {
  const testutil::TempDir dir("phalanx-mem-tree");
  Rng rng(41);
  std::vector<Hash> known;
  Hash root{};
  {
    auto env = lmdb::Env::open(dir.path(), lmdb::EnvOptions{});
    ASSERT_TRUE(env.is_ok());
    const TreeDatabases databases = store_fixture::open_tree_databases(*env);
    lmdb::EnvOptions tiny;
    tiny.map_size_bytes = 64 << 10;  // less than the genesis tree's nodes
    auto flusher = TreeFlusher::open(dir.path() + "/tree", tiny);
    ASSERT_TRUE(flusher.is_ok()) << flusher.status().to_string();
    TreeCache cache(std::move(flusher).value(), databases,
                    TreeCacheOptions{1000, uint64_t{1} << 30});
    {
      auto txn = lmdb::Txn::begin(*env, false);
      ASSERT_TRUE(txn.is_ok());
      auto genesis = cache.write_genesis(*txn, random_batch(rng, &known, 3000));
      ASSERT_TRUE(genesis.is_ok());
      root = *genesis;
      ASSERT_TRUE(txn->commit().is_ok());
      cache.committed(0);  // starts the genesis flush, which cannot fit
    }
    const Status flushed = cache.wait_flushed();
    ASSERT_FALSE(flushed.is_ok());
    EXPECT_NE(flushed.message().find("writing the state tree's nodes"), std::string::npos)
        << flushed.message();
    auto txn = lmdb::Txn::begin(*env, false);
    ASSERT_TRUE(txn.is_ok());
    ASSERT_TRUE(cache.apply(random_batch(rng, &known, 10)).is_ok());
    const Status finished = cache.finish(*txn, 1);
    EXPECT_FALSE(finished.is_ok());  // the store's commit fails: the writer stops
    cache.aborted();
  }
  auto env = lmdb::Env::open(dir.path(), lmdb::EnvOptions{});
  ASSERT_TRUE(env.is_ok());
  TreeCache reopened(store_fixture::open_tree_flusher(dir.path()),
                     store_fixture::open_tree_databases(*env),
                     TreeCacheOptions{1000, uint64_t{1} << 30});
  auto txn = lmdb::Txn::begin(*env, false);
  ASSERT_TRUE(txn.is_ok());
  ASSERT_TRUE(reopened.recover(*txn, 0, root).is_ok());  // genesis, from its pending record
  ASSERT_TRUE(txn->commit().is_ok());
  reopened.committed(0);
  EXPECT_EQ(mem_tree_root_hash(reopened.version_at(0)->root()), root);
  EXPECT_TRUE(reopened.flush_now().is_ok());
}

}  // namespace
}  // namespace phalanx::ledger
