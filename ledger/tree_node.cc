#include "ledger/tree_node.h"

#include <algorithm>

namespace phalanx::ledger {

namespace {

constexpr uint8_t kLeafTag = 0x00;
constexpr uint8_t kInternalTag = 0x01;

}  // namespace

uint32_t occupied_slots(const TreeNode& node, uint32_t first, uint32_t width, uint32_t* last) {
  uint32_t count = 0;
  for (uint32_t i = first; i < first + width; ++i) {
    if (!node.slots[i].empty()) {
      ++count;
      *last = i;
    }
  }
  return count;
}

uint32_t TreeNode::occupied() const {
  uint32_t last = 0;
  return occupied_slots(*this, 0, kTreeRadix, &last);
}

bool key_bit(const Hash& key, uint32_t index) {
  PHALANX_ASSERT(index < kTreeBits);
  return (key[index / 8] >> (7 - index % 8)) & 1;
}

uint32_t key_nibble(const Hash& key, uint32_t index) {
  PHALANX_ASSERT(index < kTreeNibbles);
  const uint8_t byte = key[index / 2];
  return index % 2 == 0 ? byte >> 4 : byte & 0x0f;
}

Hash tree_leaf_hash(const TreeLeaf& leaf) {
  std::array<uint8_t, 65> input;
  input[0] = kLeafTag;
  std::copy(leaf.key.begin(), leaf.key.end(), input.begin() + 1);
  std::copy(leaf.value_hash.begin(), leaf.value_hash.end(), input.begin() + 33);
  return crypto::sha256(input);
}

Hash tree_internal_hash(const Hash& left, const Hash& right) {
  std::array<uint8_t, 65> input;
  input[0] = kInternalTag;
  std::copy(left.begin(), left.end(), input.begin() + 1);
  std::copy(right.begin(), right.end(), input.begin() + 33);
  return crypto::sha256(input);
}

Hash slots_hash(const TreeNode& node, uint32_t first, uint32_t width) {
  PHALANX_ASSERT(width >= 1 && width <= kTreeRadix && (width & (width - 1)) == 0);
  PHALANX_ASSERT(first % width == 0 && first + width <= kTreeRadix);
  uint32_t last = 0;
  const uint32_t count = occupied_slots(node, first, width, &last);
  if (count == 0) return Hash{};
  // A subtree holding a single leaf is that leaf, at whatever depth it sits.
  if (count == 1 && node.slots[last].kind == TreeSlot::Kind::kLeaf) {
    return tree_leaf_hash(node.slots[last].leaf);
  }
  if (width == 1) return node.slots[first].hash;
  const uint32_t half = width / 2;
  return tree_internal_hash(slots_hash(node, first, half), slots_hash(node, first + half, half));
}

Bytes encode_node(const TreeNode& node) {
  Bytes out;
  out.reserve(kTreeNodeBytesMax);
  NodeRecordWriter writer(&out);
  for (uint32_t i = 0; i < kTreeRadix; ++i) {
    const TreeSlot& slot = node.slots[i];
    if (slot.kind == TreeSlot::Kind::kLeaf) {
      writer.leaf(i, slot.leaf);
    } else if (slot.kind == TreeSlot::Kind::kInternal) {
      writer.child(i, slot.hash);
    }
  }
  writer.finish();
  return out;
}

NodeRecordWriter::NodeRecordWriter(Bytes* out) : out_(out) { out_->assign(4, 0); }

void NodeRecordWriter::occupy(uint32_t nibble) {
  PHALANX_ASSERT(nibble < kTreeRadix && (present_ >> nibble) == 0);  // ascending, each once
  present_ |= static_cast<uint16_t>(1u << nibble);
}

void NodeRecordWriter::leaf(uint32_t nibble, const TreeLeaf& leaf) {
  occupy(nibble);
  leaves_ |= static_cast<uint16_t>(1u << nibble);
  out_->insert(out_->end(), leaf.key.begin(), leaf.key.end());
  out_->insert(out_->end(), leaf.value_hash.begin(), leaf.value_hash.end());
}

void NodeRecordWriter::child(uint32_t nibble, const Hash& hash) {
  occupy(nibble);
  out_->insert(out_->end(), hash.begin(), hash.end());
}

void NodeRecordWriter::finish() {
  (*out_)[0] = static_cast<uint8_t>(present_ >> 8);
  (*out_)[1] = static_cast<uint8_t>(present_);
  (*out_)[2] = static_cast<uint8_t>(leaves_ >> 8);
  (*out_)[3] = static_cast<uint8_t>(leaves_);
}

Status decode_node(ByteSpan bytes, TreeNode* node) {
  Reader reader(bytes);
  uint16_t present = 0;
  uint16_t leaves = 0;
  PHALANX_RETURN_IF_ERROR(reader.u16(&present));
  PHALANX_RETURN_IF_ERROR(reader.u16(&leaves));
  if ((leaves & ~present) != 0) return Status::error("tree node marks an absent slot as a leaf");
  *node = TreeNode{};
  for (uint32_t i = 0; i < kTreeRadix; ++i) {
    if ((present >> i & 1) == 0) continue;
    TreeSlot& slot = node->slots[i];
    if (leaves >> i & 1) {
      slot.kind = TreeSlot::Kind::kLeaf;
      PHALANX_RETURN_IF_ERROR(reader.fixed(&slot.leaf.key));
      PHALANX_RETURN_IF_ERROR(reader.fixed(&slot.leaf.value_hash));
    } else {
      slot.kind = TreeSlot::Kind::kInternal;
      PHALANX_RETURN_IF_ERROR(reader.fixed(&slot.hash));
    }
  }
  return reader.finish();
}

TreeNodeKey tree_node_key(const Hash& key, uint32_t depth) {
  PHALANX_ASSERT(depth < kTreeNibbles);
  TreeNodeKey out;
  out.bytes[0] = 0x00;
  for (uint32_t i = 0; i < depth; ++i) out.bytes[1 + i] = static_cast<uint8_t>(key_nibble(key, i));
  out.size = 1 + depth;
  return out;
}

}  // namespace phalanx::ledger
