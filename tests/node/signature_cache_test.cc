// SignatureCache: outcomes, counting, LRU bound, and exactly one verification per distinct
// transaction even when several threads submit it at the same moment.
#include "node/signature_cache.h"

#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "tests/testutil/keys.h"

namespace phalanx::node {
namespace {

const std::string kChain = "phalanx-test";

using testutil::key_of;

std::vector<ledger::SignedTransaction> transfers(size_t count) {
  const crypto::SecretKey key = key_of(1);
  const crypto::Address to = crypto::address_of(key_of(2).public_key());
  std::vector<ledger::SignedTransaction> txs;
  for (size_t nonce = 0; nonce < count; ++nonce) {
    txs.push_back(ledger::make_transfer(key, kChain, to, 5, 1, nonce));
  }
  return txs;
}

// Same fields with one signature bit flipped; bytes and hash recomputed, so only the
// signature is wrong.
ledger::SignedTransaction tampered(const ledger::SignedTransaction& good) {
  ledger::SignedTransaction bad = good;
  bad.tx.signature[7] ^= 0x10;
  bad.bytes = ledger::encode_transaction(bad.tx);
  bad.hash = crypto::sha256(bad.bytes);
  return bad;
}

TEST(SignatureCache, VerifiesOnceThenAnswersFromCache) {
  SignatureCache cache;
  const auto txs = transfers(1);
  EXPECT_EQ(cache.peek(txs[0].hash), std::nullopt);
  EXPECT_TRUE(cache.verify(txs[0]));
  EXPECT_EQ(cache.verifications(), 1u);
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_TRUE(cache.verify(txs[0]));
  EXPECT_TRUE(cache.verify(txs[0]));
  EXPECT_EQ(cache.verifications(), 1u);
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.peek(txs[0].hash), std::optional<bool>(true));
  EXPECT_EQ(cache.size(), 1u);
}

TEST(SignatureCache, TamperedSignatureIsRejectedAndRemembered) {
  SignatureCache cache;
  const auto good = transfers(1)[0];
  const auto bad = tampered(good);
  EXPECT_FALSE(cache.verify(bad));
  EXPECT_FALSE(cache.verify(bad));
  EXPECT_EQ(cache.peek(bad.hash), std::optional<bool>(false));
  EXPECT_TRUE(cache.verify(good));  // its own hash: not confused with the tampered copy
  EXPECT_EQ(cache.verifications(), 2u);
  EXPECT_EQ(cache.hits(), 1u);
}

TEST(SignatureCache, ForgetsTheLeastRecentlyUsedWhenFull) {
  SignatureCache cache(SignatureCacheOptions{.entries_max = 3, .shards = 1});
  const auto txs = transfers(4);
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(cache.verify(txs[i]));
  EXPECT_TRUE(cache.verify(txs[0]));  // now the most recent; txs[1] is the oldest
  EXPECT_TRUE(cache.verify(txs[3]));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.peek(txs[1].hash), std::nullopt);
  EXPECT_TRUE(cache.peek(txs[0].hash).has_value());
  EXPECT_EQ(cache.verifications(), 4u);
  EXPECT_TRUE(cache.verify(txs[1]));  // forgotten: verified again
  EXPECT_EQ(cache.verifications(), 5u);
  EXPECT_EQ(cache.peek(txs[2].hash), std::nullopt);
}

TEST(SignatureCache, BoundHoldsWithMoreShardsThanEntries) {
  SignatureCache cache(SignatureCacheOptions{.entries_max = 3, .shards = 16});
  const auto txs = transfers(12);
  for (const auto& tx : txs) EXPECT_TRUE(cache.verify(tx));
  EXPECT_LE(cache.size(), 3u);
  EXPECT_GE(cache.size(), 1u);
  EXPECT_EQ(cache.entries_max(), 3u);
}

TEST(SignatureCache, ConcurrentSubmissionsVerifyEachTransactionOnce) {
  constexpr size_t kThreads = 4;
  constexpr size_t kRounds = 2;
  SignatureCache cache;
  auto txs = transfers(100);
  txs.push_back(tampered(txs[0]));
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  std::vector<size_t> valid_counts(kThreads, 0);
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      // Every thread walks the same order, so threads running side by side ask for the same
      // uncached hash at the same moment.
      for (size_t round = 0; round < kRounds; ++round) {
        for (const auto& tx : txs) {
          if (cache.verify(tx)) ++valid_counts[t];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(cache.verifications(), txs.size());
  EXPECT_EQ(cache.hits(), kThreads * kRounds * txs.size() - txs.size());
  for (size_t count : valid_counts) EXPECT_EQ(count, kRounds * (txs.size() - 1));
}

}  // namespace
}  // namespace phalanx::node
