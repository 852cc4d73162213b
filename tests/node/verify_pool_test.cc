// VerifyPool: correct outcomes off the caller's thread, one verification per distinct tx,
// the bounded queue, and a clean stop that runs every accepted completion exactly once.
#include "node/verify_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <latch>
#include <set>
#include <thread>
#include <vector>

#include "tests/testutil/keys.h"

namespace phalanx::node {
namespace {

const std::string kPoolChain = "phalanx-test";

using testutil::key_of;

// `count` transfers; every index in `bad` gets a flipped signature bit (bytes and hash
// recomputed, so only the signature is wrong).
std::vector<ledger::SignedTransaction> pool_transfers(size_t count,
                                                      const std::set<size_t>& bad = {}) {
  const crypto::SecretKey key = key_of(3);
  const crypto::Address to = crypto::address_of(key_of(4).public_key());
  std::vector<ledger::SignedTransaction> txs;
  for (size_t nonce = 0; nonce < count; ++nonce) {
    ledger::SignedTransaction tx = ledger::make_transfer(key, kPoolChain, to, 7, 1, nonce);
    if (bad.contains(nonce)) {
      tx.tx.signature[0] ^= 0x01;
      tx.bytes = ledger::encode_transaction(tx.tx);
      tx.hash = crypto::sha256(tx.bytes);
    }
    txs.push_back(std::move(tx));
  }
  return txs;
}

TxRefs refs(const std::vector<ledger::SignedTransaction>& txs) {
  TxRefs out;
  for (const auto& tx : txs) out.push_back(&tx);
  return out;
}

std::vector<bool> expected(size_t count, const std::set<size_t>& bad) {
  std::vector<bool> out(count, true);
  for (size_t index : bad) out[index] = false;
  return out;
}

TEST(VerifyPool, SizesToTheCoresByDefault) {
  SignatureCache cache;
  VerifyPool automatic(cache);
  EXPECT_EQ(automatic.thread_count(), std::max<size_t>(1, std::thread::hardware_concurrency()));
  VerifyPool three(cache, VerifyPoolOptions{.threads = 3});
  EXPECT_EQ(three.thread_count(), 3u);
}

TEST(VerifyPool, BatchRejectsTamperedSignatures) {
  const std::set<size_t> bad = {0, 5, 17, 29};
  const auto txs = pool_transfers(30, bad);
  SignatureCache cache;
  VerifyPool pool(cache, VerifyPoolOptions{.threads = 2, .claim_txs = 4});
  EXPECT_EQ(pool.verify_batch(refs(txs)), expected(txs.size(), bad));
  EXPECT_EQ(cache.verifications(), txs.size());
  EXPECT_TRUE(pool.verify_batch({}).empty());
}

TEST(VerifyPool, RepeatedAndConcurrentBatchesVerifyEachTransactionOnce) {
  const std::set<size_t> bad = {3};
  const auto txs = pool_transfers(24, bad);
  SignatureCache cache;
  VerifyPool pool(cache, VerifyPoolOptions{.threads = 2, .claim_txs = 3});
  constexpr size_t kCallers = 3;
  std::latch start(kCallers);
  std::vector<std::thread> callers;
  std::vector<std::vector<bool>> results(kCallers);
  for (size_t c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      start.arrive_and_wait();
      results[c] = pool.verify_batch(refs(txs));
    });
  }
  for (auto& caller : callers) caller.join();
  for (const auto& result : results) EXPECT_EQ(result, expected(txs.size(), bad));
  EXPECT_EQ(pool.verify_batch(refs(txs)), expected(txs.size(), bad));
  EXPECT_EQ(cache.verifications(), txs.size());
  EXPECT_EQ(cache.hits(), kCallers * txs.size());
}

TEST(VerifyPool, SubmitCompletesOnAWorkerThread) {
  const std::set<size_t> bad = {1};
  auto owner =
      std::make_shared<const std::vector<ledger::SignedTransaction>>(pool_transfers(9, bad));
  // Declared before the pool: a worker may still be inside set_value when get() returns,
  // and the pool's destructor joins it.
  std::promise<std::pair<std::vector<bool>, std::thread::id>> done;
  std::promise<size_t> empty;
  SignatureCache cache;
  VerifyPool pool(cache, VerifyPoolOptions{.threads = 2, .claim_txs = 2});
  ASSERT_TRUE(pool.submit(refs(*owner),
                          [owner, &done](std::vector<bool> valid) {
                            done.set_value({std::move(valid), std::this_thread::get_id()});
                          })
                  .is_ok());
  auto [valid, thread] = done.get_future().get();
  EXPECT_EQ(valid, expected(owner->size(), bad));
  EXPECT_NE(thread, std::this_thread::get_id());

  ASSERT_TRUE(
      pool.submit({}, [&empty](std::vector<bool> v) { empty.set_value(v.size()); }).is_ok());
  EXPECT_EQ(empty.get_future().get(), 0u);
}

TEST(VerifyPool, QueueIsBounded) {
  const auto txs = pool_transfers(12);
  // Hold the only worker inside a completion so the queue fills deterministically.
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<size_t> completed{0};
  SignatureCache cache;
  VerifyPool pool(cache, VerifyPoolOptions{.threads = 1, .queue_txs_max = 4, .claim_txs = 1});
  ASSERT_TRUE(pool.submit({&txs[0]},
                          [&](std::vector<bool>) {
                            started.set_value();
                            released.wait();
                          })
                  .is_ok());
  started.get_future().wait();
  EXPECT_EQ(pool.queued_txs(), 0u);

  auto count = [&completed](std::vector<bool> valid) { completed += valid.size(); };
  ASSERT_TRUE(pool.submit({&txs[1], &txs[2], &txs[3]}, count).is_ok());
  ASSERT_TRUE(pool.submit({&txs[4]}, count).is_ok());
  EXPECT_EQ(pool.queued_txs(), 4u);
  const Status full = pool.submit({&txs[5]}, count);
  ASSERT_FALSE(full.is_ok());
  EXPECT_NE(full.message().find("queue is full"), std::string::npos) << full.message();

  release.set_value();
  // A batch larger than the whole queue still runs, once the queue has drained.
  EXPECT_EQ(pool.verify_batch(refs(txs)), std::vector<bool>(txs.size(), true));
  pool.stop();
  EXPECT_EQ(completed.load(), 4u);
  EXPECT_EQ(cache.verifications(), txs.size());
}

TEST(VerifyPool, StopRunsEveryAcceptedCompletionOnceThenRefuses) {
  const auto txs = pool_transfers(40, {2});
  std::atomic<size_t> completions{0};
  std::atomic<size_t> valid_total{0};
  SignatureCache cache;
  VerifyPool pool(cache, VerifyPoolOptions{.threads = 2, .claim_txs = 2});
  constexpr size_t kBatches = 8;
  for (size_t b = 0; b < kBatches; ++b) {
    TxRefs batch;
    for (size_t i = b * 5; i < b * 5 + 5; ++i) batch.push_back(&txs[i]);
    ASSERT_TRUE(pool.submit(batch,
                            [&](std::vector<bool> valid) {
                              for (bool ok : valid) valid_total += ok ? 1 : 0;
                              ++completions;
                            })
                    .is_ok());
  }
  pool.stop();
  EXPECT_EQ(completions.load(), kBatches);
  EXPECT_EQ(valid_total.load(), txs.size() - 1);
  EXPECT_EQ(pool.queued_txs(), 0u);
  pool.stop();  // idempotent

  const Status refused = pool.submit({&txs[0]}, [](std::vector<bool>) { FAIL(); });
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.message().find("stopped"), std::string::npos);
  // The blocking form still answers, on the caller's thread.
  EXPECT_EQ(pool.verify_batch({&txs[2], &txs[3]}), (std::vector<bool>{false, true}));
}

}  // namespace
}  // namespace phalanx::node
