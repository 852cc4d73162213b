#include "ledger/store_records.h"

#include <string>

#include "crypto/cereal_bounded.h"

namespace phalanx::ledger::records {

Bytes encode_tx_record(const TxRecord& record) {
  Writer writer;
  writer.u64(record.height);
  writer.u32(record.index);
  writer.u8(static_cast<uint8_t>(record.error));
  return writer.take();
}

Result<TxRecord> decode_tx_record(ByteSpan bytes) {
  Reader reader(bytes);
  TxRecord record;
  uint8_t error = 0;
  PHALANX_RETURN_IF_ERROR(reader.u64(&record.height));
  PHALANX_RETURN_IF_ERROR(reader.u32(&record.index));
  PHALANX_RETURN_IF_ERROR(reader.u8(&error));
  PHALANX_RETURN_IF_ERROR(reader.finish());
  if (error > kTxErrorMax) {
    return Status::error("tx record has unknown error code " + std::to_string(error));
  }
  record.error = static_cast<TxError>(error);
  return record;
}

Bytes encode_account_record(const Account& account) { return cereal_encode(account); }

Result<Account> decode_account_record(ByteSpan bytes) {
  Account account;
  // An Account has no containers: no element count is ever legitimate.
  Status status = cereal_decode(bytes, 0, &account);
  if (!status) return Status::error("corrupt account record: " + status.message());
  return account;
}

Bytes encode_u64(uint64_t value) {
  Writer writer;
  writer.u64(value);
  return writer.take();
}

Result<uint64_t> decode_u64(ByteSpan bytes, std::string_view what) {
  Reader reader(bytes);
  uint64_t value = 0;
  Status status = reader.u64(&value);
  if (status) status = reader.finish();
  if (!status) return Status::error("corrupt " + std::string(what) + ": " + status.message());
  return value;
}

Result<Hash> decode_hash(ByteSpan bytes, std::string_view what) {
  if (bytes.size() != 32) {
    return Status::error("corrupt " + std::string(what) + ": expected 32 bytes, got " +
                         std::to_string(bytes.size()));
  }
  Hash hash;
  std::copy(bytes.begin(), bytes.end(), hash.begin());
  return hash;
}

namespace {

Result<ByteSpan> meta_value(const lmdb::Txn& txn, MDB_dbi meta, std::string_view key) {
  auto value = lmdb::get(txn, meta, as_span(key));
  if (!value) return value.status();
  if (!value->has_value()) {
    return Status::error("store metadata '" + std::string(key) + "' is missing");
  }
  return **value;
}

}  // namespace

Result<uint64_t> meta_u64(const lmdb::Txn& txn, MDB_dbi meta, std::string_view key) {
  auto value = meta_value(txn, meta, key);
  if (!value) return value.status();
  return decode_u64(*value, key);
}

Result<Hash> meta_hash(const lmdb::Txn& txn, MDB_dbi meta, std::string_view key) {
  auto value = meta_value(txn, meta, key);
  if (!value) return value.status();
  return decode_hash(*value, key);
}

Result<std::optional<Account>> read_account(const lmdb::Txn& txn, MDB_dbi accounts,
                                            const Address& address) {
  auto value = lmdb::get(txn, accounts, address.bytes);
  if (!value) return value.status();
  if (!value->has_value()) return std::optional<Account>();
  auto account = decode_account_record(**value);
  if (!account) return account.status();
  return std::optional<Account>(*account);
}

}  // namespace phalanx::ledger::records
