#include "ledger/lmdb.h"

#include <filesystem>
#include <system_error>

namespace phalanx::ledger::lmdb {

namespace {

MDB_val to_val(ByteSpan bytes) { return MDB_val{bytes.size(), const_cast<uint8_t*>(bytes.data())}; }

}  // namespace

Status error(const char* call, int rc) {
  return Status::error(std::string("LMDB ") + call + ": " + mdb_strerror(rc));
}

Result<Env> Env::open(const std::string& dir, const EnvOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::error("cannot create directory " + dir + ": " + ec.message());
  MDB_env* raw = nullptr;
  int rc = mdb_env_create(&raw);
  if (rc != 0) return error("mdb_env_create", rc);
  Env env(raw);
  rc = mdb_env_set_mapsize(raw, options.map_size_bytes);
  if (rc != 0) return error("mdb_env_set_mapsize", rc);
  rc = mdb_env_set_maxdbs(raw, options.databases_max);
  if (rc != 0) return error("mdb_env_set_maxdbs", rc);
  rc = mdb_env_set_maxreaders(raw, options.readers_max);
  if (rc != 0) return error("mdb_env_set_maxreaders", rc);
  rc = mdb_env_open(raw, dir.c_str(), MDB_NOTLS | options.extra_flags, 0600);
  if (rc != 0) {
    return Status::error("cannot open LMDB environment in " + dir + ": " + mdb_strerror(rc));
  }
  // Free reader slots left by killed processes: a stale slot pins old pages forever.
  int stale_readers = 0;
  rc = mdb_reader_check(raw, &stale_readers);
  if (rc != 0) return error("mdb_reader_check", rc);
  return env;
}

Env& Env::operator=(Env&& other) noexcept {
  if (this != &other) {
    if (env_ != nullptr) mdb_env_close(env_);
    env_ = other.env_;
    other.env_ = nullptr;
  }
  return *this;
}

Env::~Env() {
  if (env_ != nullptr) mdb_env_close(env_);
}

unsigned int Env::flags() const {
  unsigned int flags = 0;
  const int rc = mdb_env_get_flags(env_, &flags);
  PHALANX_ASSERT(rc == 0);
  return flags;
}

Status Env::sync() const {
  const int rc = mdb_env_sync(env_, 1);
  if (rc != 0) return error("mdb_env_sync", rc);
  return Status::ok();
}

Result<Txn> Txn::begin(const Env& env, bool read_only) {
  MDB_txn* raw = nullptr;
  const int rc = mdb_txn_begin(env.get(), nullptr, read_only ? MDB_RDONLY : 0, &raw);
  if (rc != 0) return error("mdb_txn_begin", rc);
  return Txn(raw);
}

Txn& Txn::operator=(Txn&& other) noexcept {
  if (this != &other) {
    abort();
    txn_ = other.txn_;
    other.txn_ = nullptr;
  }
  return *this;
}

Status Txn::commit() {
  PHALANX_ASSERT(txn_ != nullptr);
  MDB_txn* txn = txn_;
  txn_ = nullptr;
  const int rc = mdb_txn_commit(txn);
  if (rc != 0) return error("mdb_txn_commit", rc);
  return Status::ok();
}

void Txn::abort() {
  if (txn_ != nullptr) mdb_txn_abort(txn_);
  txn_ = nullptr;
}

Result<MDB_dbi> open_database(const Txn& txn, const char* name, bool create) {
  MDB_dbi dbi = 0;
  const int rc = mdb_dbi_open(txn.get(), name, create ? MDB_CREATE : 0, &dbi);
  if (rc != 0) {
    return Status::error(std::string("LMDB mdb_dbi_open(") + name + "): " + mdb_strerror(rc));
  }
  return dbi;
}

Result<std::optional<ByteSpan>> get(const Txn& txn, MDB_dbi dbi, ByteSpan key) {
  MDB_val k = to_val(key);
  MDB_val v{0, nullptr};
  const int rc = mdb_get(txn.get(), dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<ByteSpan>();
  if (rc != 0) return error("mdb_get", rc);
  return std::optional<ByteSpan>(ByteSpan(static_cast<const uint8_t*>(v.mv_data), v.mv_size));
}

namespace {
Status put_with(const Txn& txn, MDB_dbi dbi, ByteSpan key, ByteSpan value, unsigned int flags) {
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  const int rc = mdb_put(txn.get(), dbi, &k, &v, flags);
  if (rc != 0) return error("mdb_put", rc);
  return Status::ok();
}
}  // namespace

Status put(const Txn& txn, MDB_dbi dbi, ByteSpan key, ByteSpan value) {
  return put_with(txn, dbi, key, value, 0);
}

Status put_new(const Txn& txn, MDB_dbi dbi, ByteSpan key, ByteSpan value) {
  return put_with(txn, dbi, key, value, MDB_NOOVERWRITE);
}

Appender::~Appender() {
  if (cursor_ != nullptr) mdb_cursor_close(cursor_);
}

Status Appender::append(ByteSpan key, ByteSpan value) {
  if (cursor_ == nullptr) {
    const int rc = mdb_cursor_open(txn_.get(), dbi_, &cursor_);
    if (rc != 0) return error("mdb_cursor_open", rc);
  }
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  const int rc = mdb_cursor_put(cursor_, &k, &v, MDB_APPEND);
  if (rc != 0) return error("mdb_cursor_put", rc);
  return Status::ok();
}

Result<uint64_t> entries(const Txn& txn, MDB_dbi dbi) {
  MDB_stat stat{};
  const int rc = mdb_stat(txn.get(), dbi, &stat);
  if (rc != 0) return error("mdb_stat", rc);
  return static_cast<uint64_t>(stat.ms_entries);
}

Status for_each(const Txn& txn, MDB_dbi dbi,
                const std::function<Status(ByteSpan key, ByteSpan value)>& visit) {
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn.get(), dbi, &cursor);
  if (rc != 0) return error("mdb_cursor_open", rc);
  MDB_val k{0, nullptr};
  MDB_val v{0, nullptr};
  Status status;
  for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    status = visit(ByteSpan(static_cast<const uint8_t*>(k.mv_data), k.mv_size),
                   ByteSpan(static_cast<const uint8_t*>(v.mv_data), v.mv_size));
    if (!status) break;
  }
  mdb_cursor_close(cursor);
  if (!status) return status;
  if (rc != MDB_NOTFOUND) return error("mdb_cursor_get", rc);
  return Status::ok();
}

Status erase(const Txn& txn, MDB_dbi dbi, ByteSpan key) {
  MDB_val k = to_val(key);
  const int rc = mdb_del(txn.get(), dbi, &k, nullptr);
  if (rc != 0) return error("mdb_del", rc);
  return Status::ok();
}

Result<bool> erase_if_present(const Txn& txn, MDB_dbi dbi, ByteSpan key) {
  MDB_val k = to_val(key);
  const int rc = mdb_del(txn.get(), dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != 0) return error("mdb_del", rc);
  return true;
}

Status clear(const Txn& txn, MDB_dbi dbi) {
  const int rc = mdb_drop(txn.get(), dbi, 0);
  if (rc != 0) return error("mdb_drop", rc);
  return Status::ok();
}

Result<uint64_t> erase_through(const Txn& txn, MDB_dbi dbi, ByteSpan last) {
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn.get(), dbi, &cursor);
  if (rc != 0) return error("mdb_cursor_open", rc);
  MDB_val bound = to_val(last);
  MDB_val k{0, nullptr};
  MDB_val v{0, nullptr};
  uint64_t erased = 0;
  for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST)) {
    if (mdb_cmp(txn.get(), dbi, &k, &bound) > 0) break;
    rc = mdb_cursor_del(cursor, 0);
    if (rc != 0) break;
    ++erased;
  }
  mdb_cursor_close(cursor);
  if (rc != 0 && rc != MDB_NOTFOUND) return error("erase_through", rc);
  return erased;
}

std::array<uint8_t, 8> u64_key(uint64_t value) {
  std::array<uint8_t, 8> out;
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<uint8_t>(value);
    value >>= 8;
  }
  return out;
}

Result<std::optional<ByteSpan>> NodeStoreTxn::view(ByteSpan key) const {
  return lmdb::get(txn_, dbi_, key);
}

Status NodeStoreTxn::put(ByteSpan key, ByteSpan value) { return lmdb::put(txn_, dbi_, key, value); }

Status NodeStoreTxn::erase(ByteSpan key) { return lmdb::erase(txn_, dbi_, key); }

}  // namespace phalanx::ledger::lmdb
