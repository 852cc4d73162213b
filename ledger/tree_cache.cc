#include "ledger/tree_cache.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <string_view>

#include "ledger/store_records.h"

namespace phalanx::ledger {

namespace {

constexpr std::string_view kTreeHeight = "tree_height";
constexpr size_t kPendingUpdateBytes = 32 + 1 + 32;
// Memory one written record costs besides its key and bytes: its entries in the layer's map
// and in dirty_ (nodes, key strings), the shared record's control block and vector header.
constexpr uint64_t kNodeOverheadBytes = 192;

std::string key_string(ByteSpan key) {
  return std::string(reinterpret_cast<const char*>(key.data()), key.size());
}

// Memory the records of `nodes` take, with their map entries.
uint64_t record_bytes(const TreeNodeMap& nodes) {
  uint64_t bytes = 0;
  for (const auto& [key, record] : nodes) {
    bytes += key.size() + kNodeOverheadBytes + (record ? record->size() : 0);
  }
  return bytes;
}

Result<std::optional<ByteSpan>> view_of(const std::shared_ptr<const Bytes>& record) {
  if (record == nullptr) return std::optional<ByteSpan>();
  return std::optional<ByteSpan>(*record);
}

Bytes encode_pending(std::span<const TreeUpdate> updates) {
  Writer writer;
  for (const TreeUpdate& update : updates) {
    writer.fixed(update.key);
    writer.u8(update.value_hash.has_value() ? 1 : 0);
    writer.fixed(update.value_hash.value_or(Hash{}));
  }
  return writer.take();
}

// Merges one pending record into `out` (later records win).
Status decode_pending(ByteSpan bytes, uint64_t height, std::map<Hash, std::optional<Hash>>* out) {
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
    (*out)[key] = present == 1 ? std::optional<Hash>(value) : std::nullopt;
  }
  return Status::ok();
}

}  // namespace

Result<std::optional<ByteSpan>> LayeredNodeReader::view(ByteSpan key) const {
  if (top_ != nullptr) {
    const std::string k = key_string(key);
    for (const TreeLayer* layer = top_; layer != nullptr; layer = layer->parent.get()) {
      auto it = layer->nodes.find(k);
      if (it != layer->nodes.end()) return view_of(it->second);
    }
  }
  return lmdb_.view(key);
}

// The writer's view: this commit's writes, then everything since the last flush, then LMDB.
// Writes go to the commit's batch only.
class TreeCache::WriterStore final : public NodeStore {
 public:
  WriterStore(TreeCache& cache, const lmdb::Txn& txn)
      : cache_(cache), lmdb_(txn, cache.databases_.tree) {}

  Result<std::optional<ByteSpan>> view(ByteSpan key) const override {
    const std::string k = key_string(key);
    for (const TreeNodeMap* map : {&cache_.batch_, &cache_.dirty_, &cache_.clean_}) {
      auto it = map->find(k);
      if (it != map->end()) return view_of(it->second);
    }
    return lmdb_.view(key);
  }
  Status put(ByteSpan key, ByteSpan value) override {
    cache_.batch_[key_string(key)] = std::make_shared<const Bytes>(value.begin(), value.end());
    return Status::ok();
  }
  Status erase(ByteSpan key) override {
    cache_.batch_[key_string(key)] = nullptr;
    return Status::ok();
  }

 private:
  TreeCache& cache_;
  lmdb::NodeStoreTxn lmdb_;
};

TreeCache::TreeCache(TreeDatabases databases, TreeCacheOptions options)
    : databases_(databases), options_(options) {}

Result<Hash> TreeCache::write_genesis(const lmdb::Txn& txn, std::span<const TreeUpdate> updates) {
  auto root = apply(txn, updates);
  if (!root) return root.status();
  PHALANX_RETURN_IF_ERROR(flush(txn, 0));
  flushing_ = true;
  return root;
}

Result<Hash> TreeCache::apply(const lmdb::Txn& txn, std::span<const TreeUpdate> updates) {
  WriterStore store(*this, txn);
  auto root = StateTree(store).apply(updates);
  if (!root) return root.status();
  batch_updates_.insert(batch_updates_.end(), updates.begin(), updates.end());
  return root;
}

bool TreeCache::flush_due() const {
  return commits_since_flush_ + 1 >= options_.flush_commits ||
         written_bytes_ + batch_bytes_ >= options_.flush_bytes;
}

Status TreeCache::finish(const lmdb::Txn& txn, uint64_t height) {
  batch_bytes_ = record_bytes(batch_);
  flushing_ = flush_due();
  if (flushing_) return flush(txn, height);
  return write_pending(txn, height);
}

Status TreeCache::write_pending(const lmdb::Txn& txn, uint64_t height) {
  // Each key once, its last value: the updates of several blocks of one commit may repeat keys.
  std::map<Hash, std::optional<Hash>> latest;
  for (const TreeUpdate& update : batch_updates_) latest[update.key] = update.value_hash;
  std::vector<TreeUpdate> updates;
  updates.reserve(latest.size());
  for (const auto& [key, value] : latest) updates.push_back({key, value});
  return lmdb::put(txn, databases_.pending, lmdb::u64_key(height), encode_pending(updates));
}

Status TreeCache::flush(const lmdb::Txn& txn, uint64_t height) {
  // Key order: neighbouring nodes share LMDB pages, and LMDB appends in order cheaply.
  std::map<std::string_view, const std::shared_ptr<const Bytes>*> nodes;
  for (const TreeNodeMap* map : {&dirty_, &batch_}) {  // the batch's records win
    for (const auto& [key, record] : *map) nodes[key] = &record;
  }
  for (const auto& [key, record] : nodes) {
    const ByteSpan k(reinterpret_cast<const uint8_t*>(key.data()), key.size());
    if (*record != nullptr) {
      PHALANX_RETURN_IF_ERROR(lmdb::put(txn, databases_.tree, k, **record));
    } else {
      // Absent when the node was created and erased again since the last flush.
      auto erased = lmdb::erase_if_present(txn, databases_.tree, k);
      if (!erased) return erased.status();
    }
  }
  PHALANX_RETURN_IF_ERROR(lmdb::clear(txn, databases_.pending));
  return lmdb::put(txn, databases_.meta, as_span(kTreeHeight), records::encode_u64(height));
}

void TreeCache::committed(uint64_t height) {
  auto layer = std::make_shared<TreeLayer>();
  layer->height = height;
  const bool flushed = flushing_;
  written_bytes_ += batch_bytes_;
  for (const auto& [key, record] : batch_) dirty_[key] = record;
  if (flushed) {  // LMDB holds them now: keep the top levels' as the read cache
    for (auto& [key, record] : dirty_) {
      if (key.size() > 1 + kCleanNibblesMax) continue;  // node keys: 0x00 + one byte a nibble
      if (record != nullptr) {
        clean_[key] = std::move(record);
      } else {
        clean_.erase(key);
      }
    }
    dirty_.clear();
    written_bytes_ = 0;
    commits_since_flush_ = 0;
  } else {
    ++commits_since_flush_;
    layer->nodes = std::move(batch_);
  }
  batch_.clear();
  batch_updates_.clear();
  batch_bytes_ = 0;
  flushing_ = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!flushed) layer->parent = top_;
    top_ = std::move(layer);
  }
  published_.notify_all();
}

void TreeCache::aborted() {
  batch_.clear();
  batch_updates_.clear();
  batch_bytes_ = 0;
  flushing_ = false;
}

std::shared_ptr<const TreeLayer> TreeCache::layer_at(uint64_t height) const {
  std::unique_lock<std::mutex> lock(mutex_);
  const bool published = published_.wait_for(
      lock, std::chrono::seconds(1), [&] { return top_ != nullptr && top_->height >= height; });
  if (!published) return nullptr;
  std::shared_ptr<const TreeLayer> found = top_;
  while (found != nullptr && found->height > height) found = found->parent;
  if (found == nullptr || found->height != height) return nullptr;
  return found;
}

Result<std::vector<TreeUpdate>> TreeCache::read_pending(const lmdb::Txn& txn,
                                                        uint64_t above) const {
  std::map<Hash, std::optional<Hash>> latest;
  PHALANX_RETURN_IF_ERROR(
      lmdb::for_each(txn, databases_.pending, [&](ByteSpan key, ByteSpan value) -> Status {
        auto height = records::decode_u64(key, "tree pending key");
        if (!height) return height.status();
        if (*height <= above) return Status::ok();  // already in the flushed tree
        return decode_pending(value, *height, &latest);
      }));
  std::vector<TreeUpdate> updates;
  updates.reserve(latest.size());
  for (const auto& [key, value] : latest) updates.push_back({key, value});
  return updates;
}

Status TreeCache::recover(const lmdb::Txn& txn, uint64_t height, const Hash& root) {
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
  auto updates = read_pending(txn, tree_height);
  if (!updates) return updates.status();
  Hash recovered{};
  if (updates->empty()) {
    lmdb::NodeStoreTxn nodes(txn, databases_.tree);
    auto current = StateTree(static_cast<const NodeReader&>(nodes)).root_hash();
    if (!current) return current.status();
    recovered = *current;
  } else {
    // In batches StateTree::apply accepts (a raised flush_bytes may leave more pending).
    const std::span<const TreeUpdate> all(*updates);
    for (size_t first = 0; first < all.size(); first += kTreeUpdatesMax) {
      auto applied = apply(txn, all.subspan(first, std::min(kTreeUpdatesMax, all.size() - first)));
      if (!applied) return applied.status();
      recovered = *applied;
    }
  }
  if (recovered != root) {
    return Status::error("the state tree rebuilt at height " + std::to_string(height) +
                         " does not match its stored state root (corrupt store)");
  }
  flushing_ = true;
  return flush(txn, height);
}

}  // namespace phalanx::ledger
