#include "node/consensus_store.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <vector>

#include "crypto/file_io.h"
#include "ledger/lmdb.h"

namespace phalanx::node {

namespace {

namespace lmdb = ledger::lmdb;
using Type = consensus::PersistOp::Type;

constexpr std::string_view kLogName = "records.log";
constexpr std::string_view kCompactingName = "records.log.new";
constexpr std::string_view kLmdbDataName = "data.mdb";
constexpr std::string_view kLmdbLockName = "lock.mdb";
constexpr uint8_t kPutTag = 0;
constexpr uint8_t kEraseTag = 1;
constexpr size_t kCountBytes = 4;
constexpr size_t kOpBytesMin = 1 + 2 + 1;  // an erase of a one-byte key
// What earlier versions opened their LMDB environment with (sparse: address space only).
constexpr uint64_t kLmdbMapBytes = uint64_t{16} << 30;

uint64_t put_bytes(size_t key_bytes, size_t value_bytes) {
  return 1 + 2 + key_bytes + 4 + value_bytes;
}
uint64_t op_bytes(const consensus::PersistOp& op) {
  return op.type == Type::kErase ? 1 + 2 + op.key.size()
                                 : put_bytes(op.key.size(), op.value.size());
}

Status check_bounds(size_t key_bytes, size_t value_bytes) {
  if (key_bytes == 0 || key_bytes > consensus_key_bytes_max) {
    return Status::error("consensus record key of " + std::to_string(key_bytes) +
                         " bytes is outside 1.." + std::to_string(consensus_key_bytes_max));
  }
  if (value_bytes > consensus_value_bytes_max) {
    return Status::error("consensus record of " + std::to_string(value_bytes) + " bytes exceeds " +
                         std::to_string(consensus_value_bytes_max));
  }
  return Status::ok();
}

void encode_put(Writer* out, std::string_view key, ByteSpan value) {
  out->u8(kPutTag);
  out->u16(static_cast<uint16_t>(key.size()));
  out->bytes(as_span(key));
  out->u32(static_cast<uint32_t>(value.size()));
  out->bytes(value);
}

Bytes frame_payload(uint32_t count, const Writer& ops) {
  Writer payload;
  payload.u32(count);
  payload.bytes(ops.data());
  return payload.take();
}

}  // namespace

Result<std::unique_ptr<ConsensusStore>> ConsensusStore::open(const std::string& dir,
                                                             const ConsensusStoreOptions& options) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return Status::error("consensus store: cannot create " + dir + ": " + error.message());
  std::unique_ptr<ConsensusStore> store(new ConsensusStore(dir, options));
  // A compaction that did not reach its rename: the log it was replacing is complete.
  const std::string compacting = dir + "/" + std::string(kCompactingName);
  std::filesystem::remove(compacting, error);
  if (error) {
    return Status::error("consensus store: cannot remove " + compacting + ": " + error.message());
  }
  const std::string lmdb_data = dir + "/" + std::string(kLmdbDataName);
  const bool lmdb_found = std::filesystem::exists(lmdb_data, error);
  if (error)
    return Status::error("consensus store: cannot stat " + lmdb_data + ": " + error.message());
  if (lmdb_found) {
    const Status migrated = store->migrate_lmdb();
    if (!migrated) return Status::error("consensus store: " + migrated.message());
    return store;
  }
  auto log =
      RecordLog::open(dir + "/" + std::string(kLogName), options.log,
                      [&](ByteSpan payload, uint64_t) { return store->apply_payload(payload); });
  if (!log) return Status::error("consensus store: " + log.message());
  store->log_ = std::move(log).value();
  return store;
}

// Decodes one frame's payload strictly and applies it to the map.
Status ConsensusStore::apply_payload(ByteSpan payload) {
  Reader in(payload);
  uint32_t count = 0;
  PHALANX_RETURN_IF_ERROR(in.u32(&count));
  PHALANX_RETURN_IF_ERROR(in.count(count, payload.size() / kOpBytesMin, kOpBytesMin));
  if (count == 0) return Status::error("a frame without ops");
  for (uint32_t i = 0; i < count; ++i) {
    uint8_t tag = 0;
    uint16_t key_bytes = 0;
    ByteSpan key;
    PHALANX_RETURN_IF_ERROR(in.u8(&tag));
    if (tag != kPutTag && tag != kEraseTag) {
      return Status::error("unknown op " + std::to_string(tag));
    }
    PHALANX_RETURN_IF_ERROR(in.u16(&key_bytes));
    PHALANX_RETURN_IF_ERROR(in.span(key_bytes, &key));
    uint32_t value_bytes = 0;
    ByteSpan value;
    if (tag == kPutTag) {
      PHALANX_RETURN_IF_ERROR(in.u32(&value_bytes));
      PHALANX_RETURN_IF_ERROR(in.span(value_bytes, &value));
    }
    PHALANX_RETURN_IF_ERROR(check_bounds(key_bytes, value_bytes));
    apply(tag == kPutTag, std::string_view(reinterpret_cast<const char*>(key.data()), key.size()),
          value);
  }
  PHALANX_RETURN_IF_ERROR(in.finish());
  if (records_.size() > consensus_records_max) {
    return Status::error("more than " + std::to_string(consensus_records_max) + " records");
  }
  return Status::ok();
}

void ConsensusStore::apply(bool put, std::string_view key, ByteSpan value) {
  auto it = records_.find(key);
  if (it != records_.end()) {
    live_bytes_ -= put_bytes(it->first.size(), it->second.size());
    if (!put) {
      records_.erase(it);
      return;
    }
    it->second.assign(value.begin(), value.end());
  } else {
    if (!put) return;
    records_.emplace(std::string(key), Bytes(value.begin(), value.end()));
  }
  live_bytes_ += put_bytes(key.size(), value.size());
}

// Every bound a write must meet, checked before anything is written.
Status ConsensusStore::check(std::span<const consensus::PersistOp> ops) const {
  uint64_t encoded_bytes = kCountBytes;
  std::map<std::string_view, bool> live_after;  // the keys this write touches
  uint64_t records = records_.size();
  for (const consensus::PersistOp& op : ops) {
    if (op.type != Type::kPut && op.type != Type::kErase) return Status::error("unknown op type");
    PHALANX_RETURN_IF_ERROR(
        check_bounds(op.key.size(), op.type == Type::kPut ? op.value.size() : 0));
    encoded_bytes += op_bytes(op);
    auto [it, first] = live_after.try_emplace(op.key, records_.contains(op.key));
    const bool live = op.type == Type::kPut;
    if (live && !it->second) ++records;
    if (!live && it->second) --records;
    it->second = live;
  }
  if (encoded_bytes > record_log_frame_bytes_max) {
    return Status::error("a write of " + std::to_string(encoded_bytes) + " bytes exceeds " +
                         std::to_string(record_log_frame_bytes_max));
  }
  if (records > consensus_records_max) {
    return Status::error("the write would hold " + std::to_string(records) +
                         " records, more than " + std::to_string(consensus_records_max));
  }
  return Status::ok();
}

Status ConsensusStore::write(std::span<const consensus::PersistOp> ops) {
  if (ops.empty()) return Status::ok();
  if (failed_) return Status::error("consensus store " + dir_ + ": an earlier write failed");
  const Status checked = check(ops);
  if (!checked) return Status::error("consensus store: " + checked.message());
  Writer encoded;
  for (const consensus::PersistOp& op : ops) {
    if (op.type == Type::kPut) {
      encode_put(&encoded, op.key, op.value);
    } else {
      encoded.u8(kEraseTag);
      encoded.u16(static_cast<uint16_t>(op.key.size()));
      encoded.bytes(as_span(op.key));
    }
  }
  const Bytes payload = frame_payload(static_cast<uint32_t>(ops.size()), encoded);
  const Status appended = log_->append(payload);
  if (!appended) return Status::error("consensus store: " + appended.message());
  for (const consensus::PersistOp& op : ops) apply(op.type == Type::kPut, op.key, op.value);
  if (log_->end_bytes() > std::max(options_.compaction_bytes_min, 4 * live_bytes_)) {
    const Status compacted = compact();
    if (!compacted) {
      return Status::error("consensus store: the write is durable but compaction failed: " +
                           compacted.message());
    }
  }
  return Status::ok();
}

Result<std::map<std::string, Bytes>> ConsensusStore::load() const {
  return std::map<std::string, Bytes>(records_.begin(), records_.end());
}

// Writes the live records as a new log beside the current one and renames it into place.
Status ConsensusStore::compact() {
  std::vector<Bytes> payloads;
  Writer ops;
  uint32_t count = 0;
  for (const auto& [key, value] : records_) {
    const uint64_t bytes = put_bytes(key.size(), value.size());
    if (count > 0 && kCountBytes + ops.data().size() + bytes > record_log_frame_bytes_max) {
      payloads.push_back(frame_payload(count, ops));
      ops = Writer();
      count = 0;
    }
    encode_put(&ops, key, value);
    ++count;
  }
  if (count > 0) payloads.push_back(frame_payload(count, ops));
  const std::string path = dir_ + "/" + std::string(kLogName);
  const std::string compacting = dir_ + "/" + std::string(kCompactingName);
  auto log = RecordLog::create(compacting, payloads, options_.log);
  if (!log) return log.status();
  if (::rename(compacting.c_str(), path.c_str()) != 0) {
    return Status::error("cannot rename " + compacting + " to " + path + ": " +
                         std::strerror(errno));
  }
  // From here on the new file is the log, durable or not: no write may reach the old one.
  (*log)->renamed(path);
  log_ = std::move(log).value();
  const Status synced = sync_directory(dir_);
  if (!synced) failed_ = true;
  return synced;
}

// Reads the records of an LMDB environment made by an earlier version, writes them as the
// log and deletes the environment.
Status ConsensusStore::migrate_lmdb() {
  {
    lmdb::EnvOptions options;
    options.map_size_bytes = kLmdbMapBytes;
    options.databases_max = 1;
    options.readers_max = 8;
    auto env = lmdb::Env::open(dir_, options);
    if (!env) return Status::error("migrating " + dir_ + ": " + env.message());
    auto txn = lmdb::Txn::begin(*env, /*read_only=*/true);
    if (!txn) return Status::error("migrating " + dir_ + ": " + txn.message());
    auto dbi = lmdb::open_database(*txn, "records", /*create=*/false);
    if (!dbi) return Status::error("migrating " + dir_ + ": " + dbi.message());
    const Status read = lmdb::for_each(*txn, *dbi, [&](ByteSpan key, ByteSpan value) -> Status {
      if (records_.size() >= consensus_records_max) {
        return Status::error("more than " + std::to_string(consensus_records_max) + " records");
      }
      PHALANX_RETURN_IF_ERROR(check_bounds(key.size(), value.size()));
      apply(true, std::string_view(reinterpret_cast<const char*>(key.data()), key.size()), value);
      return Status::ok();
    });
    if (!read) return Status::error("migrating " + dir_ + ": " + read.message());
  }
  PHALANX_RETURN_IF_ERROR(compact());
  for (std::string_view name : {kLmdbDataName, kLmdbLockName}) {
    std::error_code error;
    const std::string path = dir_ + "/" + std::string(name);
    std::filesystem::remove(path, error);
    if (error) return Status::error("cannot remove " + path + ": " + error.message());
  }
  return sync_directory(dir_);
}

}  // namespace phalanx::node
