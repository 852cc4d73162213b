// The benchmark's accounts: `count` Ed25519 keys derived deterministically from a seed, so
// `phalanx-bench accounts` (which writes the genesis allocations) and `phalanx-bench run`
// (which signs for the first K of them) agree without sharing a key file. Account i's key
// seed is SHA-256("phalanx-bench/account" || seed || i), big-endian u64s.
// Benchmark keys only: anyone who knows the seed can spend these accounts.
// Thread-safety: pure functions; derive_keys uses its own worker threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/address.h"
#include "crypto/ed25519.h"
#include "crypto/status.h"

namespace phalanx::bench {

// Genesis holds at most 100,000 accounts; one is the testnet's faucet.
constexpr uint32_t kAccountsMax = 99999;
constexpr uint64_t kAccountBalance = 1'000'000'000;

crypto::SecretKey account_key(uint64_t seed, uint32_t index);
// Keys of accounts [0, count), derived on every core.
std::vector<crypto::SecretKey> derive_keys(uint64_t seed, uint32_t count);
std::vector<crypto::Address> addresses_of(const std::vector<crypto::SecretKey>& keys);

// "ADDRESS=BALANCE\n" per account (phalanxd genesis --alloc-file), after a comment line
// naming the seed.
std::string alloc_file_text(uint64_t seed, const std::vector<crypto::Address>& addresses,
                            uint64_t balance);

}  // namespace phalanx::bench
