// MemTreeLoader: the in-memory state tree rebuilt from LMDB's records (ledger/mem_tree.h).
#include <algorithm>
#include <string>
#include <utility>

#include "ledger/mem_tree.h"
#include "ledger/mem_tree_internal.h"

namespace phalanx::ledger {

using mem_tree_internal::hash_node;
using mem_tree_internal::leaf_slot;

namespace {

Status corrupt(ByteSpan key, const std::string& what) {
  return Status::error("state tree node " + hex_encode(key) + ": " + what + " (corrupt store)");
}

}  // namespace

// One stored node whose subtree is still being read.
struct MemTreeLoader::Frame {
  TreeNodeKey key;
  TreeNode record;
  std::array<MemSubtree, kTreeRadix> children;
  uint32_t next = 0;  // the children come in nibble order: the next one is at least this
};

MemTreeLoader::MemTreeLoader() = default;
MemTreeLoader::~MemTreeLoader() = default;

Status MemTreeLoader::add(ByteSpan key, ByteSpan record) {
  // A node sits at nibble depth <= 63 (two distinct keys differ within 64 nibbles).
  if (key.empty() || key.size() > kTreeNibbles || key[0] != 0x00) {
    return corrupt(key, "bad key");
  }
  for (size_t i = 1; i < key.size(); ++i) {
    if (key[i] >= kTreeRadix) return corrupt(key, "bad key");
  }
  const size_t depth = key.size() - 1;
  if (depth == 0 && seen_root_) return corrupt(key, "a second root");
  if (depth > 0 && !seen_root_) return corrupt(key, "stored without a root");
  seen_root_ = true;
  while (stack_.size() > depth) PHALANX_RETURN_IF_ERROR(complete_top());
  if (depth > 0) {
    if (stack_.size() != depth ||
        !std::equal(key.begin(), key.end() - 1, stack_.back().key.bytes.begin())) {
      return corrupt(key, "its parent is not stored");
    }
    Frame& parent = stack_.back();
    const uint32_t nibble = key.back();
    if (nibble < parent.next || parent.record.slots[nibble].kind != TreeSlot::Kind::kInternal) {
      return corrupt(key, "not a child its parent has");
    }
    parent.next = nibble + 1;
  }
  Frame frame;
  std::copy(key.begin(), key.end(), frame.key.bytes.begin());
  frame.key.size = key.size();
  Status decoded = decode_node(record, &frame.record);
  if (!decoded) return corrupt(key, decoded.message());
  uint32_t last = 0;
  const uint32_t count = occupied_slots(frame.record, 0, kTreeRadix, &last);
  if (depth > 0 &&
      (count == 0 || (count == 1 && frame.record.slots[last].kind == TreeSlot::Kind::kLeaf))) {
    return corrupt(key, "not collapsed");
  }
  // A leaf sits on its own key's path: a lone leaf hashes the same in any slot of its binary
  // subtree, so only its position tells a misplaced one apart.
  for (uint32_t i = 0; i < kTreeRadix; ++i) {
    const TreeSlot& slot = frame.record.slots[i];
    if (slot.kind == TreeSlot::Kind::kInternal && depth + 1 >= kTreeNibbles) {
      return corrupt(key, "a child below depth 63");
    }
    if (slot.kind != TreeSlot::Kind::kLeaf) continue;
    for (size_t d = 0; d <= depth; ++d) {
      const uint32_t expected = d < depth ? key[1 + d] : i;
      if (key_nibble(slot.leaf.key, static_cast<uint32_t>(d)) != expected) {
        return corrupt(key, "leaf in slot " + std::to_string(i) + " is off its key's path");
      }
    }
  }
  stack_.push_back(std::move(frame));
  return Status::ok();
}

Status MemTreeLoader::complete_top() {
  Frame& frame = stack_.back();
  std::array<MemSlot, kTreeRadix> slots;
  size_t count = 0;
  for (uint32_t i = 0; i < kTreeRadix; ++i) {
    const TreeSlot& slot = frame.record.slots[i];
    if (slot.kind == TreeSlot::Kind::kLeaf) {
      slots[count++] = leaf_slot(static_cast<uint8_t>(i), slot.leaf);
    } else if (slot.kind == TreeSlot::Kind::kInternal) {
      if (frame.children[i] == nullptr) {
        return corrupt(frame.key.span(), "child " + std::to_string(i) + " is missing");
      }
      if (frame.children[i]->hash != slot.hash) {
        return corrupt(frame.key.span(), "child " + std::to_string(i) + " has another hash");
      }
      MemSlot& child = slots[count++];
      child.nibble = static_cast<uint8_t>(i);
      child.is_leaf = false;
      child.hash = slot.hash;
      child.child = frame.children[i].get();
    }
  }
  MemSubtree node(MemNode::make(0, std::span<const MemSlot>(slots.data(), count)));
  for (MemSubtree& child : frame.children) static_cast<void>(child.release());  // now node's
  hash_node(const_cast<MemNode*>(node.get()), 0xffff, nullptr);
  const size_t depth = frame.key.size - 1;
  const uint8_t nibble = frame.key.bytes[depth];
  stack_.pop_back();
  if (depth == 0) {
    root_ = std::move(node);
  } else {
    stack_.back().children[nibble] = std::move(node);
  }
  return Status::ok();
}

Result<MemTree> MemTreeLoader::finish(uint64_t height) {
  while (!stack_.empty()) PHALANX_RETURN_IF_ERROR(complete_top());
  return MemTree(std::move(root_), height);
}

}  // namespace phalanx::ledger
