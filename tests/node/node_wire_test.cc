// The node wire envelope (node/wire.h) and the event queue (node/event_queue.h).
#include <thread>

#include "consensus/codec.h"
#include "gtest/gtest.h"
#include "node/event_queue.h"
#include "node/wire.h"
#include "tests/testutil/keys.h"

namespace phalanx::node {
namespace {

using testutil::key_of;

ledger::SignedTransaction tx(uint64_t nonce) {
  crypto::Address to;
  to.bytes.fill(7);
  return ledger::make_transfer(key_of(1), "wire-test", to, 10, 1, nonce);
}

consensus::Message vote() {
  consensus::Message message;
  message.kind = consensus::MessageKind::kCommit;
  message.from = 2;
  message.view = 3;
  message.height = 9;
  message.digest.fill(0x44);
  message.signature.fill(0x55);
  return message;
}

TEST(Wire, ConsensusFrameRoundTrips) {
  const ledger::BlockLimits limits;
  const Bytes frame = encode_consensus_frame(vote());
  EXPECT_EQ(frame[0], static_cast<uint8_t>(WireKind::kConsensus));
  auto decoded = decode_wire_frame(frame, limits);
  ASSERT_TRUE(decoded.is_ok()) << decoded.message();
  EXPECT_EQ(decoded->kind, WireKind::kConsensus);
  EXPECT_EQ(consensus::encode_message(decoded->message), consensus::encode_message(vote()));
}

TEST(Wire, TxBatchRoundTripsWithHashes) {
  std::vector<ledger::SignedTransaction> txs{tx(0), tx(1), tx(2)};
  const Bytes frame = encode_tx_batch_frame(txs);
  auto decoded = decode_wire_frame(frame, ledger::BlockLimits{});
  ASSERT_TRUE(decoded.is_ok()) << decoded.message();
  ASSERT_EQ(decoded->kind, WireKind::kTxBatch);
  ASSERT_EQ(decoded->txs.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(decoded->txs[i].hash, txs[i].hash);
    EXPECT_EQ(decoded->txs[i].bytes, txs[i].bytes);
  }
}

TEST(Wire, GossipBudgetAlwaysFitsOneFrame) {
  std::vector<ledger::SignedTransaction> txs;
  size_t bytes = 0;
  for (uint64_t nonce = 0; bytes + tx(nonce).bytes.size() <= wire_gossip_tx_bytes_max; ++nonce) {
    txs.push_back(tx(nonce));
    bytes += txs.back().bytes.size();
  }
  const Bytes frame = encode_tx_batch_frame(txs);
  EXPECT_LE(frame.size(), wire_frame_bytes_max(ledger::BlockLimits{}));
  EXPECT_TRUE(decode_wire_frame(frame, ledger::BlockLimits{}).is_ok());
}

TEST(Wire, FrameBoundFollowsTheBlockLimit) {
  ledger::BlockLimits limits;
  EXPECT_EQ(wire_frame_bytes_max(limits), 1 + consensus::message_bytes_max(limits));
  limits.bytes_max = 1024;  // small blocks: the tx batch bound dominates
  EXPECT_EQ(wire_frame_bytes_max(limits), 1 + wire_tx_batch_bytes_max);
}

TEST(Wire, RejectsMalformedFrames) {
  const ledger::BlockLimits limits;
  const Bytes good = encode_tx_batch_frame(std::vector<ledger::SignedTransaction>{tx(0)});
  auto rejects = [&](Bytes frame, const std::string& why) {
    auto decoded = decode_wire_frame(frame, limits);
    ASSERT_FALSE(decoded.is_ok()) << why;
    EXPECT_FALSE(decoded.message().empty()) << why;
  };
  rejects({}, "empty");
  rejects({9, 0, 1}, "unknown kind");
  rejects({3}, "kind 3 is not a wire kind");
  rejects({4, 1, 2}, "kind 4 is not a wire kind");
  rejects({1, 0xde, 0xad}, "garbage consensus envelope");
  rejects({2, 0, 0}, "empty batch");
  Bytes truncated = good;
  truncated.pop_back();
  rejects(truncated, "truncated transaction");
  Bytes trailing = good;
  trailing.push_back(0);
  rejects(trailing, "trailing byte");
  Bytes overcount = good;
  overcount[2] = 2;  // claims two transactions, carries one
  rejects(overcount, "count beyond the data");
  Bytes corrupt = good;
  corrupt[5] ^= 0xff;  // the transaction's version byte
  rejects(corrupt, "undecodable transaction");
  Bytes huge_count{2, 0xff, 0xff};
  rejects(huge_count, "count above the maximum");
  Bytes oversize(wire_frame_bytes_max(limits) + 1, 0);
  oversize[0] = 1;
  rejects(oversize, "frame above the bound");
  Bytes long_tx{2, 0, 1, 0x10, 0x00};  // one transaction of 4096 bytes
  long_tx.resize(long_tx.size() + 4096, 0);
  rejects(long_tx, "transaction longer than any valid one");
}

TEST(EventQueue, BoundsEventsAndBytes) {
  EventQueue<int> queue(2, 100);
  EXPECT_TRUE(queue.try_push(1, 60));
  EXPECT_FALSE(queue.try_push(2, 41));  // bytes
  EXPECT_TRUE(queue.try_push(3, 40));
  EXPECT_FALSE(queue.try_push(4, 0));  // events
  EXPECT_EQ(queue.refused(), 2u);
  EXPECT_TRUE(queue.push_always(5, 1000));  // internal events ignore the bound
  std::vector<int> out;
  EXPECT_EQ(queue.pop_wait(&out, 2, EventQueue<int>::Clock::now()), 2u);
  EXPECT_EQ(out, (std::vector<int>{1, 3}));
  EXPECT_EQ(queue.pop_wait(&out, 10, EventQueue<int>::Clock::now()), 1u);
  EXPECT_EQ(out.back(), 5);
}

TEST(EventQueue, PushWaitGetsRoomWhenTheConsumerPops) {
  EventQueue<int> queue(1, 100);
  ASSERT_TRUE(queue.try_push(1, 1));
  const auto deadline = EventQueue<int>::Clock::now() + std::chrono::seconds(30);
  std::thread consumer([&] {
    std::vector<int> out;
    queue.pop_wait(&out, 1, deadline);
  });
  EXPECT_TRUE(queue.push_wait(2, 1, deadline));
  consumer.join();
  EXPECT_EQ(queue.size(), 1u);
  // Full, and nobody pops: the wait ends at its deadline.
  EXPECT_FALSE(queue.push_wait(3, 1, EventQueue<int>::Clock::now() + std::chrono::milliseconds(5)));
}

TEST(EventQueue, CloseRefusesPushesAndWakesTheConsumer) {
  EventQueue<int> queue(4, 100);
  ASSERT_TRUE(queue.try_push(1, 1));
  std::thread closer([&] { queue.close(); });
  closer.join();
  EXPECT_FALSE(queue.try_push(2, 1));
  EXPECT_FALSE(queue.push_always(3, 1));
  std::vector<int> out;
  // Queued events stay poppable; then an empty, closed queue returns at once.
  EXPECT_EQ(queue.pop_wait(&out, 4, EventQueue<int>::Clock::now() + std::chrono::hours(1)), 1u);
  EXPECT_EQ(queue.pop_wait(&out, 4, EventQueue<int>::Clock::now() + std::chrono::hours(1)), 0u);
}

}  // namespace
}  // namespace phalanx::node
