#include "node/consensus_store.h"

namespace phalanx::node {

namespace {

namespace lmdb = ledger::lmdb;

constexpr unsigned int kUnsafeEnvFlags = MDB_NOSYNC | MDB_NOMETASYNC | MDB_MAPASYNC | MDB_WRITEMAP;

}  // namespace

Result<std::unique_ptr<ConsensusStore>> ConsensusStore::open(const std::string& dir,
                                                             uint64_t map_size_bytes) {
  lmdb::EnvOptions options;
  options.map_size_bytes = map_size_bytes;
  options.databases_max = 1;
  options.readers_max = 8;
  auto env = lmdb::Env::open(dir, options);
  if (!env) return Status::error("consensus store: " + env.message());
  if ((env->flags() & kUnsafeEnvFlags) != 0) {
    return Status::error("consensus store " + dir +
                         ": refusing an environment that does not sync every commit");
  }
  auto txn = lmdb::Txn::begin(*env, /*read_only=*/false);
  if (!txn) return Status::error("consensus store: " + txn.message());
  auto dbi = lmdb::open_database(*txn, "records", /*create=*/true);
  if (!dbi) return Status::error("consensus store: " + dbi.message());
  PHALANX_RETURN_IF_ERROR(txn->commit());
  return std::unique_ptr<ConsensusStore>(new ConsensusStore(std::move(env).value(), *dbi));
}

Status ConsensusStore::apply(const lmdb::Txn& txn, const consensus::PersistOp& op) {
  if (op.key.empty() || op.key.size() > consensus_key_bytes_max) {
    return Status::error("consensus record key of " + std::to_string(op.key.size()) +
                         " bytes is outside 1.." + std::to_string(consensus_key_bytes_max));
  }
  const ByteSpan key = as_span(op.key);
  if (op.type == consensus::PersistOp::Type::kErase) {
    auto present = lmdb::get(txn, dbi_, key);
    if (!present) return present.status();
    if (!present->has_value()) return Status::ok();
    return lmdb::erase(txn, dbi_, key);
  }
  if (op.value.size() > consensus_value_bytes_max) {
    return Status::error("consensus record " + op.key + " of " + std::to_string(op.value.size()) +
                         " bytes exceeds " + std::to_string(consensus_value_bytes_max));
  }
  return lmdb::put(txn, dbi_, key, op.value);
}

Status ConsensusStore::write(std::span<const consensus::PersistOp> ops) {
  if (ops.empty()) return Status::ok();
  auto txn = lmdb::Txn::begin(env_, /*read_only=*/false);
  if (!txn) return Status::error("consensus store: " + txn.message());
  for (const consensus::PersistOp& op : ops) {
    const Status applied = apply(*txn, op);
    if (!applied) return Status::error("consensus store: " + applied.message());
  }
  const Status committed = txn->commit();
  if (!committed) return Status::error("consensus store: " + committed.message());
  return Status::ok();
}

Result<std::map<std::string, Bytes>> ConsensusStore::load() const {
  auto txn = lmdb::Txn::begin(env_, /*read_only=*/true);
  if (!txn) return Status::error("consensus store: " + txn.message());
  std::map<std::string, Bytes> records;
  const Status read = lmdb::for_each(*txn, dbi_, [&](ByteSpan key, ByteSpan value) -> Status {
    if (records.size() >= consensus_records_max) {
      return Status::error("more than " + std::to_string(consensus_records_max) + " records");
    }
    if (key.empty() || key.size() > consensus_key_bytes_max ||
        value.size() > consensus_value_bytes_max) {
      return Status::error("a record of " + std::to_string(key.size()) + "-byte key and " +
                           std::to_string(value.size()) + "-byte value is out of bounds");
    }
    records.emplace(std::string(key.begin(), key.end()), Bytes(value.begin(), value.end()));
    return Status::ok();
  });
  if (!read) return Status::error("consensus store: " + read.message());
  return records;
}

}  // namespace phalanx::node
