// Mempool: every admission error, eviction order and dependent eviction, per-sender nonce
// order in batches, in-flight txs not proposed twice, re-checks after a commit, gossip once,
// bounds under a flood. The expiry of txs behind a nonce gap: mempool_expiry_test.cc.
// Deterministic: fixed keys, no clocks, no threads.
#include "node/mempool.h"

#include <gtest/gtest.h>

#include "tests/node/mempool_fixture.h"

namespace phalanx::node {
namespace {

TEST_F(MempoolTest, AdmitsAndIndexes) {
  Mempool pool(options);
  const auto t = tx(0, 0);
  const Admission admission = admit(pool, t);
  ASSERT_TRUE(admission.admitted()) << admission.message;
  EXPECT_TRUE(admission.message.empty());
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.bytes(), t.bytes.size());
  EXPECT_TRUE(pool.contains(t.hash));
  ASSERT_NE(pool.find(t.hash), nullptr);
  EXPECT_EQ(pool.find(t.hash)->bytes, t.bytes);
  EXPECT_EQ(pool.find(tx(0, 1).hash), nullptr);
  EXPECT_EQ(pool.pending_nonce(address(0), 0), 1u);
  EXPECT_EQ(pool.pending_nonce(address(1), 4), 4u);
}

TEST_F(MempoolTest, EveryAdmissionErrorHasItsCodeAndMessage) {
  Mempool pool(options);
  fund(1, 1000, 5);
  ASSERT_TRUE(admit(pool, tx(0, 0)).admitted());
  expect_rejected(admit(pool, tx(0, 0)), AdmissionError::kDuplicate, -32008);
  const auto committed = tx(2, 0);
  state.indexed.insert(committed.hash);
  expect_rejected(admit(pool, committed), AdmissionError::kDuplicate, -32008);
  expect_rejected(admit(pool, tx(0, 1, 1, 10, "other-chain")), AdmissionError::kWrongChainId,
                  -32003);
  expect_rejected(admit(pool, tx(0, 1, 0)), AdmissionError::kFeeBelowMinimum, -32007);
  expect_rejected(admit(pool, tx(1, 4)), AdmissionError::kNonceUsed, -32004);
  expect_rejected(admit(pool, tx(1, 5 + 9)), AdmissionError::kNonceTooFarAhead, -32005);
  EXPECT_TRUE(admit(pool, tx(1, 5 + 8)).admitted());  // exactly nonce_gap_max ahead
  // Another pending tx (different amount, so a different hash) already has nonce 0.
  expect_rejected(admit(pool, tx(0, 0, 1, 11)), AdmissionError::kNonceUsed, -32004);
  // Balance 1000: the pending tx costs 11, so 990 + 1 does not fit.
  expect_rejected(admit(pool, tx(0, 1, 1, 990)), AdmissionError::kInsufficientBalance, -32006);
  EXPECT_TRUE(admit(pool, tx(0, 1, 1, 988)).admitted());
  expect_rejected(admit(pool, tx(3, 0, 1, 1000)), AdmissionError::kInsufficientBalance, -32006);
  auto bad = tx(3, 0);
  bad.tx.signature[3] ^= 0x40;
  bad.bytes = ledger::encode_transaction(bad.tx);
  bad.hash = crypto::sha256(bad.bytes);
  expect_rejected(admit(pool, bad), AdmissionError::kBadSignature, -32002);
  state.fail = true;
  const Admission internal = admit(pool, tx(3, 0));
  expect_rejected(internal, AdmissionError::kInternal, -32603);
  EXPECT_NE(internal.message.find("disk on fire"), std::string::npos);
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_EQ(rpc_code(AdmissionError::kDecode), -32001);
  EXPECT_EQ(rpc_code(AdmissionError::kInvalidAddress), -32010);
  EXPECT_EQ(admission_error_text(AdmissionError::kDecode), "transaction cannot be decoded");
}

TEST_F(MempoolTest, SenderCapAndFullPoolRefuse) {
  options.sender_txs_max = 2;
  options.txs_max = 3;
  Mempool pool(options);
  ASSERT_TRUE(admit(pool, tx(0, 0)).admitted());
  ASSERT_TRUE(admit(pool, tx(0, 1)).admitted());
  expect_rejected(admit(pool, tx(0, 2)), AdmissionError::kRateLimited, -32011);
  ASSERT_TRUE(admit(pool, tx(1, 0)).admitted());
  // Full, and the new tx pays no more than the cheapest pending one.
  expect_rejected(admit(pool, tx(2, 0)), AdmissionError::kMempoolFull, -32009);
  options.bytes_max = 100;  // smaller than one transaction
  Mempool tiny(options);
  expect_rejected(admit(tiny, tx(0, 0)), AdmissionError::kMempoolFull, -32009);
}

TEST_F(MempoolTest, SignatureIsCheckedLastAndOnlyOnce) {
  Mempool pool(options);
  size_t calls = 0;
  const SignatureVerifier counting = [&calls](const ledger::SignedTransaction& t) {
    ++calls;
    return ledger::verify_transaction_signature(t.tx);
  };
  EXPECT_FALSE(pool.admit(tx(0, 0, 0), state, counting).admitted());  // fee too low
  EXPECT_FALSE(pool.admit(tx(0, 99), state, counting).admitted());    // nonce too far
  EXPECT_EQ(calls, 0u);
  EXPECT_TRUE(pool.admit(tx(0, 0), state, counting).admitted());
  EXPECT_FALSE(pool.admit(tx(0, 0), state, counting).admitted());  // duplicate
  EXPECT_EQ(calls, 1u);
}

TEST_F(MempoolTest, FullPoolEvictsLowestFeeNewestFirst) {
  options.txs_max = 4;
  Mempool pool(options);
  const auto fee1 = tx(0, 0, 1);
  const auto fee2_old = tx(1, 0, 2);
  const auto fee2_new = tx(2, 0, 2);
  const auto fee3 = tx(3, 0, 3);
  for (const auto& t : {fee1, fee2_old, fee2_new, fee3}) ASSERT_TRUE(admit(pool, t).admitted());

  fund(10, 1000, 0);
  Admission first = admit(pool, tx(10, 0, 5));
  ASSERT_TRUE(first.admitted()) << first.message;
  ASSERT_EQ(first.dropped.size(), 1u);
  EXPECT_EQ(first.dropped[0].hash, fee1.hash);
  EXPECT_EQ(first.dropped[0].reason, AdmissionError::kMempoolFull);

  Admission second = admit(pool, tx(10, 1, 5));
  ASSERT_TRUE(second.admitted()) << second.message;
  EXPECT_EQ(hashes(second.dropped), std::vector<Hash>{fee2_new.hash});

  // Equal fee is not enough: the cheapest pending tx pays 2.
  fund(11, 1000, 0);
  expect_rejected(admit(pool, tx(11, 0, 2)), AdmissionError::kMempoolFull, -32009);
  EXPECT_TRUE(pool.contains(fee2_old.hash));
  EXPECT_EQ(pool.size(), 4u);
}

TEST_F(MempoolTest, EvictionTakesTheSendersLaterNonces) {
  options.txs_max = 4;
  Mempool pool(options);
  const auto a0 = tx(0, 0, 1);
  const auto a1 = tx(0, 1, 9);
  const auto a2 = tx(0, 2, 9);
  const auto b0 = tx(1, 0, 2);
  for (const auto& t : {a0, a1, a2, b0}) ASSERT_TRUE(admit(pool, t).admitted());
  const Admission admission = admit(pool, tx(2, 0, 3));
  ASSERT_TRUE(admission.admitted()) << admission.message;
  EXPECT_EQ(hashes(admission.dropped), (std::vector<Hash>{a0.hash, a1.hash, a2.hash}));
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(pool.pending_nonce(address(0), 0), 0u);
}

TEST_F(MempoolTest, EvictionSparesTheNewTransactionsPredecessor) {
  options.txs_max = 2;
  Mempool pool(options);
  const auto a0 = tx(0, 0, 1);
  const auto b0 = tx(1, 0, 2);
  ASSERT_TRUE(admit(pool, a0).admitted());
  ASSERT_TRUE(admit(pool, b0).admitted());
  // a1 pays most, but evicting a0 would strand it: b0 goes instead.
  const Admission admission = admit(pool, tx(0, 1, 9));
  ASSERT_TRUE(admission.admitted()) << admission.message;
  EXPECT_EQ(hashes(admission.dropped), std::vector<Hash>{b0.hash});
  EXPECT_TRUE(pool.contains(a0.hash));
}

TEST_F(MempoolTest, BatchesAreFifoAndKeepEachSendersNonceOrder) {
  Mempool pool(options);
  const auto a1 = tx(0, 1);  // arrives before its predecessor
  const auto b0 = tx(1, 0);
  const auto a0 = tx(0, 0);
  const auto c2 = tx(2, 2);  // gap: c0 and c1 are missing
  const auto a2 = tx(0, 2);
  for (const auto& t : {a1, b0, a0, c2, a2}) ASSERT_TRUE(admit(pool, t).admitted());
  EXPECT_EQ(pool.pending_nonce(address(0), 0), 3u);
  EXPECT_EQ(pool.pending_nonce(address(2), 0), 0u);
  const auto batch = pool.take_batch(10, 1 << 20);
  EXPECT_EQ(hashes(batch), (std::vector<Hash>{b0.hash, a0.hash, a1.hash, a2.hash}));
  EXPECT_EQ(pool.in_flight(), 4u);
  pool.check_invariants();
}

// What feeds the view-change timer: a gap-blocked tx is not something a primary can order.
TEST_F(MempoolTest, OnlyTransactionsAtTheNextNonceAreExecutable) {
  Mempool pool(options);
  EXPECT_FALSE(pool.has_executable());
  const auto c2 = tx(2, 2);
  ASSERT_TRUE(admit(pool, c2).admitted());
  EXPECT_FALSE(pool.has_executable());
  const auto c0 = tx(2, 0);
  ASSERT_TRUE(admit(pool, c0).admitted());
  EXPECT_TRUE(pool.has_executable());
  fund(2, 1000, 1);  // c0 committed: c2 waits behind the missing nonce 1 again
  ASSERT_TRUE(pool.on_block_committed(std::vector<Hash>{c0.hash}, state).is_ok());
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_FALSE(pool.has_executable());
  ASSERT_TRUE(admit(pool, tx(2, 1)).admitted());
  EXPECT_TRUE(pool.has_executable());
}

// The count behind has_executable() follows commits that move a sender's nonce without
// touching its pending txs (nonce 1 committed through another node's mempool).
TEST_F(MempoolTest, ACommitElsewhereCanMakeAGappedSenderExecutable) {
  Mempool pool(options);
  ASSERT_TRUE(admit(pool, tx(3, 2)).admitted());
  ASSERT_TRUE(admit(pool, tx(1, 4)).admitted());
  EXPECT_FALSE(pool.has_executable());
  fund(3, 1000, 2);
  const std::vector<Address> changed{address(3)};
  ASSERT_TRUE(pool.on_block_committed(std::vector<Hash>{}, changed, state).is_ok());
  pool.check_invariants();
  EXPECT_TRUE(pool.has_executable());
  fund(3, 1000, 3);  // its nonce 2 was used by another tx: it leaves, the gapped one stays
  ASSERT_TRUE(pool.on_block_committed(std::vector<Hash>{}, changed, state).is_ok());
  pool.check_invariants();
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_FALSE(pool.has_executable());
}

TEST_F(MempoolTest, BatchRespectsCountAndByteLimits) {
  Mempool pool(options);
  fund(4, 1000, 0);
  std::vector<ledger::SignedTransaction> txs;  // five senders: no tx waits for another
  for (uint32_t sender = 0; sender < 5; ++sender) txs.push_back(tx(sender, 0));
  for (const auto& t : txs) ASSERT_TRUE(admit(pool, t).admitted());
  const size_t size = txs[0].bytes.size();
  EXPECT_EQ(hashes(pool.take_batch(2, 1 << 20)), (std::vector<Hash>{txs[0].hash, txs[1].hash}));
  EXPECT_EQ(hashes(pool.take_batch(10, 2 * size + size / 2)),
            (std::vector<Hash>{txs[2].hash, txs[3].hash}));
  EXPECT_TRUE(pool.take_batch(10, size - 1).empty());
  EXPECT_EQ(hashes(pool.take_batch(10, size)), std::vector<Hash>{txs[4].hash});
}

TEST_F(MempoolTest, InFlightTransactionsAreNotProposedTwice) {
  Mempool pool(options);
  const auto a0 = tx(0, 0);
  const auto a1 = tx(0, 1);
  const auto b0 = tx(1, 0);
  ASSERT_TRUE(admit(pool, a0).admitted());
  EXPECT_EQ(hashes(pool.take_batch(10, 1 << 20)), std::vector<Hash>{a0.hash});
  EXPECT_TRUE(pool.take_batch(10, 1 << 20).empty());
  ASSERT_TRUE(admit(pool, a1).admitted());
  ASSERT_TRUE(admit(pool, b0).admitted());
  // a1 waits for a0's block to commit: a view change could drop that block and keep this one.
  EXPECT_EQ(hashes(pool.take_batch(10, 1 << 20)), std::vector<Hash>{b0.hash});
  EXPECT_EQ(pool.in_flight(), 2u);

  // Another primary proposed b0 again: marking is idempotent; releasing frees it.
  const std::vector<Hash> other = {b0.hash, tx(3, 0).hash};
  pool.mark_in_flight(other);
  pool.release_in_flight(other);
  EXPECT_EQ(hashes(pool.take_batch(10, 1 << 20)), std::vector<Hash>{b0.hash});
  pool.release_all_in_flight();  // view change: everything may be proposed again
  EXPECT_EQ(pool.in_flight(), 0u);
  EXPECT_EQ(hashes(pool.take_batch(10, 1 << 20)), (std::vector<Hash>{a0.hash, a1.hash, b0.hash}));
  pool.check_invariants();
}

TEST_F(MempoolTest, MarkedTransactionsFromAnotherProposalAreSkipped) {
  Mempool pool(options);
  const auto a0 = tx(0, 0);
  const auto a1 = tx(0, 1);
  const auto b0 = tx(1, 0);
  for (const auto& t : {a0, a1, b0}) ASSERT_TRUE(admit(pool, t).admitted());
  const std::vector<Hash> proposal = {a0.hash};
  pool.mark_in_flight(proposal);
  EXPECT_EQ(hashes(pool.take_batch(10, 1 << 20)), std::vector<Hash>{b0.hash});
  fund(0, 1000, 1);  // a0 committed: a1 may go now
  ASSERT_TRUE(pool.on_block_committed(proposal, state).is_ok());
  EXPECT_EQ(hashes(pool.take_batch(10, 1 << 20)), std::vector<Hash>{a1.hash});
}

// A sender's txs never span two uncommitted blocks, but one block carries a run of them.
TEST_F(MempoolTest, ASendersNoncesShareABlockButNeverSpanUncommittedBlocks) {
  Mempool pool(options);
  std::vector<ledger::SignedTransaction> mine;
  for (uint64_t nonce = 0; nonce < 3; ++nonce) mine.push_back(tx(0, nonce));
  const auto b0 = tx(1, 0);
  ASSERT_TRUE(admit(pool, mine[2]).admitted());  // arrives first, waits for its predecessors
  ASSERT_TRUE(admit(pool, mine[0]).admitted());
  ASSERT_TRUE(admit(pool, b0).admitted());
  ASSERT_TRUE(admit(pool, mine[1]).admitted());
  EXPECT_EQ(hashes(pool.take_batch(2, 1 << 20)), (std::vector<Hash>{mine[0].hash, b0.hash}));
  EXPECT_TRUE(pool.take_batch(10, 1 << 20).empty());  // mine[1] and [2] wait for mine[0]
  fund(0, 1000, 1);
  ASSERT_TRUE(pool.on_block_committed(std::vector<Hash>{mine[0].hash}, state).is_ok());
  EXPECT_EQ(hashes(pool.take_batch(10, 1 << 20)), (std::vector<Hash>{mine[1].hash, mine[2].hash}));
  pool.check_invariants();
}

// A block consensus committed is final: the sender's next nonce may follow in the next block
// before the ledger executed it, and a view change does not undo that.
TEST_F(MempoolTest, TheNextNonceFollowsABlockConsensusCommittedBeforeTheLedgerRuns) {
  Mempool pool(options);
  const auto a0 = tx(0, 0);
  const auto a1 = tx(0, 1);
  const auto a2 = tx(0, 2);
  for (const auto& t : {a0, a1, a2}) ASSERT_TRUE(admit(pool, t).admitted());
  const std::vector<Hash> proposal = {a0.hash};
  pool.mark_in_flight(proposal);  // another primary's block carries a0, not committed yet
  EXPECT_TRUE(pool.take_batch(10, 1 << 20).empty());
  pool.mark_committed(proposal);  // consensus committed it; the ledger has not run it
  EXPECT_EQ(hashes(pool.take_batch(10, 1 << 20)), (std::vector<Hash>{a1.hash, a2.hash}));
  pool.release_all_in_flight();  // a view change, while a0 is still on its way to the ledger
  pool.mark_committed(proposal);  // the loop marks the committed blocks again
  EXPECT_EQ(hashes(pool.take_batch(10, 1 << 20)), (std::vector<Hash>{a1.hash, a2.hash}));
  pool.check_invariants();
  fund(0, 1000, 1);  // the ledger executed a0
  ASSERT_TRUE(pool.on_block_committed(proposal, state).is_ok());
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_TRUE(pool.take_batch(10, 1 << 20).empty());  // a1 and a2 are still in flight
  pool.check_invariants();
}

// A committed tx that fails at execution (here: the ledger's nonce did not move) leaves its
// successors waiting for a new tx at that nonce, as before mark_committed.
TEST_F(MempoolTest, ACommittedTransactionThatFailsLeavesItsSuccessorsWaiting) {
  Mempool pool(options);
  const auto a0 = tx(0, 0);
  const auto a1 = tx(0, 1);
  for (const auto& t : {a0, a1}) ASSERT_TRUE(admit(pool, t).admitted());
  EXPECT_EQ(hashes(pool.take_batch(1, 1 << 20)), std::vector<Hash>{a0.hash});
  const std::vector<Hash> block = {a0.hash};
  pool.mark_committed(block);
  ASSERT_TRUE(pool.on_block_committed(block, state).is_ok());  // a0 failed: nonce still 0
  EXPECT_TRUE(pool.take_batch(10, 1 << 20).empty());         // a1 would fail for the gap
  const auto again = tx(0, 0, /*fee=*/2);                      // the client signs nonce 0 anew
  ASSERT_TRUE(admit(pool, again).admitted());
  EXPECT_EQ(hashes(pool.take_batch(10, 1 << 20)), (std::vector<Hash>{again.hash, a1.hash}));
  pool.check_invariants();
}

TEST_F(MempoolTest, InFlightTransactionsAreNotEvicted) {
  options.txs_max = 2;
  Mempool pool(options);
  ASSERT_TRUE(admit(pool, tx(0, 0, 1)).admitted());
  ASSERT_TRUE(admit(pool, tx(1, 0, 1)).admitted());
  ASSERT_EQ(pool.take_batch(10, 1 << 20).size(), 2u);
  expect_rejected(admit(pool, tx(2, 0, 50)), AdmissionError::kMempoolFull, -32009);
}

// A pool full of txs behind missing nonces (a flood whose middle nonces were refused) would
// refuse every min-fee tx for ever: an executable tx evicts them, newest first, whatever
// their fee; a tx that could not execute either does not.
TEST_F(MempoolTest, ExecutableTransactionsEvictGappedOnesWhateverTheirFee) {
  options.txs_max = 4;
  Mempool pool(options);
  const auto a2 = tx(0, 2, 5), a3 = tx(0, 3, 5), b1 = tx(1, 1, 5), c0 = tx(2, 0, 1);
  for (const auto& t : {a2, b1, a3, c0}) ASSERT_TRUE(admit(pool, t).admitted());
  expect_rejected(admit(pool, tx(3, 4, 1)), AdmissionError::kMempoolFull, -32009);  // gapped
  const Admission first = admit(pool, tx(3, 0, 1));  // executable, lowest fee
  ASSERT_TRUE(first.admitted()) << first.message;
  ASSERT_EQ(first.dropped.size(), 1u);
  EXPECT_EQ(first.dropped[0].hash, a3.hash);          // the newest gapped tx
  const Admission second = admit(pool, tx(2, 1, 1));  // follows c0: executable
  ASSERT_TRUE(second.admitted()) << second.message;
  ASSERT_EQ(second.dropped.size(), 1u);
  EXPECT_EQ(second.dropped[0].hash, b1.hash);
  const Admission third = admit(pool, tx(0, 0, 1));  // a0: a2 is gapped still (no a1)
  ASSERT_TRUE(third.admitted()) << third.message;
  ASSERT_EQ(third.dropped.size(), 1u);
  EXPECT_EQ(third.dropped[0].hash, a2.hash);
  // Nothing gapped is left: a fee-1 executable tx is refused, as before.
  expect_rejected(admit(pool, tx(1, 0, 1)), AdmissionError::kMempoolFull, -32009);
  pool.check_invariants();
}

TEST_F(MempoolTest, CommitRemovesIncludedAndRechecksTheRest) {
  fund(0, 100, 0);
  Mempool pool(options);
  std::vector<ledger::SignedTransaction> a;
  for (uint64_t nonce = 0; nonce < 5; ++nonce) a.push_back(tx(0, nonce));  // 11 each
  for (const auto& t : a) ASSERT_TRUE(admit(pool, t).admitted());
  const auto b0 = tx(1, 0);
  ASSERT_TRUE(admit(pool, b0).admitted());
  ASSERT_EQ(pool.take_batch(1, 1 << 20).size(), 1u);  // a0 in flight

  // The block holds a0 and a tx of the same sender that this node never saw (nonce 1,
  // amount 70): the sender now has 100 - 11 - 71 = 18 and next nonce 2.
  const auto foreign = tx(0, 1, 1, 70);
  fund(0, 18, 2);
  const std::vector<Hash> included = {a[0].hash, foreign.hash};
  Result<CommitReport> report = pool.on_block_committed(included, state);
  ASSERT_TRUE(report.is_ok()) << report.message();
  pool.check_invariants();
  EXPECT_EQ(report->included, 1u);
  ASSERT_EQ(report->dropped.size(), 3u);
  EXPECT_EQ(report->dropped[0].hash, a[1].hash);
  EXPECT_EQ(report->dropped[0].reason, AdmissionError::kNonceUsed);
  EXPECT_EQ(report->dropped[1].hash, a[3].hash);  // 11 + 11 > 18
  EXPECT_EQ(report->dropped[1].reason, AdmissionError::kInsufficientBalance);
  EXPECT_EQ(report->dropped[2].hash, a[4].hash);  // depended on a3
  EXPECT_EQ(report->dropped[2].reason, AdmissionError::kInsufficientBalance);
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(pool.pending_nonce(address(0), 2), 3u);
  EXPECT_EQ(pool.in_flight(), 0u);
  // a2 is next for its sender, so it can be proposed now.
  EXPECT_EQ(hashes(pool.take_batch(10, 1 << 20)), (std::vector<Hash>{a[2].hash, b0.hash}));
}

TEST_F(MempoolTest, CommitWithChangedAccountsRechecksOnlyThose) {
  Mempool pool(options);
  const auto a0 = tx(0, 0);
  const auto b0 = tx(1, 0);
  const auto c0 = tx(2, 0);
  for (const auto& t : {a0, b0, c0}) ASSERT_TRUE(admit(pool, t).admitted());
  fund(1, 0, 0);  // b's account changed (listed below)
  fund(2, 0, 0);  // c's did not change as far as this call is told
  const std::vector<Hash> included = {a0.hash};
  const std::vector<Address> changed = {address(1)};
  fund(0, 989, 1);
  Result<CommitReport> report = pool.on_block_committed(included, changed, state);
  ASSERT_TRUE(report.is_ok()) << report.message();
  EXPECT_EQ(report->included, 1u);
  EXPECT_EQ(hashes(report->dropped), std::vector<Hash>{b0.hash});
  EXPECT_TRUE(pool.contains(c0.hash));
}

TEST_F(MempoolTest, CommitReportsAStorageFailure) {
  Mempool pool(options);
  ASSERT_TRUE(admit(pool, tx(0, 0)).admitted());
  ASSERT_TRUE(admit(pool, tx(0, 1)).admitted());
  ASSERT_TRUE(admit(pool, tx(1, 0)).admitted());
  state.fail = true;
  const std::vector<Hash> included = {tx(0, 0).hash};
  Result<CommitReport> report = pool.on_block_committed(included, state);
  ASSERT_FALSE(report.is_ok());
  EXPECT_NE(report.message().find("disk on fire"), std::string::npos);
  // Sender 0 is not re-read: its nonce 1 waits behind the nonce it still knows as next.
  pool.check_invariants();
  EXPECT_EQ(pool.size(), 2u);
}

TEST_F(MempoolTest, StaleSenderStateIsRefreshedOnAdmission) {
  Mempool pool(options);
  const auto a0 = tx(0, 0);
  ASSERT_TRUE(admit(pool, a0).admitted());
  ASSERT_TRUE(admit(pool, tx(0, 1)).admitted());
  fund(0, 989, 1);  // a0 committed, but on_block_committed was not called
  const Admission admission = admit(pool, tx(0, 2));
  ASSERT_TRUE(admission.admitted()) << admission.message;
  ASSERT_EQ(admission.dropped.size(), 1u);
  EXPECT_EQ(admission.dropped[0].hash, a0.hash);
  EXPECT_EQ(admission.dropped[0].reason, AdmissionError::kNonceUsed);
  EXPECT_EQ(pool.size(), 2u);
}

TEST_F(MempoolTest, EachClientTransactionIsGossipedOnce) {
  Mempool pool(options);
  std::vector<ledger::SignedTransaction> mine;
  for (uint64_t nonce = 0; nonce < 4; ++nonce) mine.push_back(tx(0, nonce));
  for (const auto& t : mine) ASSERT_TRUE(admit(pool, t).admitted());
  ASSERT_TRUE(admit(pool, tx(1, 0), TxOrigin::kPeer).admitted());
  EXPECT_EQ(pool.gossip_backlog(), 4u);
  const std::vector<Hash> included = {mine[3].hash};  // left before it was gossiped
  fund(0, 1000, 0);
  ASSERT_TRUE(pool.on_block_committed(included, state).is_ok());
  const size_t size = mine[0].bytes.size();
  EXPECT_EQ(hashes(pool.take_gossip_batch(2 * size)),
            (std::vector<Hash>{mine[0].hash, mine[1].hash}));
  EXPECT_EQ(hashes(pool.take_gossip_batch(1 << 20)), std::vector<Hash>{mine[2].hash});
  EXPECT_TRUE(pool.take_gossip_batch(1 << 20).empty());
  EXPECT_EQ(pool.gossip_backlog(), 0u);
}

// A new peer link: what was gossiped may have been lost with the old one.
TEST_F(MempoolTest, RequeuedClientTransactionsAreGossipedAgainPeerOnesNever) {
  Mempool pool(options);
  const auto a0 = tx(0, 0), a1 = tx(0, 1), peer = tx(1, 0);
  ASSERT_TRUE(admit(pool, a0).admitted());
  ASSERT_TRUE(admit(pool, a1).admitted());
  ASSERT_TRUE(admit(pool, peer, TxOrigin::kPeer).admitted());
  EXPECT_EQ(pool.take_gossip_batch(1 << 20).size(), 2u);
  EXPECT_EQ(pool.requeue_client_gossip(), 2u);
  EXPECT_EQ(pool.requeue_client_gossip(), 2u);  // idempotent: each tx is due once
  EXPECT_EQ(hashes(pool.take_gossip_batch(1 << 20)), (std::vector<Hash>{a0.hash, a1.hash}));
  fund(0, 1000, 1);  // a0 committed
  const std::vector<Hash> included = {a0.hash};
  ASSERT_TRUE(pool.on_block_committed(included, state).is_ok());
  EXPECT_EQ(pool.requeue_client_gossip(), 1u);
  EXPECT_EQ(hashes(pool.take_gossip_batch(1 << 20)), std::vector<Hash>{a1.hash});
  pool.check_invariants();
}

TEST_F(MempoolTest, FloodStaysBounded) {
  options.txs_max = 40;
  options.sender_txs_max = 4;
  options.bytes_max = 38 * tx(0, 0).bytes.size();
  Mempool pool(options);
  std::map<AdmissionError, size_t> outcomes;
  for (uint32_t sender = 0; sender < kKeys; ++sender) {
    fund(sender, 1000, 0);
    for (uint64_t nonce = 0; nonce < 6; ++nonce) {
      const Admission admission = admit(pool, tx(sender, nonce, 1 + (sender + nonce) % 5));
      ++outcomes[admission.error];
      ASSERT_LE(pool.size(), 38u);
      ASSERT_LE(pool.bytes(), options.bytes_max);
      ASSERT_LE(pool.pending_nonce(address(sender), 0), 4u);
    }
  }
  EXPECT_GT(outcomes[AdmissionError::kNone], 38u);  // evictions made room for higher fees
  EXPECT_GT(outcomes[AdmissionError::kRateLimited], 0u);
  EXPECT_GT(outcomes[AdmissionError::kMempoolFull], 0u);
  EXPECT_LE(pool.sender_count(), pool.size());
}

// Gossip lost to a full queue: a sender's next tx still here one whole interval later goes
// out again, until it is in a block; txs behind it, peers' txs and gapped heads never do.
TEST_F(MempoolTest, StaleHeadsAreGossipedAgainUntilProposed) {
  Mempool pool(options);
  const auto a0 = tx(0, 0), a1 = tx(0, 1), gapped = tx(2, 5), peer = tx(1, 0);
  for (const auto& t : {a0, a1, gapped}) ASSERT_TRUE(admit(pool, t).admitted());
  ASSERT_TRUE(admit(pool, peer, TxOrigin::kPeer).admitted());
  EXPECT_EQ(pool.take_gossip_batch(1 << 20).size(), 3u);
  EXPECT_EQ(pool.requeue_stale_heads(), 0u);  // first look: not stale yet
  EXPECT_EQ(pool.requeue_stale_heads(), 1u);
  EXPECT_EQ(pool.requeue_stale_heads(), 0u);  // already due
  EXPECT_EQ(hashes(pool.take_gossip_batch(1 << 20)), std::vector<Hash>{a0.hash});
  EXPECT_EQ(pool.requeue_stale_heads(), 1u);  // still waiting: again
  EXPECT_EQ(hashes(pool.take_gossip_batch(1 << 20)), std::vector<Hash>{a0.hash});
  const std::vector<Hash> proposal = {a0.hash};
  pool.mark_in_flight(proposal);
  EXPECT_EQ(pool.requeue_stale_heads(), 0u);  // in a block
  fund(0, 1000, 1);
  ASSERT_TRUE(pool.on_block_committed(proposal, state).is_ok());
  EXPECT_EQ(pool.requeue_stale_heads(), 0u);  // a1 is the new head: first look
  EXPECT_EQ(pool.requeue_stale_heads(), 1u);
  EXPECT_EQ(hashes(pool.take_gossip_batch(1 << 20)), std::vector<Hash>{a1.hash});
  pool.check_invariants();
}

// Regression: a tx behind a nonce gap stayed until the pool was full. It now leaves once it
// has waited gapped_ttl_ms, with the later nonces behind the same gap; executable txs stay.

}  // namespace
}  // namespace phalanx::node
