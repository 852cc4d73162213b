// Quorum sizes, vote tallies, the persistence journal and the checkpoint tracker.
#include "consensus/quorum.h"

#include <gtest/gtest.h>

#include "consensus/checkpoint.h"
#include "consensus/journal.h"
#include "tests/testutil/keys.h"

namespace phalanx::consensus {
namespace {

Config config_with(uint32_t n, bool quorum_2f = false) {
  Config config;
  config.validators.resize(n);
  config.mutations.quorum_2f = quorum_2f;
  return config;
}

using testutil::filled;

Signature signature_of(uint8_t byte) {
  Signature signature;
  signature.fill(byte);
  return signature;
}

TEST(Quorum, IsCeilOfNPlusFPlusOneOverTwo) {
  const std::pair<uint32_t, uint32_t> expected[] = {{4, 3}, {5, 4}, {7, 5}, {10, 7}};
  for (auto [n, q] : expected) {
    EXPECT_EQ(quorum_size(config_with(n)), q) << "n=" << n;
    // Any two quorums overlap in more than f replicas, so in an honest one.
    const uint32_t f = config_with(n).f();
    EXPECT_GT(2 * q - n, f) << "n=" << n;
  }
}

TEST(Quorum, TwoFMutationShrinksIt) {
  const std::pair<uint32_t, uint32_t> expected[] = {{4, 2}, {5, 2}, {7, 4}, {10, 6}};
  for (auto [n, q] : expected) EXPECT_EQ(quorum_size(config_with(n, true)), q) << "n=" << n;
}

TEST(VoteTally, CountsEachSenderOnce) {
  VoteTally tally;
  EXPECT_EQ(tally.add(0, 1, 2, filled(1), signature_of(1)), VoteTally::Outcome::kAdded);
  EXPECT_EQ(tally.add(0, 1, 2, filled(1), signature_of(1)), VoteTally::Outcome::kDuplicate);
  // A second digest from the same sender is ignored: it keeps its first vote.
  EXPECT_EQ(tally.add(0, 1, 2, filled(9), signature_of(9)), VoteTally::Outcome::kConflict);
  EXPECT_EQ(tally.count(0, 1, filled(1)), 1u);
  EXPECT_EQ(tally.count(0, 1, filled(9)), 0u);
  EXPECT_EQ(tally.add(0, 1, 3, filled(1), signature_of(3)), VoteTally::Outcome::kAdded);
  EXPECT_EQ(tally.add(0, 1, 0, filled(1), signature_of(0)), VoteTally::Outcome::kAdded);
  EXPECT_EQ(tally.count(0, 1, filled(1)), 3u);
  EXPECT_EQ(tally.count(0, 1, filled(1), 0u), 2u);
  // Other views and heights are separate slots.
  EXPECT_EQ(tally.count(1, 1, filled(1)), 0u);
  EXPECT_EQ(tally.count(0, 2, filled(1)), 0u);
  EXPECT_TRUE(tally.holds(0, 1, 2, filled(1), signature_of(1)));
  EXPECT_FALSE(tally.holds(0, 1, 2, filled(1), signature_of(7)));
  EXPECT_TRUE(tally.has_vote_from(0, 1, 3));
  EXPECT_FALSE(tally.has_vote_from(0, 1, 1));
}

TEST(VoteTally, SignaturesAreSortedLimitedAndExcludeTheGivenSender) {
  VoteTally tally;
  for (uint32_t sender : {3u, 0u, 2u, 1u}) {
    (void)tally.add(0, 5, sender, filled(1), signature_of(static_cast<uint8_t>(sender)));
  }
  auto signatures = tally.signatures(0, 5, filled(1), 2, 0u);
  ASSERT_EQ(signatures.size(), 2u);
  EXPECT_EQ(signatures[0].validator, 1u);
  EXPECT_EQ(signatures[1].validator, 2u);
  EXPECT_EQ(signatures[1].signature, signature_of(2));
}

TEST(VoteTally, EraseThroughDropsLowHeightsOnly) {
  VoteTally tally;
  for (uint64_t height = 1; height <= 6; ++height) (void)tally.add(0, height, 1, filled(1), {});
  tally.erase_through(4);
  EXPECT_EQ(tally.slots(), 2u);
  EXPECT_EQ(tally.count(0, 4, filled(1)), 0u);
  EXPECT_EQ(tally.count(0, 5, filled(1)), 1u);
}

TEST(Journal, ErasesEveryIndexedKeyAtOrBelowAHeight) {
  Journal journal;
  journal.put_at(1, "a1", {1});
  journal.put_at(2, "a2", {2});
  journal.put_at(2, "b2", {2});
  journal.put_at(3, "a3", {3});
  journal.put("view", {0});
  EXPECT_EQ(journal.take_pending().size(), 5u);
  EXPECT_FALSE(journal.has_pending());
  journal.erase_through(2);
  const auto erased = journal.take_pending();
  ASSERT_EQ(erased.size(), 3u);
  for (const auto& op : erased) EXPECT_EQ(op.type, PersistOp::Type::kErase);
  EXPECT_EQ(erased[0].key, "a1");
  EXPECT_EQ(journal.live_keys(), 1u);
  journal.track(3, "c3");
  journal.erase_through(10);
  EXPECT_EQ(journal.take_pending().size(), 2u);
  EXPECT_EQ(journal.live_keys(), 0u);
}

Message checkpoint(uint32_t from, uint64_t height, uint8_t root_byte = 7) {
  Message message;
  message.kind = MessageKind::kCheckpoint;
  message.from = from;
  message.height = height;
  message.digest = filled(static_cast<uint8_t>(height));
  message.state_root = filled(root_byte);
  message.signature = signature_of(static_cast<uint8_t>(from));
  return message;
}

using Outcome = CheckpointTracker::Outcome;

TEST(CheckpointTracker, StableNeedsAQuorumMatchingItsOwnVote) {
  CheckpointTracker tracker(/*window=*/16, /*interval=*/4);
  EXPECT_EQ(tracker.add(checkpoint(1, 4)), Outcome::kAdded);
  EXPECT_EQ(tracker.add(checkpoint(2, 4)), Outcome::kAdded);
  EXPECT_EQ(tracker.add(checkpoint(3, 4, /*root_byte=*/8)), Outcome::kAdded);
  // Three votes, but not this replica's own: it has not reached height 4 itself.
  EXPECT_FALSE(tracker.find_stable(0, 3).has_value());
  tracker.add_own(checkpoint(0, 4));
  auto proof = tracker.find_stable(0, 3);
  ASSERT_TRUE(proof.has_value());
  EXPECT_EQ(proof->height, 4u);
  ASSERT_EQ(proof->signatures.size(), 3u);
  EXPECT_EQ(proof->signatures[2].validator, 2u);  // 3 voted another root
  EXPECT_FALSE(tracker.find_stable(0, 4).has_value());
}

TEST(CheckpointTracker, DuplicatesConflictsAndBounds) {
  CheckpointTracker tracker(16, 4);
  EXPECT_EQ(tracker.add(checkpoint(1, 8)), Outcome::kAdded);
  EXPECT_TRUE(tracker.holds(checkpoint(1, 8)));
  EXPECT_EQ(tracker.add(checkpoint(1, 8)), Outcome::kDuplicate);
  EXPECT_EQ(tracker.add(checkpoint(1, 8, 9)), Outcome::kConflict);
  EXPECT_EQ(tracker.add(checkpoint(1, 6)), Outcome::kNotAtInterval);
  tracker.add_own(checkpoint(0, 8));
  (void)tracker.add(checkpoint(2, 8));
  tracker.collect_garbage(8);
  EXPECT_EQ(tracker.add(checkpoint(3, 8)), Outcome::kBelowStable);
  EXPECT_EQ(tracker.vote_heights(), 0u);
  ASSERT_TRUE(tracker.own_latest().has_value());
  EXPECT_EQ(tracker.own_latest()->height, 8u);
}

TEST(CheckpointTracker, AboveTheWindowKeepsTheHighestPerSender) {
  CheckpointTracker tracker(/*window=*/8, /*interval=*/4);
  EXPECT_EQ(tracker.add(checkpoint(1, 12)), Outcome::kAboveWindow);
  EXPECT_EQ(tracker.add(checkpoint(1, 20)), Outcome::kAboveWindow);
  EXPECT_EQ(tracker.add(checkpoint(1, 16)), Outcome::kDuplicate);  // older: ignored
  EXPECT_EQ(tracker.add(checkpoint(2, 12)), Outcome::kAboveWindow);
  EXPECT_EQ(tracker.far_votes(), 2u);
  EXPECT_EQ(tracker.vote_heights(), 0u);
  // Once the window moves past 12, sender 2's vote counts there; sender 1's (20) stays far.
  tracker.add_own(checkpoint(0, 4));
  tracker.collect_garbage(4);
  EXPECT_EQ(tracker.far_votes(), 1u);
  EXPECT_TRUE(tracker.holds(checkpoint(2, 12)));
  EXPECT_TRUE(tracker.holds(checkpoint(1, 20)));
  tracker.check_invariants();
}

}  // namespace
}  // namespace phalanx::consensus
