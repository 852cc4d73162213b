// The state tree's write-back cache (the idea of geth's path-based state scheme): tree nodes
// written by recent commits stay in memory and reach LMDB's `tree` database only every few
// commits, in one sorted batch. Random accounts touch nodes all over the tree, and LMDB
// copies a whole 4 KiB page for each node it rewrites; a flush rewrites each dirty node once
// however many commits touched it, and neighbouring dirty nodes share their pages.
//
// Durability without writing the nodes: each commit that does not flush stores the tree
// updates it applied (key, value hash) in the `tree_pending` database, in the same LMDB
// transaction as the block, its accounts and its state root. The tree in LMDB is the tree at
// `tree_height` (meta); on open, recover() replays the pending updates above it in one batch,
// checks the root against the stored state root of the tip, and flushes. A crash at any
// instant therefore leaves the old or the new height with everything that belongs to it:
// the nodes are a cache of the accounts, rebuilt exactly (the tree's storage is canonical:
// one layout per set of leaves).
//
//   pending record := height:u64 -> update*     (ascending keys, each key once)
//   update         := key:32 present:u8 value_hash:32   (present 0: the key was deleted and
//                                                         value_hash is zero)
//
// Reads: each commit publishes an immutable TreeLayer (the nodes it wrote) on top of the
// previous one; a flush publishes an empty layer with no parent. A Snapshot keeps the layer
// of its height, so it reads the tree as of its own LMDB transaction while the writer goes on
// (layer chain first, then LMDB). A snapshot whose transaction predates the latest flush
// cannot find its layer and is retaken (layer_at returns nullptr).
//
// The writer also keeps the flushed nodes of the top kCleanNibblesMax levels (every block
// passes through them) as a read cache, so a commit after a flush does not read them back
// from LMDB: at most 1 + 16 + 256 + 4096 nodes, about 3 MiB.
//
// Thread-safety: apply/finish/committed/aborted/recover belong to the store's writer (one
// thread at a time). layer_at and the layers themselves may be used from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "ledger/lmdb.h"
#include "ledger/state_tree.h"

namespace phalanx::ledger {

// Node key bytes -> the node's record; nullptr: the node was erased.
using TreeNodeMap = std::unordered_map<std::string, std::shared_ptr<const Bytes>>;

struct TreeLayer {
  uint64_t height = 0;                      // the committed height whose tree this layer completes
  TreeNodeMap nodes;                        // what the commit of `height` wrote
  std::shared_ptr<const TreeLayer> parent;  // nullptr: below is LMDB's tree
};

// The tree as of one layer: the layers from `top` down, then LMDB's tree database.
class LayeredNodeReader final : public NodeReader {
 public:
  LayeredNodeReader(const TreeLayer* top, const lmdb::Txn& txn, MDB_dbi tree)
      : top_(top), lmdb_(txn, tree) {}
  Result<std::optional<ByteSpan>> view(ByteSpan key) const override;

 private:
  const TreeLayer* top_;
  lmdb::NodeStoreTxn lmdb_;
};

// Nodes at nibble depth <= this stay cached after a flush.
constexpr uint32_t kCleanNibblesMax = 3;

struct TreeCacheOptions {
  uint64_t flush_commits = 64;  // flush at least every this many commits
  // or once the records written since the last flush take this much memory (the layers keep
  // every version a snapshot may still read, so this bounds them all)
  uint64_t flush_bytes = uint64_t{64} << 20;
};

struct TreeDatabases {
  MDB_dbi tree = 0, pending = 0, meta = 0;
};

class TreeCache {
 public:
  TreeCache(TreeDatabases databases, TreeCacheOptions options);

  // In the write transaction that opens the store, at tip `height` whose state root is
  // `root`: brings LMDB's tree to the tip (replaying pending updates, or marking a store
  // written before this cache existed as flushed at the tip), then checks the tree's root.
  // Call committed(height) once the transaction commits.
  Status recover(const lmdb::Txn& txn, uint64_t height, const Hash& root);
  // Writes the genesis tree straight to LMDB. Call committed(0) after the commit.
  Result<Hash> write_genesis(const lmdb::Txn& txn, std::span<const TreeUpdate> updates);

  // One block's update inside a commit's write transaction; returns the new root.
  // REQUIRES: updates sorted by key, unique (StateTree::apply).
  Result<Hash> apply(const lmdb::Txn& txn, std::span<const TreeUpdate> updates);
  // Last step before the commit's transaction commits at tip `height`: records this
  // commit's updates, or flushes every dirty node when a flush is due.
  Status finish(const lmdb::Txn& txn, uint64_t height);
  // After the transaction committed / aborted.
  void committed(uint64_t height);
  void aborted();

  // The layer of committed height `height`, waiting up to a second while that commit is
  // being published; nullptr when a flush above `height` has retired it (retake the snapshot)
  // or the wait timed out.
  std::shared_ptr<const TreeLayer> layer_at(uint64_t height) const;

  // For tests and the benchmark.
  uint64_t commits_since_flush() const { return commits_since_flush_; }
  size_t dirty_nodes() const { return dirty_.size(); }

 private:
  class WriterStore;
  Status flush(const lmdb::Txn& txn, uint64_t height);
  Status write_pending(const lmdb::Txn& txn, uint64_t height);
  Result<std::vector<TreeUpdate>> read_pending(const lmdb::Txn& txn, uint64_t above) const;
  bool flush_due() const;

  TreeDatabases databases_;
  TreeCacheOptions options_;

  // Writer state.
  TreeNodeMap dirty_;  // the newest record of every node written since the last flush
  TreeNodeMap clean_;  // flushed nodes of the top levels, as LMDB holds them (a read cache)
  TreeNodeMap batch_;  // what the commit in progress wrote (not yet committed)
  std::vector<TreeUpdate> batch_updates_;  // and the updates it applied, in order
  uint64_t written_bytes_ = 0;             // records written since the last flush, every version
  uint64_t batch_bytes_ = 0;               // those of batch_, counted by finish()
  uint64_t commits_since_flush_ = 0;
  bool flushing_ = false;  // the commit in progress flushes

  mutable std::mutex mutex_;
  mutable std::condition_variable published_;
  std::shared_ptr<const TreeLayer> top_;  // guarded by mutex_
};

}  // namespace phalanx::ledger
