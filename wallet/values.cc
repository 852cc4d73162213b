#include "wallet/values.h"

#include <cctype>
#include <charconv>
#include <limits>

#include "ledger/transaction.h"

namespace phalanx::wallet {
namespace {

// Echoes at most this much of a bad value back to the user.
constexpr size_t kEchoCharsMax = 40;

// Built by appending: GCC 12 at -O3 raises a false -Wrestrict (bug 105329) on
// "'" + std::string(...).
std::string echo(std::string_view text) {
  std::string out;
  out.reserve(kEchoCharsMax + 5);
  out.append(1, '\'').append(text.substr(0, kEchoCharsMax));
  if (text.size() > kEchoCharsMax) out.append("...");
  return out.append(1, '\'');
}

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

Result<uint64_t> parse_integer(std::string_view flag, std::string_view text, uint64_t min,
                               uint64_t max) {
  const std::string range = std::to_string(min) + " to " + std::to_string(max);
  if (!text.empty() && text[0] == '-' && all_digits(text.substr(1))) {
    return Status::error(std::string(flag) + " must not be negative (got " + echo(text) +
                         "; allowed " + range + ")");
  }
  if (!all_digits(text)) {
    return Status::error(std::string(flag) + " must be a whole number from " + range + ", got " +
                         echo(text));
  }
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc::result_out_of_range || (error == std::errc() && value > max)) {
    return Status::error(std::string(flag) + " " + echo(text) + " is too large: the maximum is " +
                         std::to_string(max));
  }
  if (error != std::errc() || end != text.data() + text.size()) {
    return Status::error(std::string(flag) + " must be a whole number, got " + echo(text));
  }
  if (value < min) {
    return Status::error(std::string(flag) + " must be at least " + std::to_string(min) + ", got " +
                         echo(text));
  }
  return value;
}

Result<uint64_t> parse_amount(std::string_view text) {
  return parse_integer("--amount", text, 1, ledger::kAmountMax);
}

Result<uint64_t> parse_fee(std::string_view text) {
  return parse_integer("--fee", text, 0, ledger::kAmountMax);
}

Result<uint64_t> parse_nonce(std::string_view text) {
  return parse_integer("--nonce", text, 0, std::numeric_limits<uint64_t>::max());
}

Result<std::string> parse_tx_hash(std::string_view text) {
  if (text.size() != 64) {
    return Status::error("a transaction hash is 64 hex characters, got " +
                         std::to_string(text.size()) + " (" + echo(text) + ")");
  }
  std::string lower(text);
  for (size_t i = 0; i < lower.size(); ++i) {
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(lower[i])));
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return Status::error("a transaction hash is hex; character " + std::to_string(i + 1) +
                           " of " + echo(text) + " is not a hex digit");
    }
    lower[i] = c;
  }
  return lower;
}

Result<double> parse_timeout_seconds(std::string_view text) {
  const std::string message = "--timeout must be a number of seconds greater than 0 and at most " +
                              std::to_string(static_cast<int>(kWaitTimeoutSecondsMax)) + ", got " +
                              echo(text);
  double value = 0;
  const auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::fixed);
  if (error != std::errc() || end != text.data() + text.size()) return Status::error(message);
  if (!(value > 0.0) || value > kWaitTimeoutSecondsMax) return Status::error(message);
  return value;
}

Result<int64_t> parse_poll_interval_ms(std::string_view text) {
  auto value = parse_integer("--poll-interval", text, 1, kPollIntervalMsMax);
  if (!value) return value.status();
  return static_cast<int64_t>(*value);
}

bool looks_like_address(std::string_view text) {
  if (text.size() < 4) return false;
  std::string prefix(text.substr(0, 4));
  for (char& c : prefix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return prefix == "phx1";
}

}  // namespace phalanx::wallet
