#include "ledger/mem_tree.h"

#include <algorithm>
#include <bit>
#include <string>

namespace phalanx::ledger {

namespace {

// The binary grammar of state_tree.h over the occupied slots whose nibbles lie in
// [first, first + width): the same value as slots_hash on the decoded node.
Hash range_hash(std::span<const MemSlot> slots, uint32_t first, uint32_t width) {
  if (slots.empty()) return Hash{};
  if (slots.size() == 1 && (slots[0].is_leaf || width == 1)) return slots[0].hash;
  const uint32_t middle = first + width / 2;
  const auto split = std::partition_point(slots.begin(), slots.end(),
                                          [&](const MemSlot& s) { return s.nibble < middle; });
  const size_t left = static_cast<size_t>(split - slots.begin());
  return tree_internal_hash(range_hash(slots.first(left), first, width / 2),
                            range_hash(slots.subspan(left), middle, width / 2));
}

// The binary subtree at heap index h of MemInnerHashes: its first slot and its width.
struct HeapRange {
  uint32_t first, width;
  uint16_t mask() const { return static_cast<uint16_t>(((1u << width) - 1) << first); }
};
HeapRange heap_range(uint32_t h) {
  const uint32_t level = static_cast<uint32_t>(std::bit_width(h + 1)) - 1;
  const uint32_t width = kTreeRadix >> level;
  return {(h + 1 - (1u << level)) * width, width};
}

// A node's subtree hashes from its slots. With `old` (the cache of the node it replaces),
// only the subtrees holding a slot in `changed` are rehashed.
MemInnerHashes inner_hashes(std::span<const MemSlot> slots, uint16_t changed,
                            const MemInnerHashes* old) {
  static const Hash kZero{};
  std::array<const Hash*, kTreeRadix> slot_hash{};
  uint16_t present = 0, leaves = 0;
  for (const MemSlot& slot : slots) {
    slot_hash[slot.nibble] = &slot.hash;
    present |= static_cast<uint16_t>(1u << slot.nibble);
    if (slot.is_leaf) leaves |= static_cast<uint16_t>(1u << slot.nibble);
  }
  MemInnerHashes out;
  auto value = [&](uint32_t h) -> const Hash& {  // heap index 15 + i is slot i
    if (h < out.size()) return out[h];
    const Hash* hash = slot_hash[h - out.size()];
    return hash != nullptr ? *hash : kZero;
  };
  for (uint32_t h = out.size(); h-- > 0;) {  // children (2h+1, 2h+2) before parents
    const uint16_t mask = heap_range(h).mask();
    const uint16_t occupied = present & mask;
    if (old != nullptr && (changed & mask) == 0) {
      out[h] = (*old)[h];
    } else if (occupied == 0) {
      out[h] = kZero;
    } else if (std::popcount(occupied) == 1 && (leaves & occupied) != 0) {
      out[h] = *slot_hash[std::countr_zero(occupied)];  // a lone leaf is its own subtree
    } else {
      out[h] = tree_internal_hash(value(2 * h + 1), value(2 * h + 2));
    }
  }
  return out;
}

// Sets node->hash (and node->inner for a dense node) from its slots; `old` is the node it
// replaces (may be `node` itself, rebuilt in place), whose cache is valid outside `changed`.
void hash_node(MemNode* node, uint16_t changed, const MemNode* old) {
  if (node->slots.size() < kMemInnerHashesSlotsMin) {
    // Recursing over its few slots: ~10% less apply time than filling the heap (tried).
    node->hash = range_hash(node->slots, 0, kTreeRadix);
    node->inner.reset();
    return;
  }
  const MemInnerHashes* cached = old != nullptr ? old->inner.get() : nullptr;
  auto inner = std::make_unique<MemInnerHashes>(inner_hashes(node->slots, changed, cached));
  node->hash = (*inner)[0];
  node->inner = std::move(inner);
}

MemSlot leaf_slot(uint8_t nibble, const TreeLeaf& leaf) {
  MemSlot slot;
  slot.nibble = nibble;
  slot.is_leaf = true;
  slot.leaf = leaf;
  slot.hash = tree_leaf_hash(leaf);
  return slot;
}

// What a slot holds after an update: nothing, a leaf, or a node.
struct SlotValue {
  std::optional<TreeLeaf> leaf;
  MemNodePtr node;
};

class Applier {
 public:
  Applier(uint64_t born, MemTreeChanges* changes) : born_(born), changes_(changes) {}

  // Applies `updates` (all under this node's path) to `old` (nullptr: a new node); returns
  // the new node, or what it collapsed into. The root (depth 0) never collapses. A node born
  // in this batch is seen by no published version: it is rebuilt in place (its slots moved,
  // not copied) instead of copied.
  Result<SlotValue> update_node(const MemNodePtr& old, uint32_t depth,
                                std::span<const TreeUpdate> updates) {
    const bool owned = old != nullptr && old->born == born_;
    std::shared_ptr<MemNode> node =
        owned ? std::const_pointer_cast<MemNode>(old) : std::make_shared<MemNode>();
    node->born = born_;
    std::vector<MemSlot> moved;  // the owned node's slots, taken out while it is rebuilt
    if (owned) moved = std::move(node->slots);
    static const std::vector<MemSlot> kNone;
    const std::vector<MemSlot>& before = owned ? moved : old != nullptr ? old->slots : kNone;
    auto keep = [&](size_t i) {  // an untouched slot: moved from an owned node, else copied
      if (owned) {
        node->slots.push_back(std::move(moved[i]));
      } else {
        node->slots.push_back(before[i]);
      }
    };
    node->slots.clear();
    node->slots.reserve(before.size() + std::min<size_t>(updates.size(), kTreeRadix));
    size_t kept = 0;
    uint16_t changed = 0;
    for (size_t begin = 0; begin < updates.size();) {
      const uint32_t nibble = key_nibble(updates[begin].key, depth);
      changed |= static_cast<uint16_t>(1u << nibble);
      size_t end = begin + 1;
      while (end < updates.size() && key_nibble(updates[end].key, depth) == nibble) ++end;
      while (kept < before.size() && before[kept].nibble < nibble) keep(kept++);
      const MemSlot* existing = nullptr;
      if (kept < before.size() && before[kept].nibble == nibble) existing = &before[kept++];
      auto value = update_slot(existing, depth + 1, updates.subspan(begin, end - begin));
      if (!value) return value.status();
      append(node.get(), static_cast<uint8_t>(nibble), existing, *value);
      begin = end;
    }
    while (kept < before.size()) keep(kept++);

    const std::vector<MemSlot>& slots = node->slots;
    if (depth > 0 && (slots.empty() || (slots.size() == 1 && slots[0].is_leaf))) {
      if (old != nullptr) changes_->erased.push_back(tree_node_key(updates.front().key, depth));
      if (slots.empty()) return SlotValue{};
      return SlotValue{slots[0].leaf, nullptr};
    }
    hash_node(node.get(), changed, old.get());
    if (!owned) ++changes_->created;
    return SlotValue{std::nullopt, std::move(node)};
  }

 private:
  Result<SlotValue> update_slot(const MemSlot* existing, uint32_t depth,
                                std::span<const TreeUpdate> updates) {
    if (existing != nullptr && !existing->is_leaf) {
      if (depth >= kTreeNibbles) {
        return Status::error("state tree node below depth 64 (corrupt tree)");
      }
      return update_node(existing->child, depth, updates);
    }
    const TreeLeaf* leaf = existing != nullptr ? &existing->leaf : nullptr;
    // Fast path: one update of the slot's own leaf, or one insert into an empty slot.
    if (updates.size() == 1 && (leaf == nullptr || leaf->key == updates.front().key)) {
      const TreeUpdate& update = updates.front();
      if (!update.value_hash.has_value()) return SlotValue{};
      return SlotValue{TreeLeaf{update.key, *update.value_hash}, nullptr};
    }
    const std::vector<TreeUpdate> leaves = surviving_leaves(leaf, updates);
    if (leaves.empty()) return SlotValue{};
    if (leaves.size() == 1)
      return SlotValue{TreeLeaf{leaves[0].key, *leaves[0].value_hash}, nullptr};
    // Two distinct 256-bit keys differ within 64 nibbles, so a new node is never that deep.
    PHALANX_ASSERT(depth < kTreeNibbles);
    return update_node(MemNodePtr(), depth, leaves);
  }

  static void append(MemNode* node, uint8_t nibble, const MemSlot* existing,
                     const SlotValue& value) {
    if (value.node != nullptr) {
      MemSlot slot;
      slot.nibble = nibble;
      slot.hash = value.node->hash;
      slot.child = value.node;
      node->slots.push_back(std::move(slot));
    } else if (value.leaf.has_value()) {
      const bool unchanged =
          existing != nullptr && existing->is_leaf && existing->leaf == *value.leaf;
      node->slots.push_back(unchanged ? *existing : leaf_slot(nibble, *value.leaf));
    }
  }

  uint64_t born_;
  MemTreeChanges* changes_;
};

Status for_each_newer(const MemNode& node, TreeNodeKey* key, uint64_t since,
                      const std::function<Status(const TreeNodeKey&, const MemNode&)>& visit) {
  PHALANX_RETURN_IF_ERROR(visit(*key, node));
  for (const MemSlot& slot : node.slots) {
    if (slot.is_leaf || slot.child->born <= since) continue;
    key->bytes[key->size++] = slot.nibble;
    Status status = for_each_newer(*slot.child, key, since, visit);
    --key->size;
    PHALANX_RETURN_IF_ERROR(status);
  }
  return Status::ok();
}

Status corrupt(ByteSpan key, const std::string& what) {
  return Status::error("state tree node " + hex_encode(key) + ": " + what + " (corrupt store)");
}

}  // namespace

TreeNode MemNode::to_tree_node() const {
  TreeNode node;
  for (const MemSlot& slot : slots) {
    node.slots[slot.nibble] =
        slot.is_leaf ? TreeSlot::make_leaf(slot.leaf) : TreeSlot::make_internal(slot.hash);
  }
  return node;
}

const MemSlot* MemNode::find(uint32_t nibble) const {
  for (const MemSlot& slot : slots) {
    if (slot.nibble == nibble) return &slot;
  }
  return nullptr;
}

Result<MemNodePtr> mem_tree_apply(const MemNodePtr& root, std::span<const TreeUpdate> updates,
                                  uint64_t born, MemTreeChanges* changes) {
  PHALANX_ASSERT(updates.size() <= kTreeUpdatesMax);
  for (size_t i = 1; i < updates.size(); ++i) {
    PHALANX_ASSERT_MSG(updates[i - 1].key < updates[i].key, "tree updates must be sorted");
  }
  if (updates.empty()) return root;
  auto value = Applier(born, changes).update_node(root, 0, updates);
  if (!value) return value.status();
  return value->node;  // the root never collapses
}

const MemNode* mem_tree_find(const MemNodePtr& root, ByteSpan key) {
  if (root == nullptr || key.empty() || key[0] != 0x00) return nullptr;
  const MemNode* node = root.get();
  for (size_t i = 1; i < key.size(); ++i) {
    const MemSlot* slot = key[i] < kTreeRadix ? node->find(key[i]) : nullptr;
    if (slot == nullptr || slot->is_leaf) return nullptr;
    node = slot->child.get();
  }
  return node;
}

Status mem_tree_for_each_newer(
    const MemNodePtr& root, uint64_t since,
    const std::function<Status(const TreeNodeKey& key, const MemNode& node)>& visit) {
  if (root == nullptr || root->born <= since) return Status::ok();
  TreeNodeKey key;
  key.size = 1;  // bytes[0] = 0x00: the root's key
  return for_each_newer(*root, &key, since, visit);
}

// One stored node whose subtree is still being read.
struct MemTreeLoader::Frame {
  TreeNodeKey key;
  TreeNode record;
  std::array<MemNodePtr, kTreeRadix> children;
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
  auto node = std::make_shared<MemNode>();
  for (uint32_t i = 0; i < kTreeRadix; ++i) {
    const TreeSlot& slot = frame.record.slots[i];
    if (slot.kind == TreeSlot::Kind::kLeaf) {
      node->slots.push_back(leaf_slot(static_cast<uint8_t>(i), slot.leaf));
    } else if (slot.kind == TreeSlot::Kind::kInternal) {
      if (frame.children[i] == nullptr) {
        return corrupt(frame.key.span(), "child " + std::to_string(i) + " is missing");
      }
      if (frame.children[i]->hash != slot.hash) {
        return corrupt(frame.key.span(), "child " + std::to_string(i) + " has another hash");
      }
      MemSlot child;
      child.nibble = static_cast<uint8_t>(i);
      child.hash = slot.hash;
      child.child = std::move(frame.children[i]);
      node->slots.push_back(std::move(child));
    }
  }
  hash_node(node.get(), 0xffff, nullptr);
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

Result<MemNodePtr> MemTreeLoader::finish() {
  while (!stack_.empty()) PHALANX_RETURN_IF_ERROR(complete_top());
  return root_;
}

Result<std::optional<ByteSpan>> MemNodeReader::view(ByteSpan key) const {
  const MemNode* node = mem_tree_find(root_, key);
  if (node == nullptr) return std::optional<ByteSpan>();
  record_ = encode_node(node->to_tree_node());
  return std::optional<ByteSpan>(record_);
}

}  // namespace phalanx::ledger
