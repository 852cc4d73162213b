#include "ledger/tree_cache.h"

#include <algorithm>
#include <chrono>
#include <string_view>

#include "ledger/store_records.h"

namespace phalanx::ledger {

namespace {

constexpr std::string_view kTreeHeight = "tree_height";
constexpr size_t kPendingUpdateBytes = 32 + 1 + 32;

Bytes encode_pending(std::span<const TreeUpdate> updates) {
  Writer writer;
  for (const TreeUpdate& update : updates) {
    writer.fixed(update.key);
    writer.u8(update.value_hash.has_value() ? 1 : 0);
    writer.fixed(update.value_hash.value_or(Hash{}));
  }
  return writer.take();
}

// Each key once, with its last value, sorted by key: what StateTree::apply takes. `updates`
// are in the order they were applied (several blocks, or pending records, may repeat keys).
std::vector<TreeUpdate> last_per_key(std::vector<TreeUpdate> updates) {
  const auto not_increasing = [](const TreeUpdate& a, const TreeUpdate& b) {
    return !(a.key < b.key);
  };
  if (std::adjacent_find(updates.begin(), updates.end(), not_increasing) == updates.end()) {
    return updates;  // one block's updates: sorted, each key once
  }
  std::stable_sort(updates.begin(), updates.end(),
                   [](const TreeUpdate& a, const TreeUpdate& b) { return a.key < b.key; });
  std::vector<TreeUpdate> out;
  out.reserve(updates.size());
  for (TreeUpdate& update : updates) {
    if (!out.empty() && out.back().key == update.key) {
      out.back() = std::move(update);
    } else {
      out.push_back(std::move(update));
    }
  }
  return out;
}

// Appends one pending record's updates to `out`, in order.
Status decode_pending(ByteSpan bytes, uint64_t height, std::vector<TreeUpdate>* out) {
  const std::string what = "tree pending record " + std::to_string(height);
  if (bytes.size() % kPendingUpdateBytes != 0) {
    return Status::error("corrupt " + what + ": " + std::to_string(bytes.size()) + " bytes");
  }
  Reader reader(bytes);
  while (reader.remaining() > 0) {
    Hash key{}, value{};
    uint8_t present = 0;
    PHALANX_RETURN_IF_ERROR(reader.fixed(&key));
    PHALANX_RETURN_IF_ERROR(reader.u8(&present));
    PHALANX_RETURN_IF_ERROR(reader.fixed(&value));
    if (present > 1 || (present == 0 && value != Hash{})) {
      return Status::error("corrupt " + what + ": bad update");
    }
    out->push_back({key, present == 1 ? std::optional<Hash>(value) : std::nullopt});
  }
  return Status::ok();
}

}  // namespace

TreeCache::TreeCache(TreeDatabases databases, TreeCacheOptions options)
    : databases_(databases), options_(options) {}

Result<Hash> TreeCache::write_genesis(const lmdb::Txn& txn, std::span<const TreeUpdate> updates) {
  auto root = apply(updates);
  if (!root) return root.status();
  flushing_ = true;
  PHALANX_RETURN_IF_ERROR(flush(txn, 0));
  return root;
}

Result<Hash> TreeCache::apply(std::span<const TreeUpdate> updates) {
  auto root = tree_.apply(updates, &batch_changes_);
  if (!root) return root.status();
  batch_updates_.insert(batch_updates_.end(), updates.begin(), updates.end());
  return root;
}

bool TreeCache::flush_due(uint64_t pending_bytes) const {
  return commits_since_flush_ + 1 >= options_.flush_commits ||
         pending_bytes_ + pending_bytes >= options_.flush_bytes;
}

Status TreeCache::finish(const lmdb::Txn& txn, uint64_t height) {
  const std::vector<TreeUpdate> updates = last_per_key(std::move(batch_updates_));
  flushing_ = flush_due(updates.size() * kPendingUpdateBytes);
  if (flushing_) return flush(txn, height);
  batch_pending_bytes_ = updates.size() * kPendingUpdateBytes;
  return lmdb::put(txn, databases_.pending, lmdb::u64_key(height), encode_pending(updates));
}

Status TreeCache::flush(const lmdb::Txn& txn, uint64_t height) {
  // Key order (depth-first): neighbouring nodes share LMDB pages.
  const MemNode* root = tree_.root();
  auto stored = lmdb::entries(txn, databases_.tree);
  if (!stored) return stored.status();
  Bytes record;  // one buffer for every node's record
  if (dirty_nodes_ + batch_changes_.created >= *stored) {
    // About every node changed since the last flush (random accounts over many commits): the
    // whole tree rewritten with MDB_APPEND (no search, full pages) costs less than a put per
    // changed node.
    ++whole_rewrites_;
    PHALANX_RETURN_IF_ERROR(lmdb::clear(txn, databases_.tree));
    lmdb::Appender appender(txn, databases_.tree);
    PHALANX_RETURN_IF_ERROR(
        mem_tree_for_each(root, [&](const TreeNodeKey& key, const MemNode& node) {
          node.encode(&record);
          return appender.append(key.span(), record);
        }));
  } else {
    // Only nodes born after the last flush differ from what LMDB holds.
    PHALANX_RETURN_IF_ERROR(mem_tree_for_each_newer(
        root, flushed_born_, [&](const TreeNodeKey& key, const MemNode& node) {
          node.encode(&record);
          return lmdb::put(txn, databases_.tree, key.span(), record);
        }));
    PHALANX_RETURN_IF_ERROR(erase_gone(txn, root));
  }
  PHALANX_RETURN_IF_ERROR(lmdb::clear(txn, databases_.pending));
  return lmdb::put(txn, databases_.meta, as_span(kTreeHeight), records::encode_u64(height));
}

Status TreeCache::erase_gone(const lmdb::Txn& txn, const MemNode* root) {
  for (const std::vector<TreeNodeKey>* erased : {&erased_, &batch_changes_.erased}) {
    for (const TreeNodeKey& key : *erased) {
      if (mem_tree_find(root, key.span()) != nullptr) continue;  // written again since
      // Absent when the node was created and erased again since the last flush.
      auto gone = lmdb::erase_if_present(txn, databases_.tree, key.span());
      if (!gone) return gone.status();
    }
  }
  return Status::ok();
}

void TreeCache::committed(uint64_t height) {
  if (flushing_) {
    flushed_born_ = tree_.batch_born();
    erased_.clear();
    dirty_nodes_ = 0;
    pending_bytes_ = 0;
    commits_since_flush_ = 0;
  } else {
    erased_.insert(erased_.end(), batch_changes_.erased.begin(), batch_changes_.erased.end());
    dirty_nodes_ += batch_changes_.created;
    pending_bytes_ += batch_pending_bytes_;
    ++commits_since_flush_;
  }
  std::shared_ptr<const TreeVersion> version = tree_.publish(height);
  clear_batch();
  std::shared_ptr<const TreeVersion> retired;  // freed outside the lock: its nodes may be many
  {
    std::lock_guard<std::mutex> lock(mutex_);
    versions_.push_back(std::move(version));
    if (versions_.size() > kTreeVersionsKept) {
      retired = std::move(versions_.front());
      versions_.pop_front();
    }
  }
  published_.notify_all();
}

void TreeCache::aborted() {
  tree_.discard();
  clear_batch();
}

void TreeCache::clear_batch() {
  batch_changes_ = MemTreeChanges{};
  batch_updates_.clear();
  batch_pending_bytes_ = 0;
  flushing_ = false;
}

std::shared_ptr<const TreeVersion> TreeCache::version_at(uint64_t height) const {
  std::unique_lock<std::mutex> lock(mutex_);
  const bool published = published_.wait_for(lock, std::chrono::seconds(1), [&] {
    return !versions_.empty() && versions_.back()->height() >= height;
  });
  if (!published) return nullptr;
  for (const auto& version : versions_) {
    if (version->height() == height) return version;
  }
  return nullptr;
}

Result<std::vector<TreeUpdate>> TreeCache::read_pending(const lmdb::Txn& txn,
                                                        uint64_t above) const {
  std::vector<TreeUpdate> updates;  // in height order (the keys are big-endian heights)
  size_t compacted = 0;             // its size after the last last_per_key
  PHALANX_RETURN_IF_ERROR(
      lmdb::for_each(txn, databases_.pending, [&](ByteSpan key, ByteSpan value) -> Status {
        auto height = records::decode_u64(key, "tree pending key");
        if (!height) return height.status();
        if (*height <= above) return Status::ok();  // already in the flushed tree
        PHALANX_RETURN_IF_ERROR(decode_pending(value, *height, &updates));
        if (updates.size() > 2 * compacted + 4096) {  // memory: about twice the distinct keys
          updates = last_per_key(std::move(updates));
          compacted = updates.size();
        }
        return Status::ok();
      }));
  return last_per_key(std::move(updates));
}

Result<MemTree> TreeCache::stored_tree(const lmdb::Txn& txn, uint64_t height,
                                       MemTreeChanges* changes) const {
  auto stored = lmdb::get(txn, databases_.meta, as_span(kTreeHeight));
  if (!stored) return stored.status();
  uint64_t tree_height = height;  // a store from before this cache: its tree is at the tip
  if (stored->has_value()) {
    auto decoded = records::decode_u64(**stored, kTreeHeight);
    if (!decoded) return decoded.status();
    tree_height = *decoded;
  }
  if (tree_height > height) {
    return Status::error("state tree height " + std::to_string(tree_height) + " is above the tip " +
                         std::to_string(height) + " (corrupt store)");
  }
  MemTreeLoader loader;
  PHALANX_RETURN_IF_ERROR(lmdb::for_each(
      txn, databases_.tree, [&](ByteSpan key, ByteSpan value) { return loader.add(key, value); }));
  auto tree = loader.finish(tree_height);
  if (!tree) return tree.status();
  auto updates = read_pending(txn, tree_height);
  if (!updates) return updates.status();
  // In batches MemTree::apply accepts (a raised flush_bytes may leave more pending).
  const std::span<const TreeUpdate> all(*updates);
  for (size_t first = 0; first < all.size(); first += kTreeUpdatesMax) {
    const auto batch = all.subspan(first, std::min(kTreeUpdatesMax, all.size() - first));
    auto applied = tree->apply(batch, changes);
    if (!applied) return applied.status();
  }
  return tree;
}

Status TreeCache::recover(const lmdb::Txn& txn, uint64_t height, const Hash& root) {
  if (!tree_.in_batch()) {  // (right after write_genesis the tree is the batch being built)
    auto tree = stored_tree(txn, height, &batch_changes_);
    if (!tree) return tree.status();
    tree_ = std::move(tree).value();  // (only when the store opens: nothing published yet)
    flushed_born_ = 0;
  }
  if (mem_tree_root_hash(tree_.root()) != root) {
    return Status::error("the state tree rebuilt at height " + std::to_string(height) +
                         " does not match its stored state root (corrupt store)");
  }
  flushing_ = true;
  return flush(txn, height);
}

Status TreeCache::audit(const lmdb::Txn& txn, uint64_t height, const Hash& root) const {
  MemTreeChanges changes;
  auto tree = stored_tree(txn, height, &changes);
  if (!tree) return tree.status();
  if (mem_tree_root_hash(tree->root()) != root) {
    return Status::error(
        "the state tree stored in LMDB, with its pending updates, does not "
        "match the state root of height " +
        std::to_string(height));
  }
  return Status::ok();
}

}  // namespace phalanx::ledger
