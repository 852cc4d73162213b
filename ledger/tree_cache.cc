#include "ledger/tree_cache.h"

#include <algorithm>
#include <chrono>
#include <string_view>

#include "ledger/store_records.h"

namespace phalanx::ledger {

namespace {

// Formats 1 and 2: the height of the tree in the ledger's own `tree` database.
constexpr std::string_view kLegacyTreeHeight = "tree_height";
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

TreeCache::TreeCache(std::unique_ptr<TreeFlusher> flusher, TreeDatabases databases,
                     TreeCacheOptions options)
    : databases_(databases), options_(options), flusher_(std::move(flusher)) {}

Result<Hash> TreeCache::write_genesis(const lmdb::Txn& txn, std::span<const TreeUpdate> updates) {
  if (flusher_->durable_height().has_value()) {
    return Status::error(
        "the state tree's directory already holds a tree, of another store: remove it");
  }
  auto root = apply(updates);
  if (!root) return root.status();
  flush_requested_ = true;  // the first flush writes the genesis tree
  PHALANX_RETURN_IF_ERROR(finish(txn, 0));
  return root;
}

Result<Hash> TreeCache::apply(std::span<const TreeUpdate> updates) {
  auto root = tree_.apply(updates, &batch_changes_);
  if (!root) return root.status();
  batch_updates_.insert(batch_updates_.end(), updates.begin(), updates.end());
  return root;
}

Status TreeCache::finish(const lmdb::Txn& txn, uint64_t height) {
  PHALANX_RETURN_IF_ERROR(flusher_->status());
  PHALANX_RETURN_IF_ERROR(erase_flushed_pending(txn));
  const std::vector<TreeUpdate> updates = last_per_key(std::move(batch_updates_));
  batch_pending_bytes_ = updates.size() * kPendingUpdateBytes;
  return lmdb::put(txn, databases_.pending, lmdb::u64_key(height), encode_pending(updates));
}

Status TreeCache::erase_flushed_pending(const lmdb::Txn& txn) {
  const std::optional<uint64_t> durable = flusher_->durable_height();
  if (!durable.has_value() || pending_erased_upto_ >= durable) return Status::ok();
  auto erased = lmdb::erase_through(txn, databases_.pending, lmdb::u64_key(*durable));
  if (!erased) return erased.status();
  // (Should the transaction abort, the next flush's erase takes these too.)
  pending_erased_upto_ = durable;
  return Status::ok();
}

void TreeCache::committed(uint64_t height) {
  erased_.insert(erased_.end(), batch_changes_.erased.begin(), batch_changes_.erased.end());
  dirty_nodes_ += batch_changes_.created;
  pending_bytes_ += batch_pending_bytes_;
  ++commits_since_flush_;
  std::shared_ptr<const TreeVersion> version = tree_.publish(height);
  clear_batch();
  std::shared_ptr<const TreeVersion> retired;  // freed outside the lock: its nodes may be many
  {
    std::lock_guard<std::mutex> lock(mutex_);
    versions_.push_back(version);
    if (versions_.size() > kTreeVersionsKept) {
      retired = std::move(versions_.front());
      versions_.pop_front();
    }
  }
  published_.notify_all();
  maybe_flush(std::move(version));
}

void TreeCache::maybe_flush(std::shared_ptr<const TreeVersion> version) {
  const auto reached = [&](uint64_t times) {
    return commits_since_flush_ >= times * options_.flush_commits ||
           pending_bytes_ >= times * options_.flush_bytes;
  };
  if (!(flush_requested_ || reached(1))) return;
  // A flush still running: wait for it only once twice the budget is pending (what opening
  // the store would replay).
  if (flusher_->busy()) {
    if (!reached(2)) return;
    static_cast<void>(flusher_->wait());
  }
  // Idle now, so its status is final: a failed flush is reported by the next finish().
  if (!flusher_->status()) return;
  start_flush(std::move(version));
}

Status TreeCache::flush_now() {
  PHALANX_RETURN_IF_ERROR(flusher_->wait());
  std::shared_ptr<const TreeVersion> last;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!versions_.empty()) last = versions_.back();
  }
  if (last != nullptr && flusher_->durable_height() != std::optional<uint64_t>(last->height())) {
    start_flush(std::move(last));
  }
  return flusher_->wait();
}

void TreeCache::start_flush(std::shared_ptr<const TreeVersion> version) {
  TreeFlushJob job{std::move(version), flushed_born_, std::move(erased_),
                   flush_requested_ ? UINT64_MAX : dirty_nodes_};
  flushed_born_ = job.version->number();
  flusher_->start(std::move(job));
  erased_.clear();
  dirty_nodes_ = 0;
  pending_bytes_ = 0;
  commits_since_flush_ = 0;
  flush_requested_ = false;
}

void TreeCache::aborted() {
  tree_.discard();
  clear_batch();
}

void TreeCache::clear_batch() {
  batch_changes_ = MemTreeChanges{};
  batch_updates_.clear();
  batch_pending_bytes_ = 0;
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
                                                        std::optional<uint64_t> above,
                                                        uint64_t* bytes) const {
  std::vector<TreeUpdate> updates;  // in height order (the keys are big-endian heights)
  size_t compacted = 0;             // its size after the last last_per_key
  PHALANX_RETURN_IF_ERROR(
      lmdb::for_each(txn, databases_.pending, [&](ByteSpan key, ByteSpan value) -> Status {
        auto height = records::decode_u64(key, "tree pending key");
        if (!height) return height.status();
        if (above.has_value() && *height <= *above) return Status::ok();  // in the stored tree
        PHALANX_RETURN_IF_ERROR(decode_pending(value, *height, &updates));
        *bytes += value.size();
        if (updates.size() > 2 * compacted + 4096) {  // memory: about twice the distinct keys
          updates = last_per_key(std::move(updates));
          compacted = updates.size();
        }
        return Status::ok();
      }));
  return last_per_key(std::move(updates));
}

Result<TreeCache::StoredTree> TreeCache::load_stored(const lmdb::Txn& txn, uint64_t tip) const {
  MemTreeLoader loader;
  auto flushed =
      flusher_->read([&](ByteSpan key, ByteSpan record) { return loader.add(key, record); });
  if (!flushed) return flushed.status();
  StoredTree stored{MemTree(), *flushed, false};
  if (!stored.height.has_value()) {
    // None flushed yet: a new store, or one of format 1 or 2 with the nodes in the ledger.
    auto height = lmdb::get(txn, databases_.meta, as_span(kLegacyTreeHeight));
    if (!height) return height.status();
    auto entries = lmdb::entries(txn, databases_.legacy_tree);
    if (!entries) return entries.status();
    if (height->has_value()) {
      auto decoded = records::decode_u64(**height, kLegacyTreeHeight);
      if (!decoded) return decoded.status();
      stored.height = *decoded;
    } else if (*entries > 0) {
      stored.height = tip;  // format 1: written in place, at the tip
    }
    stored.legacy = stored.height.has_value();
    if (stored.legacy) {
      PHALANX_RETURN_IF_ERROR(lmdb::for_each(txn, databases_.legacy_tree, [&](ByteSpan key,
                                                                              ByteSpan value) {
        return loader.add(key, value);
      }));
    }
  }
  auto tree = loader.finish(stored.height.value_or(0));
  if (!tree) return tree.status();
  stored.tree = std::move(tree).value();
  return stored;
}

Status TreeCache::replay(const lmdb::Txn& txn, std::optional<uint64_t> above, MemTree* tree,
                         MemTreeChanges* changes, uint64_t* bytes) const {
  auto updates = read_pending(txn, above, bytes);
  if (!updates) return updates.status();
  // In batches MemTree::apply accepts (a raised flush_bytes may leave more pending).
  const std::span<const TreeUpdate> all(*updates);
  for (size_t first = 0; first < all.size(); first += kTreeUpdatesMax) {
    const auto batch = all.subspan(first, std::min(kTreeUpdatesMax, all.size() - first));
    auto applied = tree->apply(batch, changes);
    if (!applied) return applied.status();
  }
  return Status::ok();
}

Status TreeCache::recover(const lmdb::Txn& txn, uint64_t height, const Hash& root) {
  bool legacy = false;
  if (!tree_.in_batch()) {  // (right after write_genesis the tree is the batch being built)
    auto stored = load_stored(txn, height);
    if (!stored) return stored.status();
    if (stored->height.value_or(0) > height) {
      return Status::error("state tree height " + std::to_string(*stored->height) +
                           " is above the tip " + std::to_string(height) + " (corrupt store)");
    }
    PHALANX_RETURN_IF_ERROR(
        replay(txn, stored->height, &stored->tree, &batch_changes_, &batch_pending_bytes_));
    tree_ = std::move(stored->tree);  // (only when the store opens: nothing published yet)
    legacy = stored->legacy;
  }
  if (mem_tree_root_hash(tree_.root()) != root) {
    return Status::error("the state tree rebuilt at height " + std::to_string(height) +
                         " does not match its stored state root (corrupt store)");
  }
  if (legacy) return move_legacy_tree(txn, height);
  // A crash may have come between a flush and the erase of its pending records, or between
  // moving a format 1 or 2 tree and removing it from the ledger.
  PHALANX_RETURN_IF_ERROR(erase_legacy_tree(txn));
  return erase_flushed_pending(txn);
}

Status TreeCache::move_legacy_tree(const lmdb::Txn& txn, uint64_t height) {
  // The tree environment first: until this transaction commits the ledger keeps its own copy,
  // and a store whose tree environment holds a tree reads that one.
  PHALANX_RETURN_IF_ERROR(flusher_->write(tree_.root(), height));
  PHALANX_RETURN_IF_ERROR(erase_legacy_tree(txn));
  PHALANX_RETURN_IF_ERROR(lmdb::clear(txn, databases_.pending));
  flushed_born_ = tree_.batch_born();  // every node is on disk
  batch_changes_ = MemTreeChanges{};
  batch_pending_bytes_ = 0;
  pending_erased_upto_ = height;
  return Status::ok();
}

Status TreeCache::erase_legacy_tree(const lmdb::Txn& txn) {
  auto entries = lmdb::entries(txn, databases_.legacy_tree);
  if (!entries) return entries.status();
  if (*entries > 0) PHALANX_RETURN_IF_ERROR(lmdb::clear(txn, databases_.legacy_tree));
  auto erased = lmdb::erase_if_present(txn, databases_.meta, as_span(kLegacyTreeHeight));
  return erased ? Status::ok() : erased.status();
}

Result<bool> TreeCache::audit(const lmdb::Txn& txn, uint64_t height, const Hash& root) const {
  auto stored = load_stored(txn, height);
  if (!stored) return stored.status();
  if (stored->height.value_or(0) > height) return false;  // flushed past `height` meanwhile
  MemTreeChanges changes;
  uint64_t bytes = 0;
  PHALANX_RETURN_IF_ERROR(replay(txn, stored->height, &stored->tree, &changes, &bytes));
  if (mem_tree_root_hash(stored->tree.root()) != root) {
    return Status::error(
        "the state tree stored on disk, with its pending updates, does not match the state "
        "root of height " +
        std::to_string(height));
  }
  return true;
}

}  // namespace phalanx::ledger
