// What ledger/mem_tree*.cc share: a node's layout and hashing, and MemTreeNodes, the owner of
// the nodes of a MemTree and its versions. Not part of the ledger's interface.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "ledger/mem_tree.h"

namespace phalanx::ledger {

namespace mem_tree_internal {

// The header, then the slots (MemSlot's alignment), then a dense node's inner hashes.
constexpr size_t kSlotsOffset =
    (sizeof(MemNode) + alignof(MemSlot) - 1) / alignof(MemSlot) * alignof(MemSlot);

constexpr size_t node_bytes(size_t slots) {
  return kSlotsOffset + slots * sizeof(MemSlot) +
         (slots >= kMemInnerHashesSlotsMin ? sizeof(MemInnerHashes) : 0);
}

MemSlot leaf_slot(uint8_t nibble, const TreeLeaf& leaf);

// Sets node->hash (and a dense node's inner hashes) from its slots; `old` is the node it
// replaces, whose inner hashes are valid outside `changed`.
void hash_node(MemNode* node, uint16_t changed, const MemNode* old);

}  // namespace mem_tree_internal

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

  // Writer: version `number` is published (held by its MemTree) and replaced `nodes`. Nothing
  // can go yet: every node it replaced was born before it, so the previous version (still
  // its MemTree's head) reaches them all; releasing that one is what frees them.
  void published(uint64_t number, std::vector<MemReplaced> nodes) {
    std::lock_guard<std::mutex> lock(mutex_);
    PHALANX_ASSERT(nodes.empty() || held_.count(number - 1) == 1);
    held_.insert(number);
    if (!nodes.empty()) replaced_.emplace(number, std::move(nodes));
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
      MemNode::free(nodes);
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
      // Unsorted: usually no older version is held and the whole list goes at once.
      const auto kept = none ? list.begin()
                             : std::partition(list.begin(), list.end(), [&](const MemReplaced& n) {
                                 return n.born <= reached;
                               });
      gone.nodes.insert(gone.nodes.end(), kept, list.end());
      list.erase(kept, list.end());
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

}  // namespace phalanx::ledger
