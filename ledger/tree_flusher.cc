#include "ledger/tree_flusher.h"

#include <sys/resource.h>
#include <unistd.h>

#include <string_view>

#include "ledger/store_records.h"

namespace phalanx::ledger {

namespace {

constexpr std::string_view kHeight = "height";

// The flusher thread's nice value (Linux: per thread).
constexpr int kFlusherNice = 10;

Status stopped() { return Status::error("the state tree's flusher is stopping"); }

Result<std::optional<uint64_t>> stored_height(const lmdb::Txn& txn, MDB_dbi meta) {
  auto stored = lmdb::get(txn, meta, as_span(kHeight));
  if (!stored) return stored.status();
  if (!stored->has_value()) return std::optional<uint64_t>();
  auto height = records::decode_u64(**stored, "state tree height");
  if (!height) return height.status();
  return std::optional<uint64_t>(*height);
}

}  // namespace

Result<std::unique_ptr<TreeFlusher>> TreeFlusher::open(const std::string& dir,
                                                       const lmdb::EnvOptions& options) {
  auto env = lmdb::Env::open(dir, options);
  if (!env) return env.status();
  if ((env->flags() & lmdb::kNotDurableFlags) != 0) {
    return Status::error("the state tree's environment must commit durably");
  }
  auto txn = lmdb::Txn::begin(*env, false);
  if (!txn) return txn.status();
  auto tree = lmdb::open_database(*txn, "tree", true);
  if (!tree) return tree.status();
  auto meta = lmdb::open_database(*txn, "meta", true);
  if (!meta) return meta.status();
  auto height = stored_height(*txn, *meta);  // what is on disk; the flushes that end move it on
  if (!height) return height.status();
  PHALANX_RETURN_IF_ERROR(txn->commit());
  std::unique_ptr<TreeFlusher> flusher(new TreeFlusher(std::move(env).value(), *tree, *meta));
  {
    std::lock_guard<std::mutex> lock(flusher->mutex_);
    flusher->durable_height_ = *height;
  }
  return flusher;
}

TreeFlusher::TreeFlusher(lmdb::Env env, MDB_dbi tree, MDB_dbi meta)
    : env_(std::move(env)), tree_(tree), meta_(meta), thread_([] {
        // Background work: the commit path (the writer and the tree's worker) goes first on a
        // busy core. Best effort: a thread may always lower its own priority.
        static_cast<void>(setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kFlusherNice));
      }) {}

TreeFlusher::~TreeFlusher() { stopping_.store(true); }  // then thread_ waits for it and joins

Result<std::optional<uint64_t>> TreeFlusher::read(
    const std::function<Status(ByteSpan key, ByteSpan record)>& visit) const {
  auto txn = lmdb::Txn::begin(env_, true);
  if (!txn) return txn.status();
  auto height = stored_height(*txn, meta_);
  if (!height || !height->has_value()) return height;
  PHALANX_RETURN_IF_ERROR(lmdb::for_each(*txn, tree_, visit));
  return height;
}

Status TreeFlusher::write(const MemNode* root, uint64_t height) {
  PHALANX_ASSERT(!busy());
  PHALANX_RETURN_IF_ERROR(commit_tree(root, height, nullptr));
  std::lock_guard<std::mutex> lock(mutex_);
  durable_height_ = height;
  return Status::ok();
}

void TreeFlusher::start(TreeFlushJob job) {
  PHALANX_ASSERT(status().is_ok());
  // The job (and the version it holds: maybe the last holder of every node replaced while it
  // was written) is freed on the flusher's thread, outside every lock.
  thread_.start([this, job = std::move(job)] { run(job); });
}

bool TreeFlusher::busy() const { return thread_.busy(); }

Status TreeFlusher::wait() {
  thread_.wait();
  return status();
}

Status TreeFlusher::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failure_;
}

std::optional<uint64_t> TreeFlusher::durable_height() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return durable_height_;
}

void TreeFlusher::run(const TreeFlushJob& job) {
  Status status = write_job(job);
  std::lock_guard<std::mutex> lock(mutex_);
  if (status) {
    durable_height_ = job.version->height();
    flushes_.fetch_add(1);
  } else if (!stopping_.load()) {
    failure_ = Status::error("writing the state tree's nodes: " + status.message());
  }
}

Status TreeFlusher::write_job(const TreeFlushJob& job) {
  // About every node changed since the last flush: rewriting the whole tree in key order
  // costs less than a put per changed node.
  auto stored = [&]() -> Result<uint64_t> {
    auto txn = lmdb::Txn::begin(env_, true);
    if (!txn) return txn.status();
    return lmdb::entries(*txn, tree_);
  }();
  if (!stored) return stored.status();
  const bool whole = job.dirty >= *stored;
  return commit_tree(job.version->root(), job.version->height(), whole ? nullptr : &job);
}

Status TreeFlusher::commit_tree(const MemNode* root, uint64_t height, const TreeFlushJob* changes) {
  auto txn = lmdb::Txn::begin(env_, false);
  if (!txn) return txn.status();
  if (changes == nullptr) {
    PHALANX_RETURN_IF_ERROR(lmdb::clear(*txn, tree_));
    PHALANX_RETURN_IF_ERROR(append_all(*txn, root));
  } else {
    // Only nodes born after the last flush differ from what the environment holds.
    Bytes record;
    PHALANX_RETURN_IF_ERROR(mem_tree_for_each_newer(
        root, changes->since, [&](const TreeNodeKey& key, const MemNode& node) {
          if (stopping_.load()) return stopped();
          node.encode(&record);
          return lmdb::put(*txn, tree_, key.span(), record);
        }));
    PHALANX_RETURN_IF_ERROR(erase_gone(*txn, root, changes->erased));
  }
  PHALANX_RETURN_IF_ERROR(lmdb::put(*txn, meta_, as_span(kHeight), records::encode_u64(height)));
  PHALANX_RETURN_IF_ERROR(txn->commit());
  if (changes == nullptr) whole_rewrites_.fetch_add(1);
  return Status::ok();
}

Status TreeFlusher::append_all(const lmdb::Txn& txn, const MemNode* root) {
  Bytes record;  // one buffer for every node's record
  lmdb::Appender appender(txn, tree_);
  return mem_tree_for_each(root, [&](const TreeNodeKey& key, const MemNode& node) {
    if (stopping_.load()) return stopped();
    node.encode(&record);
    return appender.append(key.span(), record);
  });
}

Status TreeFlusher::erase_gone(const lmdb::Txn& txn, const MemNode* root,
                               const std::vector<TreeNodeKey>& erased) {
  for (const TreeNodeKey& key : erased) {
    if (mem_tree_find(root, key.span()) != nullptr) continue;  // written again since
    // Absent when the node was created and erased again between two flushes.
    auto gone = lmdb::erase_if_present(txn, tree_, key.span());
    if (!gone) return gone.status();
  }
  return Status::ok();
}

}  // namespace phalanx::ledger
