// node::ConsensusStore: the replica's durable records (consensus/records.h), in an LMDB
// environment of their own under HOME/data/consensus. Kept apart from the ledger store so a
// vote never waits behind a block commit for LMDB's single writer lock, and so each write
// is a small, synced transaction.
//
// Durability: the environment is opened without MDB_NOSYNC, MDB_NOMETASYNC, MDB_MAPASYNC or
// MDB_WRITEMAP (refused if present), so write() returns only once its transaction is on
// disk. The node calls write() with every PersistOp of one Ready before sending any of that
// Ready's messages, one transaction per Ready.
//
// Layout: one named database "records", key = record key bytes, value = record bytes.
// Bounds: keys 1..consensus_key_bytes_max, values at most consensus_value_bytes_max, at most
// consensus_records_max records loaded at start.
// Thread-safety: one thread (the event loop) writes and loads.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "consensus/types.h"
#include "crypto/status.h"
#include "ledger/lmdb.h"

namespace phalanx::node {

inline constexpr size_t consensus_key_bytes_max = 256;
inline constexpr size_t consensus_value_bytes_max = size_t{80} << 20;
inline constexpr size_t consensus_records_max = 1'000'000;

class ConsensusStore {
 public:
  // Opens (creating) the environment in `dir`.
  static Result<std::unique_ptr<ConsensusStore>> open(const std::string& dir,
                                                      uint64_t map_size_bytes = uint64_t{16} << 30);

  // Applies the ops in order in one durable transaction; erasing an absent key is a no-op.
  // All or nothing.
  Status write(std::span<const consensus::PersistOp> ops);
  // Every live record.
  Result<std::map<std::string, Bytes>> load() const;

 private:
  ConsensusStore(ledger::lmdb::Env env, MDB_dbi dbi) : env_(std::move(env)), dbi_(dbi) {}
  Status apply(const ledger::lmdb::Txn& txn, const consensus::PersistOp& op);

  ledger::lmdb::Env env_;
  MDB_dbi dbi_ = 0;
};

}  // namespace phalanx::node
