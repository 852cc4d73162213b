// The state tree held in memory: immutable, shared, decoded nodes (ledger/tree_cache.h keeps
// the versions and writes them to LMDB). It is the same tree as StateTree's
// (ledger/state_tree.h) -- the same 16-ary nodes, collapse rules and hashes, so the records
// it writes are exactly those StateTree would store -- but every node is decoded once and
// carries its own hash and its leaves' hashes, so an update walks pointers and hashes only
// what it changed. A new version copies the nodes on the updated paths and shares all others
// (a persistent tree): a reader holding an older version reads it unchanged.
//
// Memory: a node is one allocation (its slots and hashes inline, trivially copyable) and
// carries no reference count: copying a node never touches its children. Versions are linear
// (each builds on the last), so a node lives from the version that wrote it (`born`) to the
// one that replaced it: versions born..replaced-1 reach it. MemTreeNodes, shared by a MemTree
// and its versions, keeps the replaced nodes and frees each once no held version reaches it,
// so a reader holding an old version keeps that version's nodes and nothing else. Nodes
// written and replaced within one batch are freed at once.
//
// Threads: a batch of 64 or more updates is split at the root between the writer and a
// worker thread the MemTree starts with its first such batch (each updates whole subtrees;
// the writer builds the root once both are done).
//
// Thread-safety: MemTree belongs to one writer thread. A published MemTreeVersion and its
// nodes are never modified and may be read, held and released from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

#include "ledger/state_tree.h"

namespace phalanx::ledger {

class MemNode;
struct MemReplaced;

struct MemSlot {
  uint8_t nibble = 0;
  bool is_leaf = false;
  Hash hash{};                     // the leaf's hash (tree_leaf_hash) or the child node's hash
  TreeLeaf leaf;                   // leaf slots
  const MemNode* child = nullptr;  // internal slots
};
static_assert(std::is_trivially_copyable_v<MemSlot> && std::is_trivially_destructible_v<MemSlot>);

// The hashes of a node's binary subtrees of width 8, 4 and 2 and of the node itself, as a
// heap: [0] the node (slots 0-15), [1] and [2] its halves, ..., [7..14] the slot pairs.
using MemInnerHashes = std::array<Hash, kTreeRadix - 1>;
// Nodes with at least this many occupied slots keep their MemInnerHashes, so a change to k
// slots rehashes about 4k binary nodes instead of all (up to 15) of them.
constexpr size_t kMemInnerHashesSlotsMin = 8;

// One allocation: this header, its occupied slots (ascending nibble), then for a dense node
// (kMemInnerHashesSlotsMin) its MemInnerHashes. Made and freed only by mem_tree.cc.
class MemNode {
 public:
  uint64_t born = 0;  // the batch (MemTree::batch_born) that wrote this node
  Hash hash{};        // node_hash of its slots

  std::span<const MemSlot> slots() const { return {slot_data(), count_}; }
  // Bit n set: slot n is occupied (read from the header alone).
  uint16_t mask() const { return mask_; }
  const MemInnerHashes* inner() const { return inner_data(); }  // nullptr: sparse
  const MemSlot* find(uint32_t nibble) const;
  TreeNode to_tree_node() const;
  void encode(Bytes* out) const;  // its node_record (tree_node.h), as encode_node would

  // Internal to mem_tree.cc.
  static MemNode* make(uint64_t born, std::span<const MemSlot> slots);
  // Memory for a node of `slots` slots, fetched for writing; give it to make_at() or
  // release().
  static void* allocate(size_t slots);
  // Where the slots of a node in `memory` go.
  static MemSlot* slots_at(void* memory);
  // The node in `memory` (from allocate(count)) whose `count` slots were written at
  // slots_at(memory).
  static MemNode* make_at(uint64_t born, size_t count, void* memory);
  static void release(void* memory, size_t slots);
  static void free(const MemNode* node);
  static void free(const MemReplaced& replaced);  // without reading the node
  static void free(std::span<const MemReplaced> replaced);
  static void free_subtree(const MemNode* node);  // the node and every node below it
  MemSlot* slot_data() const;
  MemInnerHashes* inner_data() const;  // nullptr: sparse

 private:
  unsigned char* raw(size_t offset) const;
  MemNode() = default;
  uint8_t count_ = 0;
  bool dense_ = false;
  uint16_t mask_ = 0;
};

// A node a batch replaced, with what freeing it needs (taken while the node was at hand: a
// large tree's nodes are cold by the time they are freed).
struct MemReplaced {
  const MemNode* node;
  uint64_t born;
  uint32_t slots;
};

// Frees a subtree nobody else holds (the loader's nodes before they join a tree).
struct MemSubtreeDeleter {
  void operator()(const MemNode* node) const { MemNode::free_subtree(node); }
};
using MemSubtree = std::unique_ptr<const MemNode, MemSubtreeDeleter>;

class MemTreeNodes;   // mem_tree_internal.h
class JobThread;      // job_thread.h

// One published version: its height and root, held by readers through a shared_ptr. Its
// nodes stay while it is held.
class MemTreeVersion {
 public:
  MemTreeVersion(const MemNode* root, uint64_t height, uint64_t number,
                 std::shared_ptr<MemTreeNodes> nodes);
  ~MemTreeVersion();
  MemTreeVersion(const MemTreeVersion&) = delete;
  MemTreeVersion& operator=(const MemTreeVersion&) = delete;

  const MemNode* root() const { return root_; }  // nullptr: the empty tree
  uint64_t height() const { return height_; }
  // The `born` of the batch it published: its nodes are born up to this.
  uint64_t number() const { return number_; }

 private:
  const MemNode* root_;
  uint64_t height_;
  uint64_t number_;  // the `born` of the batch it published
  std::shared_ptr<MemTreeNodes> nodes_;
};

// What one apply changed besides the nodes it returns.
struct MemTreeChanges {
  std::vector<TreeNodeKey> erased;  // nodes of the old version that the new one no longer has
  uint64_t created = 0;             // nodes written (new versions of nodes)
};

// The writer's tree: the last published version and the batch being built on it (the blocks
// of one commit), which publish() turns into the next version.
class MemTree {
 public:
  MemTree();  // the empty tree
  // The tree of `root` (MemTreeLoader's: born 0), as published version `height`.
  MemTree(MemSubtree root, uint64_t height);
  ~MemTree();
  MemTree(MemTree&&) noexcept;
  MemTree& operator=(MemTree&&) noexcept;

  // The tree after `updates` (StateTree::apply's contract: sorted unique keys, deleting an
  // absent key is a no-op), in the batch. On an error the batch is as it was.
  Result<Hash> apply(std::span<const TreeUpdate> updates, MemTreeChanges* changes);
  // The batch becomes the newest version (also when nothing was applied).
  std::shared_ptr<const MemTreeVersion> publish(uint64_t height);
  // Drops the batch: the tree is the last published version again.
  void discard();

  // The batch's root (the last version's when no batch is open); nullptr: empty.
  const MemNode* root() const { return in_batch_ ? batch_root_ : head_->root(); }
  bool in_batch() const { return in_batch_; }
  // The `born` of the nodes the batch writes: one more than the versions published.
  uint64_t batch_born() const { return published_ + 1; }
  // Nodes replaced by later versions and kept for the versions still held (tests).
  size_t replaced_nodes_kept() const;

 private:
  std::shared_ptr<MemTreeNodes> nodes_;
  std::shared_ptr<const MemTreeVersion> head_;  // the last published version
  uint64_t published_ = 0;
  bool in_batch_ = false;
  const MemNode* batch_root_ = nullptr;
  std::vector<MemReplaced> batch_replaced_;  // head_'s nodes the batch replaced
  std::unique_ptr<JobThread> worker_;        // a second thread for large batches
};

inline Hash mem_tree_root_hash(const MemNode* root) { return root ? root->hash : Hash{}; }

// The node at `key` (a node key, tree_node_key), or nullptr.
const MemNode* mem_tree_find(const MemNode* root, ByteSpan key);

// Calls visit(key, node) for every node born after `since`, in key order. Only nodes on the
// paths a later version changed are newer, so older subtrees are skipped whole.
Status mem_tree_for_each_newer(
    const MemNode* root, uint64_t since,
    const std::function<Status(const TreeNodeKey& key, const MemNode& node)>& visit);

// Calls visit(key, node) for every node, in key order.
Status mem_tree_for_each(
    const MemNode* root,
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
  // The tree, as version `height` (empty when no record was added).
  Result<MemTree> finish(uint64_t height);

 private:
  struct Frame;
  Status complete_top();
  std::vector<Frame> stack_;
  MemSubtree root_;
  bool seen_root_ = false;
};

// StateTree's reader over one version: encodes the node asked for. The raw-root form is for
// a tree its caller keeps alive.
class MemNodeReader final : public NodeReader {
 public:
  explicit MemNodeReader(std::shared_ptr<const MemTreeVersion> version)
      : root_(version->root()), version_(std::move(version)) {}
  explicit MemNodeReader(const MemNode* root) : root_(root) {}
  Result<std::optional<ByteSpan>> view(ByteSpan key) const override;

 private:
  const MemNode* root_;
  std::shared_ptr<const MemTreeVersion> version_;
  mutable Bytes record_;
};

}  // namespace phalanx::ledger
