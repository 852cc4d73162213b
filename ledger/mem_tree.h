// The state tree held in memory: immutable, shared, decoded nodes (ledger/tree_cache.h keeps
// the versions and writes them to LMDB). It is the same tree as StateTree's
// (ledger/state_tree.h) -- the same 16-ary nodes, collapse rules and hashes, so the records
// it writes are exactly those StateTree would store -- but every node is decoded once and
// carries its own hash and its leaves' hashes, so an update walks pointers and hashes only
// what it changed. A new version copies the nodes on the updated paths and shares all others
// (a persistent tree): a reader holding an older root reads that version unchanged.
//
// Thread-safety: a published MemNode is never modified, so versions may be read from any
// thread while the writer builds the next one.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "ledger/state_tree.h"

namespace phalanx::ledger {

struct MemNode;
using MemNodePtr = std::shared_ptr<const MemNode>;

struct MemSlot {
  uint8_t nibble = 0;
  bool is_leaf = false;
  Hash hash{};       // the leaf's hash (tree_leaf_hash) or the child node's hash
  TreeLeaf leaf;     // leaf slots
  MemNodePtr child;  // internal slots
};

// The hashes of a node's binary subtrees of width 8, 4 and 2 and of the node itself, as a
// heap: [0] the node (slots 0-15), [1] and [2] its halves, ..., [7..14] the slot pairs.
using MemInnerHashes = std::array<Hash, kTreeRadix - 1>;
// Nodes with at least this many occupied slots keep their MemInnerHashes, so a change to k
// slots rehashes about 4k binary nodes instead of all (up to 15) of them.
constexpr size_t kMemInnerHashesSlotsMin = 8;

struct MemNode {
  uint64_t born = 0;           // the version (TreeCache's commit number) that wrote this node
  Hash hash{};                 // node_hash of its slots
  std::vector<MemSlot> slots;  // the occupied slots, ascending nibble
  std::unique_ptr<const MemInnerHashes> inner;  // dense nodes only (kMemInnerHashesSlotsMin)

  TreeNode to_tree_node() const;
  const MemSlot* find(uint32_t nibble) const;
};

// What one apply changed besides the nodes it returns.
struct MemTreeChanges {
  std::vector<TreeNodeKey> erased;  // nodes of the old version that the new one no longer has
  uint64_t created = 0;             // nodes written (new versions of nodes)
};

// The tree after `updates` (same contract as StateTree::apply: sorted unique keys, deleting an
// absent key is a no-op); `root` nullptr is a tree never written. New nodes get `born`.
// Nodes already born `born` belong to the batch being built and are rebuilt in place, so
// several applies may share one `born` (the blocks of one commit) and only the last root is
// a version: pass a `born` above that of every version readers may hold.
Result<MemNodePtr> mem_tree_apply(const MemNodePtr& root, std::span<const TreeUpdate> updates,
                                  uint64_t born, MemTreeChanges* changes);

inline Hash mem_tree_root_hash(const MemNodePtr& root) { return root ? root->hash : Hash{}; }

// The node at `key` (a node key, tree_node_key), or nullptr.
const MemNode* mem_tree_find(const MemNodePtr& root, ByteSpan key);

// Calls visit(key, node) for every node born after `since`, in key order. Only nodes on the
// paths a later version changed are newer, so older subtrees are skipped whole.
Status mem_tree_for_each_newer(
    const MemNodePtr& root, uint64_t since,
    const std::function<Status(const TreeNodeKey& key, const MemNode& node)>& visit);

// Builds the tree from stored records fed in key order (LMDB's order: a node, then its
// subtree), checking that every record decodes, sits where its parent says, is in the
// canonical (collapsed) form, holds its leaves on their keys' paths, and hashes to what its
// parent stored. Nodes get born 0.
class MemTreeLoader {
 public:
  MemTreeLoader();
  ~MemTreeLoader();
  Status add(ByteSpan key, ByteSpan record);
  // nullptr when no record was added.
  Result<MemNodePtr> finish();

 private:
  struct Frame;
  Status complete_top();
  std::vector<Frame> stack_;
  MemNodePtr root_;
  bool seen_root_ = false;
};

// StateTree's reader over one version: encodes the node asked for.
class MemNodeReader final : public NodeReader {
 public:
  explicit MemNodeReader(MemNodePtr root) : root_(std::move(root)) {}
  Result<std::optional<ByteSpan>> view(ByteSpan key) const override;

 private:
  MemNodePtr root_;
  mutable Bytes record_;
};

}  // namespace phalanx::ledger
