// SafetyRules: one body per (kind, view, height), a durable record of every signature, and
// the same refusal after a restart from those records.
#include "consensus/safety_rules.h"

#include <gtest/gtest.h>

#include <map>

#include "consensus/codec.h"
#include "consensus/restore.h"
#include "tests/testutil/keys.h"

namespace phalanx::consensus {
namespace {

// Counts calls so tests can see when the key is (not) used.
class CountingSigner final : public Signer {
 public:
  explicit CountingSigner(int* calls) : calls_(calls) {}
  Signature sign(crypto::Domain domain, ByteSpan body) override {
    ++*calls_;
    Signature signature{};
    signature[0] = static_cast<uint8_t>(domain);
    for (size_t i = 0; i < body.size(); ++i) signature[1 + i % 63] ^= body[i];
    return signature;
  }

 private:
  int* calls_;
};

using testutil::filled;

std::map<std::string, Bytes> apply(const std::vector<PersistOp>& ops) {
  std::map<std::string, Bytes> disk;
  for (const auto& op : ops) {
    if (op.type == PersistOp::Type::kPut)
      disk[op.key] = op.value;
    else
      disk.erase(op.key);
  }
  return disk;
}

TEST(SafetyRules, RefusesASecondDigestForOneSlot) {
  int calls = 0;
  SafetyRules rules(std::make_unique<CountingSigner>(&calls), true);
  Journal journal;
  auto first = rules.sign(MessageKind::kPrepare, 0, 5, vote_body(0, 5, filled(1)), &journal);
  ASSERT_TRUE(first.has_value());
  const auto ops = journal.take_pending();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].key, vote_key(MessageKind::kPrepare, 5, 0));
  // The same body again: the same signature, no new signing, no new record.
  auto again = rules.sign(MessageKind::kPrepare, 0, 5, vote_body(0, 5, filled(1)), &journal);
  EXPECT_EQ(again, first);
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(journal.has_pending());
  // A different digest for the same (kind, view, height): refused and counted.
  EXPECT_FALSE(
      rules.sign(MessageKind::kPrepare, 0, 5, vote_body(0, 5, filled(2)), &journal).has_value());
  EXPECT_EQ(rules.refusals(), 1u);
  EXPECT_EQ(calls, 1);
  // Other kinds, views and heights are other slots.
  EXPECT_TRUE(rules.sign(MessageKind::kCommit, 0, 5, vote_body(0, 5, filled(2)), &journal));
  EXPECT_TRUE(rules.sign(MessageKind::kPrepare, 1, 5, vote_body(1, 5, filled(2)), &journal));
  EXPECT_TRUE(rules.sign(MessageKind::kPrepare, 0, 6, vote_body(0, 6, filled(2)), &journal));
  EXPECT_TRUE(rules.sign(MessageKind::kCheckpoint, 0, 8, checkpoint_body(8, filled(1), filled(2)),
                         &journal));
  EXPECT_FALSE(rules.sign(MessageKind::kCheckpoint, 0, 8, checkpoint_body(8, filled(1), filled(3)),
                          &journal));
  EXPECT_EQ(rules.refusals(), 2u);
}

TEST(SafetyRules, RefusesAfterRestartFromItsRecords) {
  int calls = 0;
  Journal journal;
  std::optional<Signature> original;
  {
    SafetyRules rules(std::make_unique<CountingSigner>(&calls), true);
    original = rules.sign(MessageKind::kCommit, 2, 9, vote_body(2, 9, filled(1)), &journal);
    ASSERT_TRUE(original.has_value());
  }
  Config config;
  config.validators.resize(4);
  auto state = parse_persisted(config, apply(journal.take_pending()));
  ASSERT_TRUE(state.is_ok()) << state.message();
  ASSERT_EQ(state->votes.size(), 1u);

  SafetyRules restarted(std::make_unique<CountingSigner>(&calls), true);
  const PersistedVote& vote = state->votes[0];
  restarted.restore(vote.key.kind, vote.key.height, vote.key.view, vote.record);
  EXPECT_FALSE(restarted.sign(MessageKind::kCommit, 2, 9, vote_body(2, 9, filled(7)), &journal));
  EXPECT_EQ(restarted.refusals(), 1u);
  EXPECT_EQ(restarted.sign(MessageKind::kCommit, 2, 9, vote_body(2, 9, filled(1)), &journal),
            original);
  EXPECT_EQ(calls, 1);
}

TEST(SafetyRules, WithoutPersistenceTheRecordIsLost) {
  int calls = 0;
  SafetyRules rules(std::make_unique<CountingSigner>(&calls), /*persist_votes=*/false);
  Journal journal;
  EXPECT_TRUE(rules.sign(MessageKind::kPrepare, 0, 1, vote_body(0, 1, filled(1)), &journal));
  EXPECT_FALSE(journal.has_pending());
  // Still refused while running: only a restart forgets.
  EXPECT_FALSE(rules.sign(MessageKind::kPrepare, 0, 1, vote_body(0, 1, filled(2)), &journal));
}

TEST(SafetyRules, ForgetsSlotsBelowTheStableCheckpoint) {
  int calls = 0;
  SafetyRules rules(std::make_unique<CountingSigner>(&calls), true);
  Journal journal;
  for (uint64_t height = 1; height <= 5; ++height) {
    ASSERT_TRUE(
        rules.sign(MessageKind::kPrepare, 0, height, vote_body(0, height, filled(1)), &journal));
  }
  rules.forget_through(4);
  EXPECT_EQ(rules.slots(), 1u);
  EXPECT_EQ(rules.find(MessageKind::kPrepare, 0, 4), nullptr);
  EXPECT_NE(rules.find(MessageKind::kPrepare, 0, 5), nullptr);
}

}  // namespace
}  // namespace phalanx::consensus
