#include "ledger/mem_tree.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <map>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <utility>

namespace phalanx::ledger {

namespace {

// The header, then the slots (MemSlot's alignment), then a dense node's inner hashes.
constexpr size_t kSlotsOffset =
    (sizeof(MemNode) + alignof(MemSlot) - 1) / alignof(MemSlot) * alignof(MemSlot);

constexpr size_t node_bytes(size_t slots) {
  return kSlotsOffset + slots * sizeof(MemSlot) +
         (slots >= kMemInnerHashesSlotsMin ? sizeof(MemInnerHashes) : 0);
}

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

// Sets node->hash (and a dense node's inner hashes) from its slots; `old` is the node it
// replaces, whose inner hashes are valid outside `changed`.
void hash_node(MemNode* node, uint16_t changed, const MemNode* old) {
  MemInnerHashes* inner = node->inner_data();
  if (inner == nullptr) {
    // Recursing over its few slots: ~10% less apply time than filling the heap (tried).
    node->hash = range_hash(node->slots(), 0, kTreeRadix);
    return;
  }
  *inner = inner_hashes(node->slots(), changed, old != nullptr ? old->inner() : nullptr);
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
  explicit Applier(uint64_t born) : born_(born) {}

  // Applies `updates` (all under this node's path) to `old` (nullptr: a new node); returns
  // the new node, or what it collapsed into. The root (depth 0) never collapses.
  Result<SlotValue> update_node(const MemNode* old, uint32_t depth,
                                std::span<const TreeUpdate> updates) {
    const std::span<const MemSlot> before =
        old != nullptr ? old->slots() : std::span<const MemSlot>();
    if (old != nullptr) prefetch(*old, depth, updates);
    std::array<MemSlot, kTreeRadix> slots;
    size_t count = 0, kept = 0;
    uint16_t changed = 0;
    for (size_t begin = 0; begin < updates.size();) {
      const uint32_t nibble = key_nibble(updates[begin].key, depth);
      changed |= static_cast<uint16_t>(1u << nibble);
      size_t end = begin + 1;
      while (end < updates.size() && key_nibble(updates[end].key, depth) == nibble) ++end;
      while (kept < before.size() && before[kept].nibble < nibble) slots[count++] = before[kept++];
      const MemSlot* existing = nullptr;
      if (kept < before.size() && before[kept].nibble == nibble) existing = &before[kept++];
      auto value = update_slot(existing, depth + 1, updates.subspan(begin, end - begin));
      if (!value) return value.status();
      if (value->node != nullptr) {
        MemSlot& slot = slots[count++];
        slot.nibble = static_cast<uint8_t>(nibble);
        slot.is_leaf = false;
        slot.hash = value->node->hash;
        slot.child = value->node;
      } else if (value->leaf.has_value()) {
        const bool unchanged =
            existing != nullptr && existing->is_leaf && existing->leaf == *value->leaf;
        slots[count++] =
            unchanged ? *existing : leaf_slot(static_cast<uint8_t>(nibble), *value->leaf);
      }
      begin = end;
    }
    while (kept < before.size()) slots[count++] = before[kept++];

    if (old != nullptr) replace(old);
    if (depth > 0 && (count == 0 || (count == 1 && slots[0].is_leaf))) {
      if (old != nullptr) erased_.push_back(tree_node_key(updates.front().key, depth));
      if (count == 0) return SlotValue{};
      return SlotValue{slots[0].leaf, nullptr};
    }
    MemNode* node = MemNode::make(born_, std::span<const MemSlot>(slots.data(), count));
    written_.push_back(node);
    hash_node(node, changed, old);
    if (old == nullptr || old->born != born_) ++created_;
    return SlotValue{std::nullopt, node};
  }

  // After a successful apply: frees the batch's replaced nodes, hands over the last
  // version's, reports the changes.
  void done(std::vector<MemReplaced>* replaced, MemTreeChanges* changes) {
    replaced->insert(replaced->end(), replaced_in_version_.begin(), replaced_in_version_.end());
    changes->erased.insert(changes->erased.end(), erased_.begin(), erased_.end());
    changes->created += created_;
    for (const MemReplaced& node : replaced_in_batch_) MemNode::free(node);
  }
  void undo() {
    for (const MemNode* node : written_) MemNode::free(node);
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
    return update_node(nullptr, depth, leaves);
  }

  // A 1M-account tree lives in DRAM and an update reads one cold node per level: fetch this
  // node's slots and the children the updates go to now, so their misses overlap.
  static void prefetch(const MemNode& node, uint32_t depth, std::span<const TreeUpdate> updates) {
    const auto* bytes = reinterpret_cast<const char*>(&node);
    const size_t size = node_bytes(node.slots().size());
    for (size_t offset = 64; offset < size; offset += 64) __builtin_prefetch(bytes + offset);
    uint16_t touched = 0;
    for (const TreeUpdate& update : updates) {
      touched |= static_cast<uint16_t>(1u << key_nibble(update.key, depth));
    }
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

Status corrupt(ByteSpan key, const std::string& what) {
  return Status::error("state tree node " + hex_encode(key) + ": " + what + " (corrupt store)");
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kPoolNodes = false;  // ASan must see every free to catch a use after it
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kPoolNodes = false;
#else
constexpr bool kPoolNodes = true;
#endif
#else
constexpr bool kPoolNodes = true;
#endif

// Freed nodes kept for reuse, one free list per slot count. A commit allocates and frees
// about one node per level of each path, and glibc serves these sizes (up to 2.3 KiB) from
// its slow bins: malloc and free were a fifth of a 1M-account tree's update. Nodes are
// freed on any thread (by whoever releases a version), hence a lock per list. At most
// kCachedBytesMax stay cached; the rest go back to the heap.
class NodePool {
 public:
  static NodePool& get() {
    static NodePool* pool = new NodePool();  // never destroyed: versions may outlive main
    return *pool;
  }

  void* allocate(size_t slots) {
    if (kPoolNodes) {
      FreeList& list = lists_[slots];
      std::lock_guard<std::mutex> lock(list.mutex);
      if (!list.nodes.empty()) {
        void* node = list.nodes.back();
        list.nodes.pop_back();
        cached_bytes_.fetch_sub(node_bytes(slots), std::memory_order_relaxed);
        return node;
      }
    }
    return ::operator new(node_bytes(slots));
  }

  void release(void* memory, size_t slots) {
    const size_t bytes = node_bytes(slots);
    if (!kPoolNodes ||
        cached_bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes > kCachedBytesMax) {
      if (kPoolNodes) cached_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
      ::operator delete(memory);
      return;
    }
    FreeList& list = lists_[slots];
    std::lock_guard<std::mutex> lock(list.mutex);
    list.nodes.push_back(memory);  // (the free node itself is not touched: it is cold)
  }

 private:
  static constexpr size_t kCachedBytesMax = size_t{64} << 20;
  struct FreeList {
    std::mutex mutex;
    std::vector<void*> nodes;
  };
  std::array<FreeList, kTreeRadix + 1> lists_;
  std::atomic<size_t> cached_bytes_{0};
};

}  // namespace

MemNode* MemNode::make(uint64_t born, std::span<const MemSlot> slots) {
  PHALANX_ASSERT(slots.size() <= kTreeRadix);
  const bool dense = slots.size() >= kMemInnerHashesSlotsMin;
  static_assert(alignof(MemNode) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__ &&
                alignof(MemSlot) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
  static_assert(std::is_trivially_destructible_v<MemInnerHashes>);
  void* memory = NodePool::get().allocate(slots.size());
  MemNode* node = new (memory) MemNode();
  node->born = born;
  node->count_ = static_cast<uint8_t>(slots.size());
  node->dense_ = dense;
  std::uninitialized_copy(slots.begin(), slots.end(),
                          reinterpret_cast<MemSlot*>(node->raw(kSlotsOffset)));
  if (dense) new (node->raw(kSlotsOffset + slots.size() * sizeof(MemSlot))) MemInnerHashes;
  return node;
}

// Every part is trivially destructible: the memory is all there is to free.
void MemNode::free(const MemNode* node) {
  NodePool::get().release(const_cast<MemNode*>(node), node->count_);
}

void MemNode::free(const MemReplaced& replaced) {
  NodePool::get().release(const_cast<MemNode*>(replaced.node), replaced.slots);
}

void MemNode::free_subtree(const MemNode* node) {
  if (node == nullptr) return;
  for (const MemSlot& slot : node->slots()) {
    if (!slot.is_leaf) free_subtree(slot.child);
  }
  free(node);
}

// Where the slots and inner hashes live (no objects implied: make() constructs them there).
unsigned char* MemNode::raw(size_t offset) const {
  return reinterpret_cast<unsigned char*>(const_cast<MemNode*>(this)) + offset;
}

MemSlot* MemNode::slot_data() const {
  if (count_ == 0) return nullptr;
  return std::launder(reinterpret_cast<MemSlot*>(raw(kSlotsOffset)));
}

MemInnerHashes* MemNode::inner_data() const {
  if (!dense_) return nullptr;
  return std::launder(
      reinterpret_cast<MemInnerHashes*>(raw(kSlotsOffset + count_ * sizeof(MemSlot))));
}

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
  for (const MemSlot& slot : slots()) {
    if (slot.nibble == nibble) return &slot;
  }
  return nullptr;
}

// Owns the nodes of a MemTree and of its versions: the live tree (the newest version's and
// the batch's, through MemTree) and the nodes later versions replaced, kept while a held
// version reaches them. A node replaced by version r and born b is reached by versions
// b..r-1: it is freed once no held version lies in that range.
class MemTreeNodes {
 public:
  ~MemTreeNodes() {
    PHALANX_ASSERT(held_.empty());
    for (auto& [replaced_by, nodes] : replaced_) {
      for (const MemReplaced& node : nodes) MemNode::free(node);
    }
    if (orphan_root_ != nullptr) MemNode::free_subtree(orphan_root_);
  }

  // Writer: version `number` is published (held by its MemTree) and replaced `nodes`.
  void published(uint64_t number, std::vector<MemReplaced> nodes) {
    // Newest born first: the nodes no held version reaches are a prefix.
    std::sort(nodes.begin(), nodes.end(),
              [](const MemReplaced& a, const MemReplaced& b) { return a.born > b.born; });
    Unreached gone;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      held_.insert(number);
      if (!nodes.empty()) replaced_.emplace(number, std::move(nodes));
      gone = collect(number - 1, number);
    }
    gone.free();
  }

  // Any thread: the last holder of version `number` let go.
  void released(uint64_t number) {
    Unreached gone;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      held_.erase(number);
      const auto next = held_.upper_bound(number);
      gone = collect(number, next == held_.end() ? UINT64_MAX : *next);
    }
    gone.free();  // outside the lock: the writer's publish need not wait for it
  }

  size_t replaced_kept() {
    std::lock_guard<std::mutex> lock(mutex_);
    size_t count = 0;
    for (const auto& [replaced_by, nodes] : replaced_) count += nodes.size();
    return count;
  }

  // Writer: the MemTree is gone; its live tree stays while any version is held (a version may
  // share any of its nodes), then goes with the last one.
  void orphan(const MemNode* root) {
    Unreached gone;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      orphan_root_ = root;
      gone = collect();
    }
    gone.free();
  }

 private:
  // Nodes no held version reaches any more, taken out to be freed.
  struct Unreached {
    std::vector<MemReplaced> nodes;
    const MemNode* tree = nullptr;  // the orphaned live tree
    void free() {
      for (const MemReplaced& node : nodes) MemNode::free(node);
      MemNode::free_subtree(tree);
    }
  };

  // Takes out what no held version reaches among the nodes replaced by versions in
  // (after, upto]: releasing version x changes that only for versions up to the next one held
  // above x, so a reader holding an old version for many commits does not make each commit
  // scan them all. REQUIRES: mutex_ held.
  Unreached collect(uint64_t after = 0, uint64_t upto = UINT64_MAX) {
    Unreached gone;
    for (auto it = replaced_.upper_bound(after); it != replaced_.end() && it->first <= upto;) {
      const auto& [replaced_by, nodes] = *it;
      // The newest held version older than the replacing one reaches the nodes born up to it.
      const auto newer = held_.lower_bound(replaced_by);
      const bool none = newer == held_.begin();
      const uint64_t reached = none ? 0 : *std::prev(newer);
      auto& list = it->second;
      size_t freed = 0;
      while (freed < list.size() && (none || list[freed].born > reached)) {
        gone.nodes.push_back(list[freed++]);
      }
      list.erase(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(freed));
      it = list.empty() ? replaced_.erase(it) : std::next(it);
    }
    if (orphan_root_ != nullptr && held_.empty()) gone.tree = std::exchange(orphan_root_, nullptr);
    return gone;
  }

  std::mutex mutex_;
  std::set<uint64_t> held_;                                // versions someone holds
  std::map<uint64_t, std::vector<MemReplaced>> replaced_;  // by replacing version
  const MemNode* orphan_root_ = nullptr;
};

MemTreeVersion::MemTreeVersion(const MemNode* root, uint64_t height, uint64_t number,
                               std::shared_ptr<MemTreeNodes> nodes)
    : root_(root), height_(height), number_(number), nodes_(std::move(nodes)) {}

MemTreeVersion::~MemTreeVersion() { nodes_->released(number_); }

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
      batch_replaced_(std::move(other.batch_replaced_)) {}

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
  auto value = applier.update_node(root(), 0, updates);
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

Result<std::optional<ByteSpan>> MemNodeReader::view(ByteSpan key) const {
  const MemNode* node = mem_tree_find(root_, key);
  if (node == nullptr) return std::optional<ByteSpan>();
  node->encode(&record_);
  return std::optional<ByteSpan>(record_);
}

}  // namespace phalanx::ledger
