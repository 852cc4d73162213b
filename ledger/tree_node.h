// The 16-ary storage nodes of the state tree (ledger/state_tree.h): what one stored record
// holds, how it is laid out in bytes, how it is keyed, and how its hash is computed from the
// binary hashing grammar.
//
// A node at nibble depth d (d = 0 for the root) covers binary depths 4d .. 4d+3 of the
// tree: its 16 slots are the 16 subtrees at binary depth 4d+4. Each slot is empty, a leaf
// (stored inline: key and value hash) or an internal child (stored as that child's hash;
// the child is its own record one nibble deeper). Hashing a node applies the binary grammar
// of state_tree.h to its 16 slots, so the 16-ary layout is invisible in every hash and proof.
//
//   node_record := present:u16 leaves:u16 slot*      (bit i of a mask = slot i, LSB = slot 0)
//   slot        := key:32 value_hash:32              when the slot's bit is set in `leaves`
//                | child_hash:32                     otherwise, for each bit set in `present`
//   node_key    := 0x00 nibble_0 ... nibble_{d-1}     one byte per nibble of the node's path
//
// `leaves` must be a subset of `present`. Node keys sort depth-first (a node right before
// its own subtree), which keeps one update's path in few neighbouring LMDB pages.
// Thread-safety: value types and pure functions.
#pragma once

#include <array>
#include <cstdint>

#include "crypto/bytes.h"
#include "crypto/hash.h"

namespace phalanx::ledger {

using crypto::Hash;

constexpr uint32_t kTreeRadix = 16;
// Keys are 256-bit: 64 nibbles, 256 bits.
constexpr uint32_t kTreeNibbles = 64;
constexpr uint32_t kTreeBits = 256;
constexpr size_t kTreeNodeBytesMax = 4 + kTreeRadix * 64;

struct TreeLeaf {
  Hash key{};
  Hash value_hash{};
  bool operator==(const TreeLeaf&) const = default;
};

struct TreeSlot {
  enum class Kind : uint8_t { kEmpty, kLeaf, kInternal };
  Kind kind = Kind::kEmpty;
  TreeLeaf leaf;  // kLeaf only
  Hash hash{};    // kInternal only: the child node's hash

  static TreeSlot make_leaf(const TreeLeaf& leaf) { return {Kind::kLeaf, leaf, {}}; }
  static TreeSlot make_internal(const Hash& hash) { return {Kind::kInternal, {}, hash}; }
  bool empty() const { return kind == Kind::kEmpty; }
  bool operator==(const TreeSlot&) const = default;
};

struct TreeNode {
  std::array<TreeSlot, kTreeRadix> slots;
  uint32_t occupied() const;
  bool operator==(const TreeNode&) const = default;
};

// How many slots of [first, first + width) are occupied; *last is set to the last one.
uint32_t occupied_slots(const TreeNode& node, uint32_t first, uint32_t width, uint32_t* last);

// Bit `index` of a key, most significant bit of byte 0 first. REQUIRES: index < 256.
bool key_bit(const Hash& key, uint32_t index);
// Nibble `index` of a key, high nibble of byte 0 first. REQUIRES: index < 64.
uint32_t key_nibble(const Hash& key, uint32_t index);

Hash tree_leaf_hash(const TreeLeaf& leaf);
Hash tree_internal_hash(const Hash& left, const Hash& right);

// The hash of the binary subtree formed by slots [first, first + width) of `node`.
// REQUIRES: width is a power of two, first is a multiple of width, first + width <= 16.
Hash slots_hash(const TreeNode& node, uint32_t first, uint32_t width);
inline Hash node_hash(const TreeNode& node) { return slots_hash(node, 0, kTreeRadix); }

Bytes encode_node(const TreeNode& node);

// Writes one node_record into `out` from its occupied slots, given in ascending nibble order
// (encode_node writes through it too: one encoder of the grammar).
class NodeRecordWriter {
 public:
  explicit NodeRecordWriter(Bytes* out);
  void leaf(uint32_t nibble, const TreeLeaf& leaf);
  void child(uint32_t nibble, const Hash& hash);
  void finish();  // writes the masks; call once, after the slots

 private:
  void occupy(uint32_t nibble);
  Bytes* out_;
  uint16_t present_ = 0, leaves_ = 0;
};
// Strict: masks consistent, exact length.
Status decode_node(ByteSpan bytes, TreeNode* node);

// The record key of a node (node_key above), held inline: keys are built on every step.
struct TreeNodeKey {
  std::array<uint8_t, 1 + kTreeNibbles> bytes{};
  size_t size = 0;
  ByteSpan span() const { return ByteSpan(bytes.data(), size); }
};

// The record key of the node at nibble depth `depth` on the path of `key`.
// REQUIRES: depth < 64.
TreeNodeKey tree_node_key(const Hash& key, uint32_t depth);

}  // namespace phalanx::ledger
