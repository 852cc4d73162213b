// The state tree: an authenticated, compressed sparse Merkle tree over all accounts. It owns
// the tree algorithms (batched update, lookup, proofs) and the NodeStore interface through
// which its nodes are persisted; it holds no nodes itself.
//
// Keys are 256-bit (key = SHA-256(address bytes), see ledger/state.h), read most significant
// bit first; values are 32-byte value hashes (SHA-256 of the encoded account). The root of
// a set S of (key, value_hash) pairs at binary depth d is
//
//   root(S, d) = zero                                  if S is empty (32 zero bytes)
//              = leaf_hash(k, v)                       if S = {(k, v)}: a single-leaf
//                                                      subtree is the leaf itself
//              = internal(root(S0, d+1), root(S1, d+1)) otherwise, S_b = keys with bit d = b
//   leaf_hash(k, v)   = SHA-256(0x00 || k || v)
//   internal(l, r)    = SHA-256(0x01 || l || r)
//
// and the tree's root hash is root(all accounts, 0). The 0x00/0x01 prefixes keep leaves and
// internal nodes apart, and a leaf hash covers its full key, so its depth needs no encoding.
//
// Storage (ledger/tree_node.h): 16-ary nodes keyed by their nibble path, so an update
// overwrites nodes in place and a collapsed subtree's records are erased in the same batch:
// stale nodes never accumulate and the store holds exactly the current tree's nodes. The
// root node is always stored once the tree has been written.
//
// Proofs: the sibling hashes along the key's binary path down to the subtree that holds at
// most one leaf, plus that leaf, if any. O(log n) siblings for random keys; at most 256.
//
//   proof := sibling_count:u16 sibling:32*  terminal:u8 (0 empty | 1 leaf) [key:32 value_hash:32]
//
// Thread-safety: StateTree holds a reference to its store and no other state; use one
// instance per thread. verify_proof and the codecs are pure.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ledger/tree_node.h"

namespace phalanx::ledger {

// Largest batch one update may carry (a block touches at most 2 accounts per tx).
constexpr size_t kTreeUpdatesMax = size_t{1} << 20;

// Read access to stored nodes by node key (tree_node_key).
class NodeReader {
 public:
  virtual ~NodeReader() = default;
  // The record stored under `key` (nullopt: none), without a copy: the view is valid until
  // the next call on this reader or its store, so decode it first.
  virtual Result<std::optional<ByteSpan>> view(ByteSpan key) const = 0;
  // A copy of that record.
  Result<std::optional<Bytes>> get(ByteSpan key) const;
};

class NodeStore : public NodeReader {
 public:
  virtual Status put(ByteSpan key, ByteSpan value) = 0;
  // Erasing an absent key is an error: the tree only erases nodes it knows exist.
  virtual Status erase(ByteSpan key) = 0;
};

// Nodes in a std::map: tests, genesis computation, recomputing a root from scratch.
class MemoryNodeStore final : public NodeStore {
 public:
  Result<std::optional<ByteSpan>> view(ByteSpan key) const override;
  Status put(ByteSpan key, ByteSpan value) override;
  Status erase(ByteSpan key) override;

  // Keyed by the node key's bytes as a string (GCC 12 misreports vector<uint8_t> keys).
  const std::map<std::string, Bytes>& nodes() const { return nodes_; }

 private:
  std::map<std::string, Bytes> nodes_;
};

// One change: set key's value hash, or delete the key when value_hash is nullopt.
struct TreeUpdate {
  Hash key{};
  std::optional<Hash> value_hash;
};

// The leaves of a subtree that holds at most the leaf `existing` (nullptr: none) once
// `updates` (sorted) apply: `existing` unless an update names its key, plus every update that
// sets a value, in key order.
std::vector<TreeUpdate> surviving_leaves(const TreeLeaf* existing,
                                         std::span<const TreeUpdate> updates);

struct TreeProof {
  std::vector<Hash> siblings;    // siblings[i] is the sibling at binary depth i
  std::optional<TreeLeaf> leaf;  // the single leaf where the path ends; nullopt: empty
  bool operator==(const TreeProof&) const = default;
};

class StateTree {
 public:
  // Read-only: root_hash, get and prove.
  explicit StateTree(const NodeReader& reader) : reader_(&reader) {}
  // Read-write.
  explicit StateTree(NodeStore& store) : reader_(&store), store_(&store) {}

  Result<Hash> root_hash() const;
  // The value hash stored under `key`, if any.
  Result<std::optional<Hash>> get(const Hash& key) const;
  // A membership proof when `key` is present, an absence proof otherwise.
  Result<TreeProof> prove(const Hash& key) const;

  // Applies a whole batch in one pass, writing each touched node once; returns the new
  // root. Deleting an absent key is a no-op.
  // REQUIRES: read-write; keys strictly increasing; updates.size() <= kTreeUpdatesMax.
  Result<Hash> apply(std::span<const TreeUpdate> updates);

 private:
  Result<std::optional<TreeNode>> load(const Hash& key, uint32_t depth) const;
  Result<TreeSlot> update_slot(const TreeSlot& slot, uint32_t depth,
                               std::span<const TreeUpdate> updates);
  Result<TreeSlot> update_node(TreeNode node, bool stored, uint32_t depth,
                               std::span<const TreeUpdate> updates);

  const NodeReader* reader_;
  NodeStore* store_ = nullptr;
};

// True only when `proof` shows that, in the tree with root `root`, `key` maps to
// *value_hash (membership) or, when value_hash is nullopt, that `key` is absent.
bool verify_proof(const Hash& root, const Hash& key, const std::optional<Hash>& value_hash,
                  const TreeProof& proof);

Bytes encode_proof(const TreeProof& proof);
Result<TreeProof> decode_proof(ByteSpan bytes);

}  // namespace phalanx::ledger
