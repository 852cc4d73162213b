#include "ledger/mem_tree.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <string>
#include <utility>

#include "ledger/job_thread.h"
#include "ledger/mem_tree_internal.h"

namespace phalanx::ledger {

using mem_tree_internal::hash_node;
using mem_tree_internal::leaf_slot;
using mem_tree_internal::node_bytes;

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

// A node's subtree hashes from its slots, written into `*into` (the node's own: no copy
// through a temporary). With `old` (the cache of the node it replaces), only the subtrees
// holding a slot in `changed` are rehashed.
void inner_hashes(std::span<const MemSlot> slots, uint16_t changed, const MemInnerHashes* old,
                  MemInnerHashes* into) {
  MemInnerHashes& out = *into;
  static const Hash kZero{};
  std::array<const Hash*, kTreeRadix> slot_hash{};
  uint16_t present = 0, leaves = 0;
  for (const MemSlot& slot : slots) {
    slot_hash[slot.nibble] = &slot.hash;
    present |= static_cast<uint16_t>(1u << slot.nibble);
    if (slot.is_leaf) leaves |= static_cast<uint16_t>(1u << slot.nibble);
  }
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
}

}  // namespace

namespace mem_tree_internal {

void hash_node(MemNode* node, uint16_t changed, const MemNode* old) {
  MemInnerHashes* inner = node->inner_data();
  if (inner == nullptr) {
    // Recursing over its few slots: ~10% less apply time than filling the heap (tried).
    node->hash = range_hash(node->slots(), 0, kTreeRadix);
    return;
  }
  inner_hashes(node->slots(), changed, old != nullptr ? old->inner() : nullptr, inner);
  node->hash = (*inner)[0];
}

MemSlot leaf_slot(uint8_t nibble, const TreeLeaf& leaf) {
  MemSlot slot;
  slot.nibble = nibble;
  slot.is_leaf = true;
  slot.leaf = leaf;
  slot.hash = tree_leaf_hash(leaf);
  return slot;
}

}  // namespace mem_tree_internal

namespace {

// What a slot holds after an update: nothing, a leaf, or a node.
struct SlotValue {
  std::optional<TreeLeaf> leaf;
  const MemNode* node = nullptr;
};

// One apply over the batch's tree. The nodes it writes are born `born`; a node it replaces is
// either the last version's (handed to `replaced`, still read through that version) or the
// batch's own (freed once the apply succeeded: only the batch reached it). undo() frees what
// a failed apply wrote, leaving the batch as it was.
class Applier {
 public:
  // A batch this large is split between two threads at the root: a worker's wake-up costs far
  // less than half its work.
  static constexpr size_t kParallelUpdatesMin = 64;

  explicit Applier(uint64_t born) : born_(born) {}

  // Applies `updates` (all under this node's path) to `old` (nullptr: a new node); returns
  // the new node, or what it collapsed into. The root (depth 0) never collapses. With a
  // `worker`, a large batch's subtrees are updated by two threads. Fails when any update of
  // this Applier failed (a sibling subtree's too): the whole apply fails then.
  Result<SlotValue> update_node(const MemNode* old, uint32_t depth,
                                std::span<const TreeUpdate> updates, JobThread* worker = nullptr) {
    const uint16_t touched = touched_nibbles(depth, updates);
    if (old != nullptr) prefetch(*old, touched);
    const std::span<const MemSlot> before =
        old != nullptr ? old->slots() : std::span<const MemSlot>();
    // The new node's memory, for as many slots as it has unless an update deletes one.
    const size_t expected = static_cast<size_t>(
        std::popcount(static_cast<uint16_t>(touched | (old != nullptr ? old->mask() : 0))));
    void* memory = MemNode::allocate(expected);

    // One group of updates per touched slot, then each group's new slot value.
    Groups groups = group_updates(depth, updates, before);
    if (worker != nullptr && updates.size() >= kParallelUpdatesMin && groups.count > 1) {
      update_in_parallel(&groups, depth, worker);
    } else {
      for (size_t g = 0; g < groups.count; ++g) update_group(&groups.at[g], depth);
    }
    if (!error_.is_ok()) {
      MemNode::release(memory, expected);
      return error_;
    }

    // The slots, built here, then copied in one go (writing each slot into the cold node as
    // it comes was slower). Not zeroed: only the first `count` are read.
    union Slots {
      Slots() {}
      MemSlot at[kTreeRadix];
    } buffer;
    MemSlot* const slots = buffer.at;
    const size_t count = merge_slots(groups, before, slots);

    if (old != nullptr) replace(old);
    if (depth > 0 && (count == 0 || (count == 1 && slots[0].is_leaf))) {
      const SlotValue collapsed = count == 0 ? SlotValue{} : SlotValue{slots[0].leaf, nullptr};
      MemNode::release(memory, expected);
      if (old != nullptr) erased_.push_back(tree_node_key(updates.front().key, depth));
      return collapsed;
    }
    if (count != expected) {  // an update deleted a slot: a node of the right size
      MemNode::release(memory, expected);
      memory = MemNode::allocate(count);
    }
    std::copy(slots, slots + count, MemNode::slots_at(memory));
    MemNode* node = MemNode::make_at(born_, count, memory);
    written_.push_back(node);
    hash_node(node, touched, old);
    if (old == nullptr || old->born != born_) ++created_;
    return SlotValue{std::nullopt, node};
  }

  // After a successful apply: frees the batch's replaced nodes, hands over the last
  // version's, reports the changes.
  void done(std::vector<MemReplaced>* replaced, MemTreeChanges* changes) {
    replaced->insert(replaced->end(), replaced_in_version_.begin(), replaced_in_version_.end());
    changes->erased.insert(changes->erased.end(), erased_.begin(), erased_.end());
    changes->created += created_;
    MemNode::free(replaced_in_batch_);
  }
  void undo() {
    for (const MemNode* node : written_) MemNode::free(node);
  }

 private:
  // (No Result here: zeroing, building and destroying 16 of them per node took a 1M-account
  // tree's batch ~0.15 ms of CPU. A failure goes to error_.)
  struct Group {
    uint32_t nibble = 0;
    const MemSlot* existing = nullptr;  // the slot it updates (nullptr: a new slot)
    std::span<const TreeUpdate> updates;
    SlotValue value;
  };
  struct Groups {
    std::array<Group, kTreeRadix> at;
    size_t count = 0;
  };

  // The updates (sorted, all under this node) split by their nibble at `depth`, each group
  // with the slot of `before` (the old node's slots) it updates.
  static Groups group_updates(uint32_t depth, std::span<const TreeUpdate> updates,
                              std::span<const MemSlot> before) {
    Groups groups;
    for (size_t begin = 0, kept = 0; begin < updates.size();) {
      const uint32_t nibble = key_nibble(updates[begin].key, depth);
      size_t end = begin + 1;
      while (end < updates.size() && key_nibble(updates[end].key, depth) == nibble) ++end;
      while (kept < before.size() && before[kept].nibble < nibble) ++kept;
      const MemSlot* existing =
          kept < before.size() && before[kept].nibble == nibble ? &before[kept++] : nullptr;
      groups.at[groups.count++] =
          Group{nibble, existing, updates.subspan(begin, end - begin), SlotValue{}};
      begin = end;
    }
    return groups;
  }

  // The new node's slots into `slots`: the untouched ones of `before` and the groups' values,
  // in nibble order; returns how many. (Only when no group failed.)
  static size_t merge_slots(const Groups& groups, std::span<const MemSlot> before, MemSlot* slots) {
    size_t count = 0, kept = 0;
    for (size_t g = 0; g < groups.count; ++g) {
      const Group& group = groups.at[g];
      while (kept < before.size() && before[kept].nibble < group.nibble) {
        slots[count++] = before[kept++];
      }
      if (group.existing != nullptr) ++kept;
      const SlotValue& value = group.value;
      if (value.node != nullptr) {
        MemSlot slot;
        slot.nibble = static_cast<uint8_t>(group.nibble);
        slot.is_leaf = false;
        slot.hash = value.node->hash;
        slot.child = value.node;
        slots[count++] = slot;
      } else if (value.leaf.has_value()) {
        const bool unchanged = group.existing != nullptr && group.existing->is_leaf &&
                               group.existing->leaf == *value.leaf;
        slots[count++] = unchanged ? *group.existing
                                   : leaf_slot(static_cast<uint8_t>(group.nibble), *value.leaf);
      }
    }
    while (kept < before.size()) slots[count++] = before[kept++];
    return count;
  }

  void update_group(Group* group, uint32_t depth) {
    if (!error_.is_ok()) return;  // the apply fails: no more work for it
    Result<SlotValue> value = update_slot(group->existing, depth + 1, group->updates);
    if (value) {
      group->value = std::move(value).value();
    } else {
      error_ = value.status();
    }
  }
  // Updates the groups not yet taken, one at a time, from `next`.
  void update_groups(Groups* groups, std::atomic<size_t>* next, uint32_t depth) {
    for (size_t g = next->fetch_add(1); g < groups->count; g = next->fetch_add(1)) {
      update_group(&groups->at[g], depth);
    }
  }

  // This thread and the worker (geth hashes a large trie's top children in parallel the same
  // way), with an Applier of its own (taken over by this one once done), take the groups one
  // at a time: a worker that wakes late (waking a halted vCPU can
  // take 0.1 ms) takes fewer, and neither waits on the other's share.
  void update_in_parallel(Groups* groups, uint32_t depth, JobThread* worker) {
    std::atomic<size_t> next{0};
    Applier other(born_);
    worker->start([&] { other.update_groups(groups, &next, depth); });
    update_groups(groups, &next, depth);
    worker->wait();
    take(&other);
  }

  void take(Applier* other) {
    const auto append = [](auto* to, auto& from) {
      to->insert(to->end(), from.begin(), from.end());
    };
    append(&written_, other->written_);
    append(&replaced_in_batch_, other->replaced_in_batch_);
    append(&replaced_in_version_, other->replaced_in_version_);
    append(&erased_, other->erased_);
    created_ += other->created_;
    if (error_.is_ok()) error_ = std::move(other->error_);
  }

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
    return update_node(nullptr, depth, leaves);
  }

  static uint16_t touched_nibbles(uint32_t depth, std::span<const TreeUpdate> updates) {
    uint16_t touched = 0;
    for (const TreeUpdate& update : updates) {
      touched |= static_cast<uint16_t>(1u << key_nibble(update.key, depth));
    }
    return touched;
  }

  // A 1M-account tree lives in DRAM and an update reads one cold node per level: fetch this
  // node's slots and the children the updates go to now, so their misses overlap.
  static void prefetch(const MemNode& node, uint16_t touched) {
    const auto* bytes = reinterpret_cast<const char*>(&node);
    const size_t size = node_bytes(node.slots().size());
    for (size_t offset = 64; offset < size; offset += 64) __builtin_prefetch(bytes + offset);
    for (const MemSlot& slot : node.slots()) {
      if (!slot.is_leaf && (touched >> slot.nibble & 1u) != 0) __builtin_prefetch(slot.child);
    }
  }

  void replace(const MemNode* old) {
    const MemReplaced replaced{old, old->born, static_cast<uint32_t>(old->slots().size())};
    (old->born == born_ ? replaced_in_batch_ : replaced_in_version_).push_back(replaced);
  }

  uint64_t born_;
  std::vector<MemNode*> written_;
  std::vector<MemReplaced> replaced_in_batch_, replaced_in_version_;
  std::vector<TreeNodeKey> erased_;
  uint64_t created_ = 0;
  Status error_;  // the first failure of any group (the apply then fails)
};

// Visits `node` and the nodes below it born after `since` (all of them when `all`).
Status for_each_newer(const MemNode& node, TreeNodeKey* key, uint64_t since, bool all,
                      const std::function<Status(const TreeNodeKey&, const MemNode&)>& visit) {
  PHALANX_RETURN_IF_ERROR(visit(*key, node));
  for (const MemSlot& slot : node.slots()) {
    if (slot.is_leaf || (!all && slot.child->born <= since)) continue;
    key->bytes[key->size++] = slot.nibble;
    Status status = for_each_newer(*slot.child, key, since, all, visit);
    --key->size;
    PHALANX_RETURN_IF_ERROR(status);
  }
  return Status::ok();
}

// Frees the batch's nodes under `node` (born `born`); the others belong to a version.
void free_born(const MemNode* node, uint64_t born) {
  if (node == nullptr || node->born != born) return;
  for (const MemSlot& slot : node->slots()) {
    if (!slot.is_leaf) free_born(slot.child, born);
  }
  MemNode::free(node);
}

}  // namespace

TreeNode MemNode::to_tree_node() const {
  TreeNode node;
  for (const MemSlot& slot : slots()) {
    node.slots[slot.nibble] =
        slot.is_leaf ? TreeSlot::make_leaf(slot.leaf) : TreeSlot::make_internal(slot.hash);
  }
  return node;
}

void MemNode::encode(Bytes* out) const {
  NodeRecordWriter writer(out);
  for (const MemSlot& slot : slots()) {
    if (slot.is_leaf) {
      writer.leaf(slot.nibble, slot.leaf);
    } else {
      writer.child(slot.nibble, slot.hash);
    }
  }
  writer.finish();
}

const MemSlot* MemNode::find(uint32_t nibble) const {
  // From the header's mask: only the slot's own lines are read.
  if (nibble >= kTreeRadix || (mask_ >> nibble & 1u) == 0) return nullptr;
  return slot_data() + std::popcount(static_cast<uint16_t>(mask_ & ((1u << nibble) - 1)));
}

MemTree::MemTree() : MemTree(MemSubtree(), 0) {}

MemTree::MemTree(MemSubtree root, uint64_t height) : nodes_(std::make_shared<MemTreeNodes>()) {
  head_ = std::make_shared<const MemTreeVersion>(root.get(), height, 0, nodes_);
  nodes_->published(0, {});
  static_cast<void>(root.release());  // the tree's now
}

MemTree::~MemTree() {
  if (nodes_ == nullptr) return;  // moved from
  discard();
  nodes_->orphan(head_->root());
}

MemTree::MemTree(MemTree&& other) noexcept
    : nodes_(std::move(other.nodes_)),
      head_(std::move(other.head_)),
      published_(other.published_),
      in_batch_(std::exchange(other.in_batch_, false)),
      batch_root_(std::exchange(other.batch_root_, nullptr)),
      batch_replaced_(std::move(other.batch_replaced_)),
      worker_(std::move(other.worker_)) {}

MemTree& MemTree::operator=(MemTree&& other) noexcept {
  if (this != &other) {
    this->~MemTree();
    new (this) MemTree(std::move(other));
  }
  return *this;
}

Result<Hash> MemTree::apply(std::span<const TreeUpdate> updates, MemTreeChanges* changes) {
  PHALANX_ASSERT(updates.size() <= kTreeUpdatesMax);
  for (size_t i = 1; i < updates.size(); ++i) {
    PHALANX_ASSERT_MSG(updates[i - 1].key < updates[i].key, "tree updates must be sorted");
  }
  if (updates.empty()) return mem_tree_root_hash(root());
  Applier applier(batch_born());
  if (worker_ == nullptr && updates.size() >= Applier::kParallelUpdatesMin) {
    worker_ = std::make_unique<JobThread>();
  }
  auto value = applier.update_node(root(), 0, updates, worker_.get());
  if (!value) {
    applier.undo();
    return value.status();
  }
  applier.done(&batch_replaced_, changes);
  batch_root_ = value->node;  // the root never collapses
  in_batch_ = true;
  return mem_tree_root_hash(batch_root_);
}

std::shared_ptr<const MemTreeVersion> MemTree::publish(uint64_t height) {
  const uint64_t number = batch_born();
  auto version = std::make_shared<const MemTreeVersion>(root(), height, number, nodes_);
  nodes_->published(number, std::move(batch_replaced_));
  head_ = version;  // releases the previous head (its holders may keep it)
  published_ = number;
  in_batch_ = false;
  batch_root_ = nullptr;
  batch_replaced_.clear();
  return version;
}

size_t MemTree::replaced_nodes_kept() const { return nodes_->replaced_kept(); }

void MemTree::discard() {
  if (in_batch_) free_born(batch_root_, batch_born());
  in_batch_ = false;
  batch_root_ = nullptr;
  batch_replaced_.clear();
}

const MemNode* mem_tree_find(const MemNode* root, ByteSpan key) {
  if (root == nullptr || key.empty() || key[0] != 0x00) return nullptr;
  const MemNode* node = root;
  for (size_t i = 1; i < key.size(); ++i) {
    const MemSlot* slot = key[i] < kTreeRadix ? node->find(key[i]) : nullptr;
    if (slot == nullptr || slot->is_leaf) return nullptr;
    node = slot->child;
  }
  return node;
}

Status mem_tree_for_each_newer(
    const MemNode* root, uint64_t since,
    const std::function<Status(const TreeNodeKey& key, const MemNode& node)>& visit) {
  if (root == nullptr || root->born <= since) return Status::ok();
  TreeNodeKey key;
  key.size = 1;  // bytes[0] = 0x00: the root's key
  return for_each_newer(*root, &key, since, false, visit);
}

Status mem_tree_for_each(
    const MemNode* root,
    const std::function<Status(const TreeNodeKey& key, const MemNode& node)>& visit) {
  if (root == nullptr) return Status::ok();
  TreeNodeKey key;
  key.size = 1;
  return for_each_newer(*root, &key, 0, true, visit);
}
Result<std::optional<ByteSpan>> MemNodeReader::view(ByteSpan key) const {
  const MemNode* node = mem_tree_find(root_, key);
  if (node == nullptr) return std::optional<ByteSpan>();
  node->encode(&record_);
  return std::optional<ByteSpan>(record_);
}

}  // namespace phalanx::ledger
