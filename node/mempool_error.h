// Why a transaction was refused by, or left, the mempool. The values are the JSON-RPC
// application error codes of the user-facing contract, so the RPC layer answers with
// `static_cast<int32_t>(error)` and the message it was given. kDecode, kInvalidAddress and
// kRateLimited (for request floods) are raised by the RPC layer itself; the mempool raises
// the others, plus kRateLimited when one sender has too many pending transactions.
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <string_view>

namespace phalanx::node {

enum class AdmissionError : int32_t {
  kNone = 0,
  kDecode = -32001,
  kBadSignature = -32002,
  kWrongChainId = -32003,
  kNonceUsed = -32004,
  kNonceTooFarAhead = -32005,
  kInsufficientBalance = -32006,
  kFeeBelowMinimum = -32007,
  kDuplicate = -32008,
  kMempoolFull = -32009,
  kInvalidAddress = -32010,
  kRateLimited = -32011,
  kInternal = -32603,  // the account store failed (JSON-RPC "internal error")
};

inline int32_t rpc_code(AdmissionError error) { return static_cast<int32_t>(error); }

// The sentence every message for `error` starts with, e.g. "nonce too far ahead".
std::string_view admission_error_text(AdmissionError error);

}  // namespace phalanx::node
