// The state tree's nodes on disk: an LMDB environment of their own (`<ledger>/tree/`), written
// by a thread of their own from an immutable tree version, so that writing a large tree's
// nodes never delays a block's commit (ledger/tree_cache.h decides what to write and when).
//
//   tree  tree_node_key -> node record (ledger/tree_node.h): the tree of meta "height"
//   meta  "height" u64 (absent: no tree written yet)
//
// Each flush is one synced LMDB transaction: the environment holds the tree of one height, the
// old or the new, whatever the instant of a crash. A flush writes the nodes born after the
// previous flush and erases the node keys that went away, or, when about every node changed
// (random accounts over many commits), empties the database and appends the whole tree in
// key order (no search, pages left full).
//
// Not a cache that may be deleted: once a flush is durable, the ledger erases the pending
// updates it covers, and the store needs this tree to rebuild the tip's.
//
// Thread-safety: start/write/wait and the destructor belong to the tree's writer (one thread);
// read and the counters may be called from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ledger/job_thread.h"
#include "ledger/lmdb.h"
#include "ledger/mem_tree.h"

namespace phalanx::ledger {

// What one flush writes.
struct TreeFlushJob {
  std::shared_ptr<const MemTreeVersion> version;  // the tree, at version->height()
  uint64_t since = 0;                             // the environment holds the nodes born up to this
  std::vector<TreeNodeKey> erased;                // node keys erased since then
  uint64_t dirty = 0;                             // node versions written since then
};

class TreeFlusher {
 public:
  // Opens (creating) the environment in `dir`; it must commit durably (none of
  // lmdb::kNotDurableFlags).
  static Result<std::unique_ptr<TreeFlusher>> open(const std::string& dir,
                                                   const lmdb::EnvOptions& options);
  // Abandons a flush in progress (its commits' updates stay pending in the ledger) and stops
  // the thread.
  ~TreeFlusher();
  TreeFlusher(const TreeFlusher&) = delete;
  TreeFlusher& operator=(const TreeFlusher&) = delete;

  // Calls visit(key, record) for every stored node in key order, in one read transaction;
  // returns the tree's height (nullopt: no tree written yet, and nothing visited).
  Result<std::optional<uint64_t>> read(
      const std::function<Status(ByteSpan key, ByteSpan record)>& visit) const;

  // Writes the whole tree of `root` as the tree of `height`, on this thread.
  Status write(const MemNode* root, uint64_t height);

  // Starts writing `job` on the flusher's thread. REQUIRES: !busy() and status() is ok.
  void start(TreeFlushJob job);
  bool busy() const;
  // Waits for the flush in progress to end; then as status().
  Status wait();
  // The error of a failed flush (every later call returns it), or ok.
  Status status() const;
  // The height of the tree written by the last flush that ended (nullopt: none yet).
  std::optional<uint64_t> durable_height() const;

  uint64_t flushes() const { return flushes_.load(); }
  // Flushes that rewrote the whole tree.
  uint64_t whole_rewrites() const { return whole_rewrites_.load(); }

 private:
  TreeFlusher(lmdb::Env env, MDB_dbi tree, MDB_dbi meta);
  // On the flusher's thread.
  void run(const TreeFlushJob& job);
  Status write_job(const TreeFlushJob& job);
  // One synced transaction: the tree of `root` at `height`, whole (`changes` nullptr: the
  // database emptied and every node appended) or the nodes born after changes->since and the
  // erased keys.
  Status commit_tree(const MemNode* root, uint64_t height, const TreeFlushJob* changes);
  // Erases the keys in `erased` that `root` does not hold.
  Status erase_gone(const lmdb::Txn& txn, const MemNode* root,
                    const std::vector<TreeNodeKey>& erased);
  Status append_all(const lmdb::Txn& txn, const MemNode* root);

  lmdb::Env env_;
  MDB_dbi tree_, meta_;
  std::atomic<bool> stopping_{false};  // a flush in progress gives up
  std::atomic<uint64_t> flushes_{0}, whole_rewrites_{0};

  mutable std::mutex mutex_;
  Status failure_;                          // guarded by mutex_
  std::optional<uint64_t> durable_height_;  // guarded by mutex_
  JobThread thread_;                        // last: destroyed (joined) first
};

}  // namespace phalanx::ledger
