// MemNode's allocation and the lifetimes of versions' nodes (ledger/mem_tree.h).
#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <new>
#include <vector>

#include "crypto/sanitizer.h"
#include "ledger/mem_tree.h"
#include "ledger/mem_tree_internal.h"

namespace phalanx::ledger {

using mem_tree_internal::kSlotsOffset;
using mem_tree_internal::node_bytes;

namespace {

// Not under ASan: it must see every free to catch a use after it.
constexpr bool kPoolNodes = !kAddressSanitizer;

// Freed nodes kept for reuse, one free list per slot count. A commit allocates and frees
// about one node per level of each path, and glibc serves these sizes (up to 2.3 KiB) from
// its slow bins: malloc and free were a fifth of a 1M-account tree's update. Nodes are
// freed on any thread (by whoever releases a version), hence a lock per list; taken a few
// at a time into a thread's own list. At most kCachedBytesMax stay cached; the rest go back
// to the heap.
class NodePool {
 public:
  static NodePool& get() {
    static NodePool* pool = new NodePool();  // never destroyed: versions may outlive main
    return *pool;
  }

  void* allocate(size_t slots) {
    if (kPoolNodes) {
      std::vector<void*>& mine = ThreadNodes::get().lists[slots];
      if (mine.empty()) take(slots, &mine);
      if (!mine.empty()) {
        void* node = mine.back();
        mine.pop_back();
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
    put_back(memory, slots);
  }

  // release() of many nodes, taking each list's lock once.
  void release_all(std::span<const MemReplaced> nodes) {
    if (!kPoolNodes) {
      for (const MemReplaced& node : nodes) ::operator delete(const_cast<MemNode*>(node.node));
      return;
    }
    size_t bytes = 0;
    for (const MemReplaced& node : nodes) bytes += node_bytes(node.slots);
    if (cached_bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes > kCachedBytesMax) {
      cached_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
      for (const MemReplaced& node : nodes) release(const_cast<MemNode*>(node.node), node.slots);
      return;
    }
    // (Not a thread's own lists: a version may be released after they are gone, at exit.)
    std::array<std::vector<void*>, kTreeRadix + 1> by_slots;
    for (const MemReplaced& node : nodes) {
      by_slots[node.slots].push_back(const_cast<MemNode*>(node.node));
    }
    for (size_t slots = 0; slots < by_slots.size(); ++slots) {
      if (by_slots[slots].empty()) continue;
      FreeList& list = lists_[slots];
      std::lock_guard<std::mutex> lock(list.mutex);
      list.nodes.insert(list.nodes.end(), by_slots[slots].begin(), by_slots[slots].end());
    }
  }

 private:
  static constexpr size_t kCachedBytesMax = size_t{64} << 20;
  // Nodes a thread takes from a shared list at once.
  static constexpr size_t kTakenAtOnce = 32;

  // A thread's own free nodes, taken from the shared lists kTakenAtOnce at a time: the tree's
  // writer and its worker thread (mem_tree.cc) allocate at once, and taking a lock per node made
  // them wait on each other. Given back when the thread ends.
  struct ThreadNodes {
    static ThreadNodes& get() {
      thread_local ThreadNodes nodes;
      return nodes;
    }
    ~ThreadNodes() {
      for (size_t slots = 0; slots < lists.size(); ++slots) {
        for (void* node : lists[slots]) NodePool::get().put_back(node, slots);
      }
    }
    std::array<std::vector<void*>, kTreeRadix + 1> lists;
  };

  void take(size_t slots, std::vector<void*>* into) {
    FreeList& list = lists_[slots];
    std::lock_guard<std::mutex> lock(list.mutex);
    const size_t count = std::min(kTakenAtOnce, list.nodes.size());
    into->insert(into->end(), list.nodes.end() - static_cast<std::ptrdiff_t>(count),
                 list.nodes.end());
    list.nodes.resize(list.nodes.size() - count);
  }

  void put_back(void* memory, size_t slots) {
    FreeList& list = lists_[slots];
    std::lock_guard<std::mutex> lock(list.mutex);
    list.nodes.push_back(memory);  // (the free node itself is not touched: it is cold)
  }

  struct FreeList {
    std::mutex mutex;
    std::vector<void*> nodes;
  };
  std::array<FreeList, kTreeRadix + 1> lists_;
  std::atomic<size_t> cached_bytes_{0};
};
}  // namespace

void* MemNode::allocate(size_t slots) {
  PHALANX_ASSERT(slots <= kTreeRadix);
  void* memory = NodePool::get().allocate(slots);
  // A pooled node is cold: its lines arrive while the caller works on the node's children.
  const size_t bytes = node_bytes(slots);
  for (size_t offset = 0; offset < bytes; offset += 64) {
    __builtin_prefetch(static_cast<char*>(memory) + offset, 1);
  }
  return memory;
}

void MemNode::release(void* memory, size_t slots) { NodePool::get().release(memory, slots); }

MemNode* MemNode::make(uint64_t born, std::span<const MemSlot> slots) {
  void* memory = NodePool::get().allocate(slots.size());
  std::uninitialized_copy(slots.begin(), slots.end(), slots_at(memory));
  return make_at(born, slots.size(), memory);
}

MemSlot* MemNode::slots_at(void* memory) {
  return reinterpret_cast<MemSlot*>(static_cast<unsigned char*>(memory) + kSlotsOffset);
}

MemNode* MemNode::make_at(uint64_t born, size_t count, void* memory) {
  PHALANX_ASSERT(count <= kTreeRadix);
  const bool dense = count >= kMemInnerHashesSlotsMin;
  static_assert(alignof(MemNode) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__ &&
                alignof(MemSlot) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
  static_assert(std::is_trivially_destructible_v<MemInnerHashes>);
  MemNode* node = new (memory) MemNode();
  node->born = born;
  node->count_ = static_cast<uint8_t>(count);
  node->dense_ = dense;
  for (const MemSlot& slot : node->slots()) node->mask_ |= static_cast<uint16_t>(1u << slot.nibble);
  if (dense) new (node->raw(kSlotsOffset + count * sizeof(MemSlot))) MemInnerHashes;
  return node;
}

// Every part is trivially destructible: the memory is all there is to free.
void MemNode::free(const MemNode* node) {
  NodePool::get().release(const_cast<MemNode*>(node), node->count_);
}

void MemNode::free(const MemReplaced& replaced) {
  NodePool::get().release(const_cast<MemNode*>(replaced.node), replaced.slots);
}

void MemNode::free(std::span<const MemReplaced> replaced) { NodePool::get().release_all(replaced); }

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

MemTreeVersion::MemTreeVersion(const MemNode* root, uint64_t height, uint64_t number,
                               std::shared_ptr<MemTreeNodes> nodes)
    : root_(root), height_(height), number_(number), nodes_(std::move(nodes)) {}

MemTreeVersion::~MemTreeVersion() { nodes_->released(number_); }

}  // namespace phalanx::ledger
