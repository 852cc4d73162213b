#include "ledger/state_tree.h"

#include <string>

namespace phalanx::ledger {

namespace {

Status missing_node(const Hash& key, uint32_t depth) {
  return Status::error("state tree node missing at depth " + std::to_string(depth) +
                       " on the path of key " + crypto::to_hex(key) + " (corrupt store)");
}

}  // namespace

std::vector<TreeUpdate> surviving_leaves(const TreeLeaf* existing,
                                         std::span<const TreeUpdate> updates) {
  std::vector<TreeUpdate> out;
  out.reserve(updates.size() + 1);
  bool existing_pending = existing != nullptr;
  for (const TreeUpdate& update : updates) {
    if (existing_pending && existing->key <= update.key) {
      if (existing->key < update.key) out.push_back({existing->key, existing->value_hash});
      existing_pending = false;
    }
    if (update.value_hash.has_value()) out.push_back(update);
  }
  if (existing_pending) out.push_back({existing->key, existing->value_hash});
  return out;
}

namespace {
std::string key_string(ByteSpan key) { return std::string(key.begin(), key.end()); }
}  // namespace

Result<std::optional<Bytes>> NodeReader::get(ByteSpan key) const {
  auto record = view(key);
  if (!record) return record.status();
  if (!record->has_value()) return std::optional<Bytes>();
  return std::optional<Bytes>(Bytes((*record)->begin(), (*record)->end()));
}

Result<std::optional<ByteSpan>> MemoryNodeStore::view(ByteSpan key) const {
  auto it = nodes_.find(key_string(key));
  if (it == nodes_.end()) return std::optional<ByteSpan>();
  return std::optional<ByteSpan>(it->second);
}

Status MemoryNodeStore::put(ByteSpan key, ByteSpan value) {
  nodes_[key_string(key)] = Bytes(value.begin(), value.end());
  return Status::ok();
}

Status MemoryNodeStore::erase(ByteSpan key) {
  if (nodes_.erase(key_string(key)) == 0) {
    return Status::error("erase of a missing tree node " + hex_encode(key));
  }
  return Status::ok();
}

Result<std::optional<TreeNode>> StateTree::load(const Hash& key, uint32_t depth) const {
  const TreeNodeKey node_key = tree_node_key(key, depth);
  auto bytes = reader_->view(node_key.span());
  if (!bytes) return bytes.status();
  if (!bytes->has_value()) return std::optional<TreeNode>();
  TreeNode node;
  Status status = decode_node(**bytes, &node);
  if (!status) {
    return Status::error("corrupt state tree node " + hex_encode(node_key.span()) + ": " +
                         status.message());
  }
  return std::optional<TreeNode>(node);
}

Result<Hash> StateTree::root_hash() const {
  auto root = load(Hash{}, 0);
  if (!root) return root.status();
  if (!root->has_value()) return Hash{};
  return node_hash(**root);
}

Result<std::optional<Hash>> StateTree::get(const Hash& key) const {
  for (uint32_t depth = 0; depth < kTreeNibbles; ++depth) {
    auto node = load(key, depth);
    if (!node) return node.status();
    if (!node->has_value()) {
      if (depth == 0) return std::optional<Hash>();
      return missing_node(key, depth);
    }
    const TreeSlot& slot = (**node).slots[key_nibble(key, depth)];
    if (slot.kind == TreeSlot::Kind::kEmpty) return std::optional<Hash>();
    if (slot.kind == TreeSlot::Kind::kLeaf) {
      if (slot.leaf.key != key) return std::optional<Hash>();
      return std::optional<Hash>(slot.leaf.value_hash);
    }
  }
  return Status::error("state tree deeper than 64 nibbles (corrupt store)");
}

Result<TreeProof> StateTree::prove(const Hash& key) const {
  TreeProof proof;
  for (uint32_t depth = 0; depth < kTreeNibbles; ++depth) {
    auto loaded = load(key, depth);
    if (!loaded) return loaded.status();
    if (!loaded->has_value()) {
      if (depth == 0) return proof;  // the empty tree
      return missing_node(key, depth);
    }
    const TreeNode& node = **loaded;
    const uint32_t nibble = key_nibble(key, depth);
    // Walk this node's four binary levels towards `nibble`.
    uint32_t first = 0;
    for (uint32_t width = kTreeRadix;; width /= 2) {
      uint32_t last = 0;
      const uint32_t count = occupied_slots(node, first, width, &last);
      if (count == 0) return proof;
      if (count == 1 && node.slots[last].kind == TreeSlot::Kind::kLeaf) {
        proof.leaf = node.slots[last].leaf;
        return proof;
      }
      if (width == 1) break;  // an internal child: continue one nibble deeper
      const uint32_t half = width / 2;
      if (nibble < first + half) {
        proof.siblings.push_back(slots_hash(node, first + half, half));
      } else {
        proof.siblings.push_back(slots_hash(node, first, half));
        first += half;
      }
    }
  }
  return Status::error("state tree deeper than 64 nibbles (corrupt store)");
}

Result<Hash> StateTree::apply(std::span<const TreeUpdate> updates) {
  PHALANX_ASSERT_MSG(store_ != nullptr, "StateTree::apply on a read-only tree");
  PHALANX_ASSERT(updates.size() <= kTreeUpdatesMax);
  for (size_t i = 1; i < updates.size(); ++i) {
    PHALANX_ASSERT_MSG(updates[i - 1].key < updates[i].key, "tree updates must be sorted");
  }
  auto root = load(Hash{}, 0);
  if (!root) return root.status();
  if (updates.empty()) return root->has_value() ? node_hash(**root) : Hash{};
  const bool stored = root->has_value();
  auto slot = update_node(stored ? std::move(**root) : TreeNode{}, stored, 0, updates);
  if (!slot) return slot.status();
  return slot->hash;
}

Result<TreeSlot> StateTree::update_slot(const TreeSlot& slot, uint32_t depth,
                                        std::span<const TreeUpdate> updates) {
  if (slot.kind == TreeSlot::Kind::kInternal) {
    if (depth >= kTreeNibbles) {
      return Status::error("state tree node below depth 64 (corrupt store)");
    }
    auto node = load(updates.front().key, depth);
    if (!node) return node.status();
    if (!node->has_value()) return missing_node(updates.front().key, depth);
    return update_node(std::move(**node), true, depth, updates);
  }
  // Fast path: one update of the slot's own leaf, or one insert into an empty slot.
  if (updates.size() == 1 && (slot.empty() || slot.leaf.key == updates.front().key)) {
    const TreeUpdate& update = updates.front();
    if (!update.value_hash.has_value()) return TreeSlot{};
    return TreeSlot::make_leaf({update.key, *update.value_hash});
  }
  std::vector<TreeUpdate> leaves =
      surviving_leaves(slot.kind == TreeSlot::Kind::kLeaf ? &slot.leaf : nullptr, updates);
  if (leaves.empty()) return TreeSlot{};
  if (leaves.size() == 1) return TreeSlot::make_leaf({leaves[0].key, *leaves[0].value_hash});
  // Two distinct 256-bit keys differ within 64 nibbles, so a new node is never that deep.
  PHALANX_ASSERT(depth < kTreeNibbles);
  return update_node(TreeNode{}, false, depth, leaves);
}

// Applies `updates` (all under this node's path) to `node`, then stores it, erases it, or
// collapses it into its single remaining leaf. The root (depth 0) is always stored.
Result<TreeSlot> StateTree::update_node(TreeNode node, bool stored, uint32_t depth,
                                        std::span<const TreeUpdate> updates) {
  size_t begin = 0;
  while (begin < updates.size()) {
    const uint32_t nibble = key_nibble(updates[begin].key, depth);
    size_t end = begin + 1;
    while (end < updates.size() && key_nibble(updates[end].key, depth) == nibble) ++end;
    auto slot = update_slot(node.slots[nibble], depth + 1, updates.subspan(begin, end - begin));
    if (!slot) return slot.status();
    node.slots[nibble] = *slot;
    begin = end;
  }
  const TreeNodeKey node_key = tree_node_key(updates.front().key, depth);
  uint32_t last = 0;
  const uint32_t count = occupied_slots(node, 0, kTreeRadix, &last);
  const bool collapses =
      count == 0 || (count == 1 && node.slots[last].kind == TreeSlot::Kind::kLeaf);
  if (depth > 0 && collapses) {
    if (stored) PHALANX_RETURN_IF_ERROR(store_->erase(node_key.span()));
    return count == 0 ? TreeSlot{} : node.slots[last];
  }
  PHALANX_RETURN_IF_ERROR(store_->put(node_key.span(), encode_node(node)));
  return TreeSlot::make_internal(node_hash(node));
}

bool verify_proof(const Hash& root, const Hash& key, const std::optional<Hash>& value_hash,
                  const TreeProof& proof) {
  const size_t depth = proof.siblings.size();
  if (depth > kTreeBits) return false;
  Hash hash{};
  if (value_hash.has_value()) {
    if (!proof.leaf || proof.leaf->key != key || proof.leaf->value_hash != *value_hash) {
      return false;
    }
    hash = tree_leaf_hash(*proof.leaf);
  } else if (proof.leaf.has_value()) {
    // Absence shown by another leaf alone in the subtree that `key` would belong to.
    if (proof.leaf->key == key) return false;
    for (uint32_t i = 0; i < depth; ++i) {
      if (key_bit(proof.leaf->key, i) != key_bit(key, i)) return false;
    }
    hash = tree_leaf_hash(*proof.leaf);
  }
  for (size_t i = depth; i-- > 0;) {
    const Hash& sibling = proof.siblings[i];
    hash = key_bit(key, static_cast<uint32_t>(i)) ? tree_internal_hash(sibling, hash)
                                                  : tree_internal_hash(hash, sibling);
  }
  return hash == root;
}

Bytes encode_proof(const TreeProof& proof) {
  PHALANX_ASSERT(proof.siblings.size() <= kTreeBits);
  Writer writer;
  writer.u16(static_cast<uint16_t>(proof.siblings.size()));
  for (const Hash& sibling : proof.siblings) writer.fixed(sibling);
  writer.u8(proof.leaf.has_value() ? 1 : 0);
  if (proof.leaf) {
    writer.fixed(proof.leaf->key);
    writer.fixed(proof.leaf->value_hash);
  }
  return writer.take();
}

Result<TreeProof> decode_proof(ByteSpan bytes) {
  Reader reader(bytes);
  uint16_t count = 0;
  PHALANX_RETURN_IF_ERROR(reader.u16(&count));
  PHALANX_RETURN_IF_ERROR(reader.count(count, kTreeBits, 32));
  TreeProof proof;
  proof.siblings.resize(count);
  for (Hash& sibling : proof.siblings) PHALANX_RETURN_IF_ERROR(reader.fixed(&sibling));
  uint8_t terminal = 0;
  PHALANX_RETURN_IF_ERROR(reader.u8(&terminal));
  if (terminal > 1)
    return Status::error("proof terminal must be 0 or 1, got " + std::to_string(terminal));
  if (terminal == 1) {
    TreeLeaf leaf;
    PHALANX_RETURN_IF_ERROR(reader.fixed(&leaf.key));
    PHALANX_RETURN_IF_ERROR(reader.fixed(&leaf.value_hash));
    proof.leaf = leaf;
  }
  PHALANX_RETURN_IF_ERROR(reader.finish());
  return proof;
}

}  // namespace phalanx::ledger
