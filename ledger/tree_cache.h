// The state tree's write-back cache (the idea of geth's path-based state scheme): the whole
// tree lives in memory as immutable, shared nodes (ledger/mem_tree.h), and reaches disk only
// every few commits, written by a thread of its own into an LMDB environment of its own
// (ledger/tree_flusher.h, `<ledger>/tree/`). Between flushes a commit reads and writes no node
// record: it walks pointers, copies the nodes on its paths and hashes what it changed; writing
// a large tree's nodes never delays a block's commit.
//
// Durability without writing the nodes: each commit stores the tree updates it applied (key,
// value hash) in the ledger's `tree_pending` database, in the same LMDB transaction as the
// block, its accounts and its state root. The tree environment holds the tree of some
// committed height t (a flush writes the version published after its commit was durable, so
// t never passes the ledger's tip); a pending record is erased only by a commit after the
// flush covering its height is durable. On open, recover() reads the tree of t (checking
// every record and hash), replays the pending updates above t, and checks the root against
// the stored state root of the tip. A crash at any instant therefore leaves the old or the
// new height with everything that belongs to it: the nodes are a cache of the accounts,
// rebuilt exactly (the tree's storage is canonical: one layout per set of leaves).
//
//   pending record := height:u64 -> update*     (ascending keys, each key once)
//   update         := key:32 present:u8 value_hash:32   (present 0: the key was deleted and
//                                                         value_hash is zero)
//
// Stores of formats 1 and 2 kept the nodes in the ledger's own `tree` database (format 2 at
// meta "tree_height", format 1 at the tip); recover() moves them to the tree environment once.
//
// Reads: each commit publishes an immutable TreeVersion (its height and root). A Snapshot
// keeps the version of its height, so it reads the tree as of its own LMDB transaction while
// the writer goes on; the cache keeps the last few versions, and a snapshot whose height is
// older than those is retaken (version_at returns nullptr).
//
// Memory: a flush holds the version it writes, so nodes replaced while it runs stay until it
// ends (at most one more tree's worth; a 1M-account tree's flush takes about half a second).
//
// Thread-safety: apply/finish/committed/aborted/recover/write_genesis belong to the store's
// writer (one thread at a time). version_at and the versions may be used from any thread;
// audit from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "ledger/lmdb.h"
#include "ledger/mem_tree.h"
#include "ledger/tree_flusher.h"

namespace phalanx::ledger {

// The tree of one committed height (root() nullptr: no tree written yet).
using TreeVersion = MemTreeVersion;

struct TreeCacheOptions {
  // Flush at least every this many commits. The tree is in memory whatever the interval; a
  // longer one rewrites each node once for more updates (less write volume: with large
  // blocks of random accounts a flush rewrites about the whole tree, and its writes slow the
  // ledger's synced commits while they go to disk), and costs a longer replay when the store
  // opens (bounded by flush_bytes).
  uint64_t flush_commits = 4096;
  // or once the pending updates stored since the last flush take this many bytes. A commit
  // waits for a flush still running only when twice either bound is reached, so opening the
  // store replays at most about four times flush_bytes (a flush running, the one waited for
  // not yet durable, twice the budget since).
  uint64_t flush_bytes = uint64_t{64} << 20;
};

// Versions kept for snapshots being opened (one a commit; snapshots hold theirs).
constexpr size_t kTreeVersionsKept = 4;

// The ledger environment's databases the cache uses.
struct TreeDatabases {
  MDB_dbi pending = 0, meta = 0;
  MDB_dbi legacy_tree = 0;  // formats 1 and 2's nodes, emptied once moved
};

class TreeCache {
 public:
  TreeCache(std::unique_ptr<TreeFlusher> flusher, TreeDatabases databases,
            TreeCacheOptions options);

  // In the write transaction that opens the store, at tip `height` whose state root is
  // `root`: reads the stored tree into memory, brings it to the tip (replaying pending
  // updates; moving a format 1 or 2 tree into the tree environment) and checks its root.
  // Call committed(height) once the transaction commits.
  Status recover(const lmdb::Txn& txn, uint64_t height, const Hash& root);
  // Builds the genesis tree and records its updates as pending at height 0 (the first flush
  // writes it). Call committed(0) after the commit.
  Result<Hash> write_genesis(const lmdb::Txn& txn, std::span<const TreeUpdate> updates);

  // One block's update, in memory, inside a commit (several blocks may share one); returns
  // the new root. REQUIRES: updates sorted by key, unique (StateTree::apply).
  Result<Hash> apply(std::span<const TreeUpdate> updates);
  // Last step before the commit's transaction commits at tip `height`: records this
  // commit's updates and erases the pending records a finished flush covers. Fails when a
  // flush failed (the disk's error).
  Status finish(const lmdb::Txn& txn, uint64_t height);
  // After the transaction committed (publishes the version; hands it to the flusher when a
  // flush is due) / aborted.
  void committed(uint64_t height);
  void aborted();

  // Checks, in a ledger read transaction at tip `height` whose state root is `root`, that
  // the tree environment's tree with the pending updates above it replayed is that tree (what
  // the next open rebuilds). Reads the whole tree; any thread. False: a flush newer than
  // `height` ended meanwhile; retry with a newer transaction.
  Result<bool> audit(const lmdb::Txn& txn, uint64_t height, const Hash& root) const;

  // The tree of committed height `height`, waiting up to a second while that commit is
  // being published; nullptr when it is older than the versions kept (retake the snapshot)
  // or the wait timed out.
  std::shared_ptr<const TreeVersion> version_at(uint64_t height) const;

  // For tests and the benchmark.
  // Commits since a flush was last started, and the node versions they wrote.
  uint64_t commits_since_flush() const { return commits_since_flush_; }
  uint64_t dirty_nodes() const { return dirty_nodes_; }
  const TreeFlusher& flusher() const { return *flusher_; }
  // Waits for the flush in progress; its error if one failed.
  Status wait_flushed() { return flusher_->wait(); }
  // Writer: flushes the last committed version (after the flush in progress) and waits for it.
  Status flush_now();
  // Flushes ended, and those that rewrote the whole tree (the others wrote changed nodes).
  uint64_t flushes() const { return flusher_->flushes(); }
  uint64_t whole_rewrites() const { return flusher_->whole_rewrites(); }

 private:
  // The stored tree, not yet brought to the tip: the tree environment's, or a format 1 or 2
  // store's own (`legacy`; format 1's is at the tip `tip`).
  struct StoredTree {
    MemTree tree;
    std::optional<uint64_t> height;  // nullopt: none stored yet (every pending record replays)
    bool legacy = false;
  };
  Result<StoredTree> load_stored(const lmdb::Txn& txn, uint64_t tip) const;
  // Replays into `tree` the pending updates above `above` (all: nullopt); adds their stored
  // size to `bytes`.
  Status replay(const lmdb::Txn& txn, std::optional<uint64_t> above, MemTree* tree,
                MemTreeChanges* changes, uint64_t* bytes) const;
  // Moves a format 1 or 2 store's tree (now the batch's, at `height`) to the tree environment.
  Status move_legacy_tree(const lmdb::Txn& txn, uint64_t height);
  // Removes a format 1 or 2 tree from the ledger (none left: no write).
  Status erase_legacy_tree(const lmdb::Txn& txn);
  Status erase_flushed_pending(const lmdb::Txn& txn);
  void maybe_flush(std::shared_ptr<const TreeVersion> version);
  void start_flush(std::shared_ptr<const TreeVersion> version);
  Result<std::vector<TreeUpdate>> read_pending(const lmdb::Txn& txn,
                                               std::optional<uint64_t> above,
                                               uint64_t* bytes) const;
  void clear_batch();  // the commit's own state (not the tree's batch)

  TreeDatabases databases_;
  TreeCacheOptions options_;

  // Writer state.
  MemTree tree_;                     // the committed tree and the commit in progress
  uint64_t flushed_born_ = 0;        // flushes started hold every node born up to this
  std::vector<TreeNodeKey> erased_;  // nodes erased since the last flush started
  uint64_t dirty_nodes_ = 0;         // node versions written since then
  uint64_t pending_bytes_ = 0;       // pending records stored since then
  uint64_t commits_since_flush_ = 0;
  bool flush_requested_ = false;                  // the next commit starts a flush
  std::optional<uint64_t> pending_erased_upto_;  // pending records erased through this height
  // The commit in progress (not yet committed).
  MemTreeChanges batch_changes_;
  std::vector<TreeUpdate> batch_updates_;  // the updates it applied, in order
  uint64_t batch_pending_bytes_ = 0;

  mutable std::mutex mutex_;
  mutable std::condition_variable published_;
  std::deque<std::shared_ptr<const TreeVersion>> versions_;  // guarded by mutex_, newest last

  // Last: destroyed first, so a flush in progress stops before the tree goes.
  std::unique_ptr<TreeFlusher> flusher_;
};

}  // namespace phalanx::ledger
