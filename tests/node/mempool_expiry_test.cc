// Mempool: the expiry of txs behind a nonce gap (on a clock the test passes in), and a seeded
// mix of every operation keeping each index consistent. Deterministic: fixed keys, no clocks,
// no threads.
#include <gtest/gtest.h>

#include "node/mempool.h"
#include "tests/node/mempool_fixture.h"

namespace phalanx::node {
namespace {

TEST_F(MempoolTest, GappedTransactionsExpireAfterTheirTtl) {
  options.gapped_ttl_ms = 60'000;
  Mempool pool(options);
  EXPECT_TRUE(pool.expire_gapped(1'000).empty());  // the loop's clock starts
  const auto a0 = tx(0, 0), b2 = tx(1, 2), b3 = tx(1, 3);
  for (const auto& t : {a0, b2, b3}) ASSERT_TRUE(admit(pool, t).admitted());
  EXPECT_EQ(pool.gapped_waiting(), 2u);
  EXPECT_TRUE(pool.expire_gapped(60'999).empty());  // 59.999 s behind the gap
  pool.check_invariants();
  EXPECT_EQ(pool.size(), 3u);
  const std::vector<Hash> expired = pool.expire_gapped(61'000);
  pool.check_invariants();
  EXPECT_EQ(expired, (std::vector<Hash>{b2.hash, b3.hash}));
  // Gone like any other dropped tx: lookups (and so getTransaction) find nothing.
  EXPECT_EQ(pool.find(b2.hash), nullptr);
  EXPECT_FALSE(pool.contains(b3.hash));
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.gapped_waiting(), 0u);
  EXPECT_EQ(pool.pending_nonce(address(1), 0), 0u);
  // The executable one never expires; the sender may send its nonces again.
  EXPECT_TRUE(pool.expire_gapped(10'000'000).empty());
  EXPECT_TRUE(pool.contains(a0.hash));
  EXPECT_TRUE(admit(pool, b2).admitted());
}

// The wait counts from when the gap opened for each tx, and stops when the gap is filled
// (by a pending tx or by a commit elsewhere).
TEST_F(MempoolTest, FillingTheGapStopsTheExpiryClock) {
  options.gapped_ttl_ms = 60'000;
  Mempool pool(options);
  pool.expire_gapped(0);
  const auto a1 = tx(0, 1), b2 = tx(1, 2), c1 = tx(2, 1);
  ASSERT_TRUE(admit(pool, a1).admitted());
  ASSERT_TRUE(admit(pool, b2).admitted());
  pool.expire_gapped(30'000);
  ASSERT_TRUE(admit(pool, c1).admitted());        // waits from 30 s
  ASSERT_TRUE(admit(pool, tx(0, 0)).admitted());  // a1 can execute now
  fund(1, 1000, 2);  // nonces 0 and 1 of sender 1 committed through another node
  const std::vector<Address> changed{address(1)};
  ASSERT_TRUE(pool.on_block_committed(std::vector<Hash>{}, changed, state).is_ok());
  pool.check_invariants();
  EXPECT_EQ(pool.gapped_waiting(), 1u);
  EXPECT_TRUE(pool.expire_gapped(89'999).empty());
  EXPECT_EQ(pool.expire_gapped(90'000), std::vector<Hash>{c1.hash});
  EXPECT_TRUE(pool.expire_gapped(1'000'000).empty());
  EXPECT_EQ(pool.size(), 3u);  // a0, a1, b2
  pool.check_invariants();
}

// A tx proposed in another primary's block is not waiting: it is not expired while in
// flight, and counts from when it first waited once released.
TEST_F(MempoolTest, InFlightGappedTransactionsDoNotExpire) {
  options.gapped_ttl_ms = 60'000;
  Mempool pool(options);
  pool.expire_gapped(0);
  const auto b2 = tx(1, 2);
  ASSERT_TRUE(admit(pool, b2).admitted());
  pool.mark_in_flight(std::vector<Hash>{b2.hash});
  pool.check_invariants();
  EXPECT_TRUE(pool.expire_gapped(120'000).empty());
  pool.release_all_in_flight();
  pool.check_invariants();
  EXPECT_EQ(pool.expire_gapped(120'001), std::vector<Hash>{b2.hash});
  pool.check_invariants();
}

// Txs admitted before the first call count from it; a clock that goes back is ignored.
TEST_F(MempoolTest, ExpiryClockStartsAtTheFirstCallAndNeverGoesBack) {
  options.gapped_ttl_ms = 60'000;
  Mempool pool(options);
  const auto b2 = tx(1, 2), c5 = tx(2, 5);
  ASSERT_TRUE(admit(pool, b2).admitted());
  EXPECT_TRUE(pool.expire_gapped(1'700'000'000'000).empty());  // a wall clock
  ASSERT_TRUE(admit(pool, c5).admitted());
  EXPECT_TRUE(pool.expire_gapped(1'700'000'059'999).empty());
  EXPECT_TRUE(pool.expire_gapped(5).empty());  // back in time: still 59.999 s
  pool.check_invariants();
  EXPECT_EQ(pool.expire_gapped(1'700'000'060'000), (std::vector<Hash>{b2.hash, c5.hash}));
  EXPECT_EQ(pool.size(), 0u);
  pool.check_invariants();
}

// Many waiting txs: each call drops exactly those due, oldest first, and nothing else.
TEST_F(MempoolTest, ExpiryDropsOnlyWhatIsDueOldestFirst) {
  options.gapped_ttl_ms = 30'000;
  Mempool pool(options);
  constexpr uint32_t kWaiting = kKeys / 2;
  std::vector<Hash> waiting;
  for (uint32_t sender = 0; sender < kWaiting; ++sender) {  // one waits from each second
    fund(sender, 1000, 0);
    fund(sender + kWaiting, 1000, 0);
    EXPECT_TRUE(pool.expire_gapped(sender * 1000).empty());
    waiting.push_back(tx(sender, 1).hash);
    ASSERT_TRUE(admit(pool, tx(sender, 1)).admitted());             // nonce 0 never comes
    ASSERT_TRUE(admit(pool, tx(sender + kWaiting, 0)).admitted());  // executable, stays
  }
  EXPECT_EQ(pool.gapped_waiting(), kWaiting);
  for (uint64_t second = kWaiting; second < 30 + kWaiting + 5; ++second) {
    const std::vector<Hash> expired = pool.expire_gapped(second * 1000);
    pool.check_invariants();
    if (second < 30 || second >= 30 + kWaiting) {
      EXPECT_TRUE(expired.empty()) << second;
    } else {
      EXPECT_EQ(expired, std::vector<Hash>{waiting[second - 30]}) << second;
    }
  }
  EXPECT_EQ(pool.size(), kWaiting);
  EXPECT_EQ(pool.gapped_waiting(), 0u);
}

// Every index stays consistent, the expiry order included, through a seeded mix of
// admissions (gapped or not), blocks taken and released, commits here and elsewhere,
// evictions in a small pool and expiries.
TEST_F(MempoolTest, RandomOperationsKeepEveryIndexConsistent) {
  options.txs_max = 24;
  options.sender_txs_max = 6;
  options.gapped_ttl_ms = 5'000;
  Mempool pool(options);
  constexpr uint32_t kSenders = 8;
  for (uint32_t sender = 0; sender < kSenders; ++sender) fund(sender, 1'000'000, 0);
  uint64_t random = 0x9e3779b97f4a7c15;  // xorshift64: the same run everywhere
  const auto next = [&random](uint64_t below) {
    random ^= random << 13;
    random ^= random >> 7;
    random ^= random << 17;
    return random % below;
  };
  uint64_t now_ms = 0;
  size_t expired = 0;
  for (int step = 0; step < 3000; ++step) {
    const uint64_t action = next(10);
    if (action < 5) {
      const uint32_t sender = static_cast<uint32_t>(next(kSenders));
      const uint64_t nonce = state.accounts[address(sender)].nonce + next(5);
      (void)admit(pool, tx(sender, nonce, 1 + next(4)));
    } else if (action == 5) {
      (void)pool.take_batch(1 + next(6), 1 << 20);
    } else if (action == 6) {
      pool.release_all_in_flight();
    } else if (action == 7) {  // the next block: what a primary would take, committed
      std::vector<ledger::SignedTransaction> block = pool.take_batch(1 + next(6), 1 << 20);
      for (const auto& t : block) {
        ledger::Account& account = state.accounts[ledger::sender_address(t.tx)];
        ASSERT_EQ(t.tx.nonce, account.nonce);
        ++account.nonce;
        account.balance -= t.tx.amount + t.tx.fee;
      }
      ASSERT_TRUE(pool.on_block_committed(hashes(block), state).is_ok());
    } else if (action == 8) {  // a sender's nonce used through another node
      const uint32_t sender = static_cast<uint32_t>(next(kSenders));
      ++state.accounts[address(sender)].nonce;
      const std::vector<Address> changed{address(sender)};
      ASSERT_TRUE(pool.on_block_committed(std::vector<Hash>{}, changed, state).is_ok());
    } else {
      now_ms += next(3'000);
      expired += pool.expire_gapped(now_ms).size();
    }
    pool.check_invariants();
  }
  EXPECT_GT(expired, 0u);
}

}  // namespace
}  // namespace phalanx::node
