// The per-key record of recently sent nonces, so quick consecutive sends through different
// nodes get consecutive nonces even while the second node has not yet seen the first tx
// (its pendingNonce lags). One file per key in the keystore directory:
//
//   DIR/NAME.nonces.json  (mode 0600)
//   {"version":1,"address":"phx1...",
//    "sent":[{"chain_id":"...","nonce":N,"time_ms":T}, ...]}
//
// Only sends within the last kNonceWindowMs count; older entries are dropped on the next
// write, and at most kNonceRecordEntriesMax (the highest nonces) are kept. Writes are atomic
// (temporary file, fsync, rename, directory fsync): a crash leaves the old record or the
// new one. A record for another address (the key was replaced) is ignored. Two wallet
// processes sending from one key at the same instant are not coordinated: the last writer
// wins, and the node's nonce checks still refuse a reused nonce.
// Thread-safety: functions touch only the record file they are given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/status.h"

namespace phalanx::wallet {

constexpr int64_t kNonceWindowMs = 60'000;
constexpr size_t kNonceRecordEntriesMax = 64;
constexpr size_t kNonceRecordBytesMax = 64 * 1024;

struct SentNonce {
  std::string chain_id;
  uint64_t nonce = 0;
  int64_t time_ms = 0;
};

std::string nonce_record_path(const std::string& keystore_dir, const std::string& key_name);

// The entries of the record for `address` (empty when there is no record, or it belongs to
// another address). An unreadable or malformed record is an error; callers may go on
// without it.
Result<std::vector<SentNonce>> load_nonce_record(const std::string& path,
                                                 const std::string& address);

// The highest nonce sent on `chain_id` within the window ending at now_ms, if any.
std::optional<uint64_t> recent_nonce(const std::vector<SentNonce>& entries,
                                     const std::string& chain_id, int64_t now_ms);

// Adds `sent` to `entries`, drops entries older than the window and keeps the highest
// kNonceRecordEntriesMax, then writes the record atomically.
Status save_nonce_record(const std::string& path, const std::string& address,
                         std::vector<SentNonce> entries, const SentNonce& sent);

}  // namespace phalanx::wallet
