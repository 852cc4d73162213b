#include "bench/load/accounts.h"

#include <algorithm>
#include <optional>
#include <thread>

#include "crypto/bytes.h"
#include "crypto/hash.h"

namespace phalanx::bench {

crypto::SecretKey account_key(uint64_t seed, uint32_t index) {
  Writer writer;
  writer.bytes(as_span("phalanx-bench/account"));
  writer.u64(seed);
  writer.u64(index);
  const crypto::Hash digest = crypto::sha256(writer.data());
  crypto::Seed key_seed;
  std::copy(digest.begin(), digest.end(), key_seed.begin());
  return crypto::SecretKey::from_seed(key_seed);
}

std::vector<crypto::SecretKey> derive_keys(uint64_t seed, uint32_t count) {
  std::vector<std::optional<crypto::SecretKey>> slots(count);
  const uint32_t threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> workers;
  for (uint32_t t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (uint32_t i = t; i < count; i += threads) slots[i].emplace(account_key(seed, i));
    });
  }
  for (std::thread& worker : workers) worker.join();
  std::vector<crypto::SecretKey> keys;
  keys.reserve(count);
  for (auto& slot : slots) keys.push_back(std::move(*slot));
  return keys;
}

std::vector<crypto::Address> addresses_of(const std::vector<crypto::SecretKey>& keys) {
  std::vector<crypto::Address> addresses;
  addresses.reserve(keys.size());
  for (const crypto::SecretKey& key : keys)
    addresses.push_back(crypto::address_of(key.public_key()));
  return addresses;
}

std::string alloc_file_text(uint64_t seed, const std::vector<crypto::Address>& addresses,
                            uint64_t balance) {
  std::string text = "# phalanx-bench accounts --seed " + std::to_string(seed) + " --count " +
                     std::to_string(addresses.size()) + "\n";
  const std::string suffix = "=" + std::to_string(balance) + "\n";
  for (const crypto::Address& address : addresses) {
    text += crypto::format_address(address);
    text += suffix;
  }
  return text;
}

}  // namespace phalanx::bench
