// The state tree's write-back cache (the idea of geth's path-based state scheme): the whole
// tree lives in memory as immutable, shared nodes (ledger/mem_tree.h), and reaches LMDB's
// `tree` database only every few commits, in one sorted batch of the nodes written since.
// Random accounts touch nodes all over the tree, and LMDB copies a whole 4 KiB page for each
// node it rewrites; a flush rewrites each node once however many commits touched it, and
// neighbouring nodes share their pages. Between flushes a commit reads and writes no node
// record: it walks pointers, copies the nodes on its paths and hashes what it changed.
//
// Durability without writing the nodes: each commit that does not flush stores the tree
// updates it applied (key, value hash) in the `tree_pending` database, in the same LMDB
// transaction as the block, its accounts and its state root. The tree in LMDB is the tree at
// `tree_height` (meta); on open, recover() reads it into memory (checking every record and
// hash), replays the pending updates above it in one batch, checks the root against the
// stored state root of the tip, and flushes. A crash at any instant therefore leaves the old
// or the new height with everything that belongs to it: the nodes are a cache of the
// accounts, rebuilt exactly (the tree's storage is canonical: one layout per set of leaves).
//
//   pending record := height:u64 -> update*     (ascending keys, each key once)
//   update         := key:32 present:u8 value_hash:32   (present 0: the key was deleted and
//                                                         value_hash is zero)
//
// Reads: each commit publishes an immutable TreeVersion (its height and root). A Snapshot
// keeps the version of its height, so it reads the tree as of its own LMDB transaction while
// the writer goes on; the cache keeps the last few versions, and a snapshot whose height is
// older than those is retaken (version_at returns nullptr).
//
// Thread-safety: apply/finish/committed/aborted/recover/write_genesis belong to the store's
// writer (one thread at a time). version_at and the versions may be used from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "ledger/lmdb.h"
#include "ledger/mem_tree.h"

namespace phalanx::ledger {

// The tree of one committed height (root() nullptr: no tree written yet).
using TreeVersion = MemTreeVersion;

struct TreeCacheOptions {
  // Flush at least every this many commits. The tree is in memory whatever the interval; a
  // longer one rewrites each node once for more updates (less LMDB write volume), and costs
  // a longer replay when the store opens (bounded by flush_bytes).
  uint64_t flush_commits = 1024;
  // or once the pending updates stored since the last flush take this many bytes (what
  // opening the store replays)
  uint64_t flush_bytes = uint64_t{64} << 20;
};

// Versions kept for snapshots being opened (one a commit; snapshots hold theirs).
constexpr size_t kTreeVersionsKept = 4;

struct TreeDatabases {
  MDB_dbi tree = 0, pending = 0, meta = 0;
};

class TreeCache {
 public:
  TreeCache(TreeDatabases databases, TreeCacheOptions options);

  // In the write transaction that opens the store, at tip `height` whose state root is
  // `root`: reads LMDB's tree into memory, brings it to the tip (replaying pending updates,
  // or marking a store written before this cache existed as flushed at the tip), checks the
  // tree's root and flushes.
  // Call committed(height) once the transaction commits.
  Status recover(const lmdb::Txn& txn, uint64_t height, const Hash& root);
  // Builds the genesis tree and writes it to LMDB. Call committed(0) after the commit.
  Result<Hash> write_genesis(const lmdb::Txn& txn, std::span<const TreeUpdate> updates);

  // One block's update, in memory, inside a commit (several blocks may share one); returns
  // the new root. REQUIRES: updates sorted by key, unique (StateTree::apply).
  Result<Hash> apply(std::span<const TreeUpdate> updates);
  // Last step before the commit's transaction commits at tip `height`: records this
  // commit's updates, or flushes every dirty node when a flush is due.
  Status finish(const lmdb::Txn& txn, uint64_t height);
  // After the transaction committed / aborted.
  void committed(uint64_t height);
  void aborted();

  // Checks, in a read transaction at tip `height` whose state root is `root`, that LMDB's
  // tree with its pending updates replayed is that tree (what the next open will rebuild).
  // Reads the whole tree; any thread.
  Status audit(const lmdb::Txn& txn, uint64_t height, const Hash& root) const;

  // The tree of committed height `height`, waiting up to a second while that commit is
  // being published; nullptr when it is older than the versions kept (retake the snapshot)
  // or the wait timed out.
  std::shared_ptr<const TreeVersion> version_at(uint64_t height) const;

  // For tests and the benchmark.
  uint64_t commits_since_flush() const { return commits_since_flush_; }
  // Node versions written since the last flush (0 right after one).
  uint64_t dirty_nodes() const { return dirty_nodes_; }
  // Flushes that rewrote the whole tree (the others wrote the changed nodes).
  uint64_t whole_rewrites() const { return whole_rewrites_; }

 private:
  // LMDB's tree with the pending updates above its height replayed (in its batch).
  Result<MemTree> stored_tree(const lmdb::Txn& txn, uint64_t height, MemTreeChanges* changes) const;
  Status flush(const lmdb::Txn& txn, uint64_t height);
  // Erases from LMDB the nodes erased since the last flush that `root` does not have.
  Status erase_gone(const lmdb::Txn& txn, const MemNode* root);
  Result<std::vector<TreeUpdate>> read_pending(const lmdb::Txn& txn, uint64_t above) const;
  bool flush_due(uint64_t pending_bytes) const;
  void clear_batch();  // the commit's own state (not the tree's batch)

  TreeDatabases databases_;
  TreeCacheOptions options_;

  // Writer state.
  MemTree tree_;                     // the committed tree and the commit in progress
  uint64_t flushed_born_ = 0;        // LMDB holds every node born up to this
  std::vector<TreeNodeKey> erased_;  // nodes erased since the last flush
  uint64_t dirty_nodes_ = 0;
  uint64_t whole_rewrites_ = 0;
  uint64_t pending_bytes_ = 0;  // pending records stored since the last flush
  uint64_t commits_since_flush_ = 0;
  // The commit in progress (not yet committed).
  MemTreeChanges batch_changes_;
  std::vector<TreeUpdate> batch_updates_;  // the updates it applied, in order
  uint64_t batch_pending_bytes_ = 0;
  bool flushing_ = false;  // the commit in progress flushes

  mutable std::mutex mutex_;
  mutable std::condition_variable published_;
  std::deque<std::shared_ptr<const TreeVersion>> versions_;  // guarded by mutex_, newest last
};

}  // namespace phalanx::ledger
