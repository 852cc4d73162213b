// phalanx-bench's pure pieces: the report's summaries, the accounts and their genesis
// allocations, and the order and content of the pre-signed pool.
#include <set>
#include <sstream>

#include "bench/load/accounts.h"
#include "bench/load/report.h"
#include "bench/load/txpool.h"
#include "gtest/gtest.h"
#include "ledger/transaction.h"

namespace phalanx::bench {
namespace {

BlockSeen block(uint64_t height, int64_t observed_ms, uint32_t txs, uint64_t view = 0) {
  return {height, observed_ms * kNsPerMs, txs, txs, view};
}

TEST(BenchReport, PercentilesByNearestRank) {
  std::vector<double> ms;
  for (int i = 100; i >= 1; --i) ms.push_back(i);
  const nlohmann::json p = latency_percentiles(ms);
  EXPECT_EQ(p["p50"], 50.0);
  EXPECT_EQ(p["p90"], 90.0);
  EXPECT_EQ(p["p99"], 99.0);
  EXPECT_EQ(p["max"], 100.0);
  EXPECT_EQ(p["count"], 100u);
  EXPECT_EQ(latency_percentiles({7.5})["p50"], 7.5);
  EXPECT_EQ(latency_percentiles({})["p99"], 0);
}

TEST(BenchReport, WindowCountsBlocksSeenInsideTheWindowOnly) {
  const std::vector<BlockSeen> blocks = {block(5, 900, 10), block(6, 1000, 20), block(7, 1500, 30),
                                         block(8, 2000, 40), block(9, 2001, 50)};
  const WindowCounts counts = window_counts(blocks, 1000 * kNsPerMs, 2000 * kNsPerMs);
  EXPECT_EQ(counts.blocks, 2u);  // (1000, 2000]: heights 7 and 8
  EXPECT_EQ(counts.txs, 70u);
  EXPECT_EQ(counts.first_height, 7u);
  EXPECT_EQ(counts.last_height, 8u);
  EXPECT_EQ(window_counts(blocks, 3000 * kNsPerMs, 4000 * kNsPerMs).blocks, 0u);
}

TEST(BenchReport, TimelinePerSecond) {
  const auto seconds =
      timeline({block(1, 100, 3), block(2, 900, 4), block(3, 2500, 5)}, 3000 * kNsPerMs);
  EXPECT_EQ(seconds, (std::vector<uint64_t>{7, 0, 5, 0}));
}

TEST(BenchReport, KillSummaryResumeIsTheFirstBlockOfALaterView) {
  RunMarks marks;
  marks.kill_ns = 1000 * kNsPerMs;
  marks.killed_node = 0;
  marks.view_at_kill = 0;
  // A pipelined block of view 0 still commits after the kill; view 1 resumes at 3500 ms.
  const std::vector<BlockSeen> blocks = {block(1, 800, 1), block(2, 1100, 1), block(3, 3500, 1, 1),
                                         block(4, 3600, 1, 1)};
  const nlohmann::json kill = kill_summary(blocks, marks);
  EXPECT_EQ(kill["resume_ms"], 2500.0);
  EXPECT_EQ(kill["new_view"], 1u);
  EXPECT_EQ(kill["longest_gap_ms"], 2400.0);
  EXPECT_TRUE(kill_summary({block(1, 800, 1), block(2, 1100, 1)}, marks)["resume_ms"].is_null());
}

TEST(BenchAccounts, DeterministicDistinctAndWrittenForGenesis) {
  const auto keys = derive_keys(7, 5);
  ASSERT_EQ(keys.size(), 5u);
  EXPECT_EQ(keys[3].public_key(), account_key(7, 3).public_key());
  EXPECT_NE(account_key(7, 3).public_key(), account_key(8, 3).public_key());
  const auto addresses = addresses_of(keys);
  EXPECT_EQ(std::set<crypto::Address>(addresses.begin(), addresses.end()).size(), 5u);
  std::istringstream text(alloc_file_text(7, addresses, 42));
  std::string line;
  std::getline(text, line);
  EXPECT_EQ(line[0], '#');
  for (const crypto::Address& address : addresses) {
    ASSERT_TRUE(std::getline(text, line));
    const size_t equals = line.find('=');
    ASSERT_NE(equals, std::string::npos) << line;
    auto parsed = crypto::parse_address(line.substr(0, equals));
    ASSERT_TRUE(parsed.is_ok()) << line;
    EXPECT_EQ(*parsed, address);
    EXPECT_EQ(line.substr(equals + 1), "42");
  }
  EXPECT_FALSE(std::getline(text, line));
}

TEST(BenchPool, InterleavesSendersInNonceOrderAndSignsValidTransfers) {
  const auto recipients = addresses_of(derive_keys(1, 4));
  std::vector<crypto::SecretKey> senders;
  senders.push_back(account_key(1, 0));
  senders.push_back(account_key(1, 1));
  TransferPlan plan;
  plan.chain_id = "bench-test";
  plan.senders = &senders;
  plan.base_nonces = {10, 20};
  plan.recipients = &recipients;
  plan.fee = 3;
  plan.count = 7;
  const auto pool = TxPool::build(plan);
  ASSERT_EQ(pool->size(), 7u);
  for (size_t j = 0; j < pool->size(); ++j) {
    std::string hex;
    pool->append_hex(j, &hex);
    auto bytes = hex_decode(hex);
    ASSERT_TRUE(bytes.is_ok());
    auto tx = ledger::parse_signed_transaction(*bytes);
    ASSERT_TRUE(tx.is_ok()) << tx.message();
    EXPECT_TRUE(ledger::verify_transaction_signature(tx->tx));
    EXPECT_EQ(tx->hash, pool->hash(j));
    EXPECT_EQ(pool->index_of(tx->hash), j);
    EXPECT_EQ(tx->tx.sender, senders[j % 2].public_key());
    EXPECT_EQ(tx->tx.nonce, plan.base_nonces[j % 2] + j / 2);
    EXPECT_NE(tx->tx.recipient, ledger::sender_address(tx->tx));
    EXPECT_EQ(tx->tx.fee, 3u);
    EXPECT_EQ(pool->committed_ns(j), kNever);
  }
  EXPECT_FALSE(pool->index_of(crypto::Hash{}).has_value());
}

}  // namespace
}  // namespace phalanx::bench
