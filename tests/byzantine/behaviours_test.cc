// --byzantine LIST parsing (behaviours.h).
#include "tests/byzantine/behaviours.h"

#include "gtest/gtest.h"

namespace phalanx::byzantine {
namespace {

TEST(ByzantineBehaviours, AllSelectsEveryBehaviour) {
  auto all = parse_behaviours("all");
  ASSERT_TRUE(all.is_ok()) << all.message();
  for (size_t i = 0; i < kBehaviourCount; ++i) {
    EXPECT_TRUE(all->has(static_cast<Behaviour>(i))) << kBehaviourNames[i];
  }
  EXPECT_EQ(all->to_string(),
            "equivocate,conflicting-votes,bad-signatures,garbage,replay,bad-txs,forged-catch-up");
}

TEST(ByzantineBehaviours, ListSelectsExactlyTheNamedOnes) {
  auto some = parse_behaviours("replay,equivocate");
  ASSERT_TRUE(some.is_ok()) << some.message();
  EXPECT_TRUE(some->has(Behaviour::kReplay));
  EXPECT_TRUE(some->has(Behaviour::kEquivocate));
  EXPECT_FALSE(some->has(Behaviour::kGarbage));
  EXPECT_EQ(some->to_string(), "equivocate,replay");
  for (std::string_view name : kBehaviourNames) {
    auto one = parse_behaviours(name);
    ASSERT_TRUE(one.is_ok()) << name;
    EXPECT_EQ(one->to_string(), name);
  }
  EXPECT_EQ(Behaviours().to_string(), "none");
}

TEST(ByzantineBehaviours, UnknownEmptyAndRepeatedNamesAreErrors) {
  for (const char* bad : {"", "bogus", "replay,", ",replay", "replay,,garbage", "all,replay",
                          "Replay", "replay ", "replay,replay"}) {
    auto parsed = parse_behaviours(bad);
    EXPECT_FALSE(parsed.is_ok()) << "'" << bad << "'";
  }
  auto unknown = parse_behaviours("equivocate,bogus");
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_NE(unknown.message().find("unknown behaviour 'bogus'"), std::string::npos);
  EXPECT_NE(unknown.message().find("forged-catch-up"), std::string::npos) << unknown.message();
  EXPECT_NE(parse_behaviours("replay,replay").message().find("twice"), std::string::npos);
}

TEST(ByzantineBehaviours, HelpNamesEveryBehaviour) {
  const std::string help = behaviours_help();
  for (std::string_view name : kBehaviourNames) {
    EXPECT_NE(help.find("  " + std::string(name) + " "), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace phalanx::byzantine
