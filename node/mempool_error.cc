#include "node/mempool_error.h"

namespace phalanx::node {

std::string_view admission_error_text(AdmissionError error) {
  switch (error) {
    case AdmissionError::kNone:
      return "accepted";
    case AdmissionError::kDecode:
      return "transaction cannot be decoded";
    case AdmissionError::kBadSignature:
      return "bad signature";
    case AdmissionError::kWrongChainId:
      return "wrong chain id";
    case AdmissionError::kNonceUsed:
      return "nonce already used";
    case AdmissionError::kNonceTooFarAhead:
      return "nonce too far ahead";
    case AdmissionError::kInsufficientBalance:
      return "insufficient balance";
    case AdmissionError::kFeeBelowMinimum:
      return "fee below minimum";
    case AdmissionError::kDuplicate:
      return "duplicate transaction";
    case AdmissionError::kMempoolFull:
      return "mempool full";
    case AdmissionError::kInvalidAddress:
      return "invalid address";
    case AdmissionError::kRateLimited:
      return "rate limited";
    case AdmissionError::kInternal:
      return "internal error";
  }
  return "unknown error";  // a value cast from an integer outside the enum
}

}  // namespace phalanx::node
