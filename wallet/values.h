// Validation of the values a user types: amounts, fees, nonces, hashes, durations. Each
// error names the flag and says what is allowed, so it can be printed as is.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/status.h"

namespace phalanx::wallet {

constexpr double kWaitTimeoutSecondsMax = 86400.0;
constexpr int64_t kPollIntervalMsMax = 60000;

// A decimal integer of digits only (no sign, point or exponent) from min to max.
Result<uint64_t> parse_integer(std::string_view flag, std::string_view text, uint64_t min,
                               uint64_t max);
// 1 .. 2^53-1.
Result<uint64_t> parse_amount(std::string_view text);
// 0 .. 2^53-1.
Result<uint64_t> parse_fee(std::string_view text);
// 0 .. 2^64-1.
Result<uint64_t> parse_nonce(std::string_view text);
// 64 hex characters; returned lowercase.
Result<std::string> parse_tx_hash(std::string_view text);
// Decimal seconds, greater than 0 and at most kWaitTimeoutSecondsMax.
Result<double> parse_timeout_seconds(std::string_view text);
// 1 .. kPollIntervalMsMax.
Result<int64_t> parse_poll_interval_ms(std::string_view text);

// True when `text` is meant as an address rather than a key name: it starts with the
// address prefix "phx1" (any case). Such text is parsed as an address, so a mistyped
// address is reported as one instead of as an unknown key name.
bool looks_like_address(std::string_view text);

}  // namespace phalanx::wallet
