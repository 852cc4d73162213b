// Byte layouts of the store's own records (ledger/store.h lists the databases) and typed
// reads of them inside a transaction. Stored bytes are decoded as strictly as peer input:
// a malformed record is a Status naming the record, never a crash.
//
//   tx record      := height:u64 index:u32 error:u8      (error <= kTxErrorMax)
//   account record := cereal(Account)                    (crypto/cereal_bounded.h)
//   meta u64       := value:u64 ; meta hash := hash:32
//
// Thread-safety: pure functions; reads use the caller's transaction.
#pragma once

#include <optional>
#include <string_view>

#include "ledger/lmdb.h"
#include "ledger/store.h"

namespace phalanx::ledger::records {

inline constexpr std::string_view kFormat = "format";
inline constexpr std::string_view kGenesisFingerprint = "genesis_fingerprint";
inline constexpr std::string_view kGenesisHash = "genesis_hash";
inline constexpr std::string_view kHeight = "height";
inline constexpr std::string_view kTipHash = "tip_hash";
inline constexpr std::string_view kBurned = "burned";
// 3: the state tree's nodes in an environment of their own (ledger/tree_flusher.h); 2: written
// back into the ledger's `tree` database; 1: written in place. 1 and 2 are upgraded to 3 when
// opened.
inline constexpr uint64_t kFormatVersion = 3;
inline constexpr uint64_t kFormatVersionTreeInLedger = 2;
inline constexpr uint64_t kFormatVersionTreeInPlace = 1;

Bytes encode_tx_record(const TxRecord& record);
Result<TxRecord> decode_tx_record(ByteSpan bytes);
Bytes encode_account_record(const Account& account);
Result<Account> decode_account_record(ByteSpan bytes);

Bytes encode_u64(uint64_t value);
Result<uint64_t> decode_u64(ByteSpan bytes, std::string_view what);
Result<Hash> decode_hash(ByteSpan bytes, std::string_view what);

// Required metadata: a missing key is an error naming it.
Result<uint64_t> meta_u64(const lmdb::Txn& txn, MDB_dbi meta, std::string_view key);
Result<Hash> meta_hash(const lmdb::Txn& txn, MDB_dbi meta, std::string_view key);

Result<std::optional<Account>> read_account(const lmdb::Txn& txn, MDB_dbi accounts,
                                            const Address& address);

}  // namespace phalanx::ledger::records
