// node::ConsensusStore: the replica's durable records (consensus/records.h) under
// HOME/data/consensus, in an append-only log of their own (node/record_log.h) and, for reads,
// in memory. Kept apart from the ledger store so a vote never waits behind a block commit,
// and so each write costs one small synced append instead of an LMDB commit (several page
// writes, a data-file sync and a second synced meta-page write).
//
// Files: DIR/records.log, frames as in node/record_log.h. One write() is one frame:
//
//   payload := count:u32 op{count}                     (big-endian, count >= 1)
//   op      := 0x00 key_length:u16 key value_length:u32 value      put
//            | 0x01 key_length:u16 key                             erase
//
// Durability: write() appends its frame with one pwrite and returns only after the one
// fdatasync that follows it, so a write is on disk before it returns, and it is all or
// nothing: after a crash its frame is whole or it is the torn tail that open() drops. The
// node calls write() with every PersistOp of one Ready before sending any of that Ready's
// messages. After a failed write every later write is refused (the node stops).
//
// Compaction: when the log holds more than max(options.compaction_bytes_min, 4 x the live
// records' encoded bytes), write() rewrites the live records into DIR/records.log.new (zero
// padded, one fdatasync), renames it over records.log and fsyncs the directory, so a crash
// leaves the old log or the new one, each complete. open() deletes a leftover .new file.
//
// Migration: a DIR made by earlier versions holds an LMDB environment (data.mdb, lock.mdb).
// open() reads its records, writes them as a new log the compaction's way, then deletes the
// LMDB files; a crash on the way repeats the migration from the untouched data.mdb.
//
// Bounds: keys 1..consensus_key_bytes_max, values at most consensus_value_bytes_max, at most
// consensus_records_max live records (a write that would exceed it is refused; a log that
// holds more is refused at open), one write's encoded ops at most record_log_frame_bytes_max.
// Thread-safety: one thread (the event loop) writes and loads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "consensus/types.h"
#include "crypto/status.h"
#include "node/record_log.h"

namespace phalanx::node {

inline constexpr size_t consensus_key_bytes_max = 256;
inline constexpr size_t consensus_value_bytes_max = size_t{80} << 20;
inline constexpr size_t consensus_records_max = 1'000'000;

struct ConsensusStoreOptions {
  uint64_t compaction_bytes_min = uint64_t{64} << 20;  // tests force compaction lower
  RecordLogOptions log;
};

class ConsensusStore {
 public:
  // Opens (creating) the store in `dir`, migrating an LMDB environment found there.
  static Result<std::unique_ptr<ConsensusStore>> open(const std::string& dir,
                                                      const ConsensusStoreOptions& options = {});

  // Applies the ops in order, durably and all or nothing; erasing an absent key is a no-op.
  // Bad ops are refused before anything is written.
  Status write(std::span<const consensus::PersistOp> ops);
  // Every live record (a copy of the in-memory map).
  Result<std::map<std::string, Bytes>> load() const;

  // The log's bytes of whole frames (compaction shrinks it), for tests.
  uint64_t log_bytes() const { return log_->end_bytes(); }

 private:
  ConsensusStore(std::string dir, const ConsensusStoreOptions& options)
      : dir_(std::move(dir)), options_(options) {}
  Status check(std::span<const consensus::PersistOp> ops) const;
  Status apply_payload(ByteSpan payload);
  void apply(bool put, std::string_view key, ByteSpan value);
  Status migrate_lmdb();
  Status compact();

  std::string dir_;
  ConsensusStoreOptions options_;
  std::unique_ptr<RecordLog> log_;
  std::map<std::string, Bytes, std::less<>> records_;
  uint64_t live_bytes_ = 0;  // the live records' encoded put ops
  bool failed_ = false;      // a compaction's directory sync failed
};

}  // namespace phalanx::node
