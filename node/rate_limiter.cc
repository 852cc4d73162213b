#include "node/rate_limiter.h"

#include <algorithm>

namespace phalanx::node {

namespace {
constexpr uint64_t kUnitsPerToken = 1'000'000'000;  // nano-tokens: refill is rate x elapsed ns
}  // namespace

Status validate_rate_limit(const RateLimit& limit) {
  if (!limit.enabled()) return Status::ok();
  if (limit.rate_per_second > kRateLimitRateMax) {
    return Status::error("rate limit of " + std::to_string(limit.rate_per_second) +
                         " per second is above the maximum " + std::to_string(kRateLimitRateMax));
  }
  if (limit.burst == 0 || limit.burst > kRateLimitBurstMax) {
    return Status::error("rate limit burst must be between 1 and " +
                         std::to_string(kRateLimitBurstMax) + ", got " +
                         std::to_string(limit.burst));
  }
  return Status::ok();
}

TokenBucket::TokenBucket(const RateLimit& limit, uint64_t now_ns)
    : rate_per_second_(limit.rate_per_second),
      capacity_units_(uint64_t{limit.burst} * kUnitsPerToken),
      units_(capacity_units_),
      last_ns_(now_ns) {
  PHALANX_ASSERT(limit.enabled());
  PHALANX_ASSERT(validate_rate_limit(limit).is_ok());
}

void TokenBucket::refill(uint64_t now_ns) {
  if (now_ns <= last_ns_) return;  // a clock that stands still or goes back adds nothing
  // Capping the elapsed time at what fills an empty bucket keeps elapsed x rate below
  // capacity + rate (< 2^63 given the limits), so the product cannot overflow.
  const uint64_t fill_ns = capacity_units_ / rate_per_second_ + 1;
  const uint64_t elapsed_ns = std::min(now_ns - last_ns_, fill_ns);
  units_ = std::min(capacity_units_, units_ + elapsed_ns * rate_per_second_);
  last_ns_ = now_ns;
}

bool TokenBucket::take(uint64_t now_ns) {
  refill(now_ns);
  if (units_ < kUnitsPerToken) return false;
  units_ -= kUnitsPerToken;
  return true;
}

uint64_t TokenBucket::tokens(uint64_t now_ns) {
  refill(now_ns);
  return units_ / kUnitsPerToken;
}

RateLimiter::RateLimiter(const RateLimit& limit, size_t clients_max)
    : limit_(limit), clients_max_(clients_max) {
  PHALANX_ASSERT(validate_rate_limit(limit).is_ok());
  PHALANX_ASSERT(clients_max >= 1);
}

bool RateLimiter::allow(std::string_view client, uint64_t now_ns) {
  if (!limit_.enabled()) return true;
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = by_client_.find(client);
  if (found != by_client_.end()) {
    recent_.splice(recent_.begin(), recent_, found->second);
    return found->second->bucket.take(now_ns);
  }
  if (recent_.size() >= clients_max_) {
    by_client_.erase(recent_.back().client);
    recent_.pop_back();
  }
  recent_.push_front(Entry{std::string(client), TokenBucket(limit_, now_ns)});
  // The map's key views the list entry's string, which never moves while the entry lives.
  by_client_.emplace(recent_.front().client, recent_.begin());
  PHALANX_ASSERT(by_client_.size() == recent_.size());
  return recent_.front().bucket.take(now_ns);
}

size_t RateLimiter::clients() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return recent_.size();
}

}  // namespace phalanx::node
