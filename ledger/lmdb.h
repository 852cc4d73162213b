// Thin RAII wrappers over liblmdb used by the store (ledger/store.h) and the state-tree
// benchmark: an environment, transactions that abort unless committed, byte-span get/put,
// and the state tree's NodeStore over one named database inside a transaction. Every LMDB
// failure becomes a Status naming the call and LMDB's own message.
// Thread-safety: an Env may be shared by threads; a Txn (and a NodeStore over it) belongs to
// one thread at a time. Environments are opened with MDB_NOTLS so read-only transactions are
// not tied to the thread that began them.
#pragma once

#include <lmdb.h>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "ledger/state_tree.h"

namespace phalanx::ledger::lmdb {

Status error(const char* call, int rc);

// Flags that would let a commit return before it is on disk (NOSYNC, NOMETASYNC, MAPASYNC) or
// make the map writable, so a stray write through a returned pointer corrupts it (WRITEMAP):
// never on the store's environments.
inline constexpr unsigned int kNotDurableFlags =
    MDB_NOSYNC | MDB_NOMETASYNC | MDB_MAPASYNC | MDB_WRITEMAP;

struct EnvOptions {
  uint64_t map_size_bytes = uint64_t{64} << 30;  // sparse: costs nothing until written
  uint32_t databases_max = 16;
  uint32_t readers_max = 126;
  // Extra mdb_env_open flags. The store passes none; only the benchmark passes MDB_NOSYNC.
  unsigned int extra_flags = 0;
};

class Env {
 public:
  // Creates `dir` if missing.
  static Result<Env> open(const std::string& dir, const EnvOptions& options);
  Env(Env&& other) noexcept : env_(other.env_) { other.env_ = nullptr; }
  Env& operator=(Env&& other) noexcept;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  ~Env();

  MDB_env* get() const { return env_; }
  unsigned int flags() const;
  // Flushes buffers to disk (for environments opened with MDB_NOSYNC).
  Status sync() const;

 private:
  explicit Env(MDB_env* env) : env_(env) {}
  MDB_env* env_ = nullptr;
};

class Txn {
 public:
  static Result<Txn> begin(const Env& env, bool read_only);
  Txn(Txn&& other) noexcept : txn_(other.txn_) { other.txn_ = nullptr; }
  Txn& operator=(Txn&& other) noexcept;
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn() { abort(); }

  MDB_txn* get() const { return txn_; }
  // Ends the transaction; on failure LMDB has already aborted it.
  Status commit();
  void abort();

 private:
  explicit Txn(MDB_txn* txn) : txn_(txn) {}
  MDB_txn* txn_ = nullptr;
};

// Opens (creating when `create`) the named database inside a write or read transaction.
Result<MDB_dbi> open_database(const Txn& txn, const char* name, bool create);

// A view into the map, valid until the transaction ends or writes to this database.
Result<std::optional<ByteSpan>> get(const Txn& txn, MDB_dbi dbi, ByteSpan key);
Status put(const Txn& txn, MDB_dbi dbi, ByteSpan key, ByteSpan value);
// Fails (MDB_KEYEXIST) when `key` already holds a value: for write-once records.
Status put_new(const Txn& txn, MDB_dbi dbi, ByteSpan key, ByteSpan value);
// Puts records after the last key of a database through one cursor (MDB_APPEND: no search,
// pages left full); a key that does not sort after the last one fails (MDB_KEYEXIST).
class Appender {
 public:
  Appender(const Txn& txn, MDB_dbi dbi) : txn_(txn), dbi_(dbi) {}
  ~Appender();
  Appender(const Appender&) = delete;
  Appender& operator=(const Appender&) = delete;
  Status append(ByteSpan key, ByteSpan value);

 private:
  const Txn& txn_;
  MDB_dbi dbi_;
  MDB_cursor* cursor_ = nullptr;  // opened by the first append
};
// The number of records in the database.
Result<uint64_t> entries(const Txn& txn, MDB_dbi dbi);
// Erasing an absent key is an error.
Status erase(const Txn& txn, MDB_dbi dbi, ByteSpan key);
// Erases `key` if present; true when it was.
Result<bool> erase_if_present(const Txn& txn, MDB_dbi dbi, ByteSpan key);
// Erases every record of the database (it stays open).
Status clear(const Txn& txn, MDB_dbi dbi);
// Erases the records whose keys sort at or before `last` (compared as LMDB does); returns how
// many.
Result<uint64_t> erase_through(const Txn& txn, MDB_dbi dbi, ByteSpan last);

// Calls visit(key, value) for every record in key order; stops at the first error.
Status for_each(const Txn& txn, MDB_dbi dbi,
                const std::function<Status(ByteSpan key, ByteSpan value)>& visit);

// Big-endian u64 keys sort numerically.
std::array<uint8_t, 8> u64_key(uint64_t value);

// State tree nodes in one database inside a transaction (read-only: put/erase fail).
class NodeStoreTxn final : public NodeStore {
 public:
  NodeStoreTxn(const Txn& txn, MDB_dbi dbi) : txn_(txn), dbi_(dbi) {}
  Result<std::optional<ByteSpan>> view(ByteSpan key) const override;
  Status put(ByteSpan key, ByteSpan value) override;
  Status erase(ByteSpan key) override;

 private:
  const Txn& txn_;
  MDB_dbi dbi_;
};

}  // namespace phalanx::ledger::lmdb
