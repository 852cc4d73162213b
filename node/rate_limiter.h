// Token buckets for the JSON-RPC server's built-in flood protection.
//
// TokenBucket: `burst` tokens at most, refilled at `rate_per_second`; each admitted call takes
// one. Token counts are kept in nano-tokens (1 token = 10^9 units) so refills are exact
// integers: a fake clock that advances by 1/rate seconds always yields exactly one token.
//
// RateLimiter: one TokenBucket per client key (the client's IP address), at most
// `clients_max` of them; when full, the least recently seen client is forgotten (it comes
// back with a full bucket, which only ever errs towards admitting).
//
// Neither reads a clock: callers pass a monotonic time in nanoseconds, so tests drive them
// with a fake clock.
// Thread-safety: TokenBucket is not thread-safe; RateLimiter is (one mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "crypto/status.h"

namespace phalanx::node {

struct RateLimit {
  uint32_t rate_per_second = 0;  // 0 disables the limit
  uint32_t burst = 0;            // bucket size; at least 1 when enabled

  bool enabled() const { return rate_per_second != 0; }
};

constexpr uint32_t kRateLimitBurstMax = 1'000'000;
constexpr uint32_t kRateLimitRateMax = 1'000'000;

// Ok for a disabled limit, or for 1 <= burst <= kRateLimitBurstMax and
// rate_per_second <= kRateLimitRateMax.
Status validate_rate_limit(const RateLimit& limit);

class TokenBucket {
 public:
  // Starts full. REQUIRES: validate_rate_limit(limit).is_ok() and limit.enabled().
  TokenBucket(const RateLimit& limit, uint64_t now_ns);

  // Takes one token if there is one. A clock that goes backwards adds nothing.
  bool take(uint64_t now_ns);

  // Whole tokens left after refilling to now_ns (for tests and diagnostics).
  uint64_t tokens(uint64_t now_ns);

 private:
  void refill(uint64_t now_ns);

  uint64_t rate_per_second_;
  uint64_t capacity_units_;
  uint64_t units_;
  uint64_t last_ns_;
};

class RateLimiter {
 public:
  // REQUIRES: validate_rate_limit(limit).is_ok(), clients_max >= 1.
  RateLimiter(const RateLimit& limit, size_t clients_max);

  // True when `client` may make one more call at now_ns (always true when disabled).
  bool allow(std::string_view client, uint64_t now_ns);

  const RateLimit& limit() const { return limit_; }
  size_t clients() const;

 private:
  struct Entry {
    std::string client;
    TokenBucket bucket;
  };

  const RateLimit limit_;
  const size_t clients_max_;
  mutable std::mutex mutex_;
  std::list<Entry> recent_;  // most recently seen first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> by_client_;
};

}  // namespace phalanx::node
