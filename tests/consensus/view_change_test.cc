// VIEW-CHANGE / NEW-VIEW payloads (consensus/view_change.h): round trips, bounds, proof
// verification, and the derivation every backup repeats — highest view wins, a gap is
// invalid, a NEW-VIEW that drops or alters a prepared certificate is rejected.
#include "consensus/view_change.h"

#include <gtest/gtest.h>

#include "consensus/codec.h"
#include "crypto/hash.h"
#include "tests/consensus/cluster.h"

namespace phalanx::consensus::testing {
namespace {

Hash digest_of(const char* text) { return crypto::sha256(as_span(text)); }

class ViewChangeTest : public ::testing::Test {
 protected:
  Cluster cluster;  // first: the members below are made from it
  Config config = cluster.config_for(0);
  Ed25519Verifier verifier{config.validators, kChainId};

  // A valid prepared proof: the primary of `view` pre-prepared, q-1 backups prepared.
  PreparedProof proof(uint64_t view, uint64_t height, const Hash& digest) const {
    PreparedProof out{height, view, digest, {}, {}};
    const uint32_t primary = config.primary_of(view);
    out.pre_prepare_signature =
        cluster.sign_vote(primary, MessageKind::kPrePrepare, view, height, digest).signature;
    for (uint32_t i = 0; i < config.n() && out.prepares.size() + 1 < config.quorum(); ++i) {
      if (i == primary) continue;
      out.prepares.push_back(
          {i, cluster.sign_vote(i, MessageKind::kPrepare, view, height, digest).signature});
    }
    return out;
  }

  SignedViewChange sign(uint32_t from, const ViewChange& view_change) const {
    const Bytes body = encode_view_change(view_change);
    return {from, body,
            crypto::sign_domain(cluster.key(from), crypto::Domain::kViewChange, kChainId, body)};
  }

  // The NEW-VIEW an honest primary of `view` would send for these view changes (senders
  // 0..size-1).
  NewView new_view(uint64_t view, const std::vector<ViewChange>& view_changes) const {
    NewView out;
    out.view = view;
    for (uint32_t i = 0; i < view_changes.size(); ++i) {
      out.view_changes.push_back(sign(i, view_changes[i]));
    }
    auto derivation = derive_new_view(config, view_changes);
    EXPECT_TRUE(derivation.is_ok());
    for (const auto& [height, digest] : derivation->reproposals) {
      out.reproposals.push_back(
          {height, digest,
           cluster
               .sign_vote(config.primary_of(view), MessageKind::kPrePrepare, view, height, digest)
               .signature});
    }
    return out;
  }
};

TEST_F(ViewChangeTest, ViewChangeRoundTripsAndVerifies) {
  ViewChange view_change{2, {}, {proof(0, 1, digest_of("a")), proof(1, 2, digest_of("b"))}};
  auto decoded = decode_view_change(encode_view_change(view_change), config);
  ASSERT_TRUE(decoded.is_ok()) << decoded.message();
  EXPECT_EQ(decoded->prepared.size(), 2u);
  EXPECT_EQ(decoded->prepared[1].digest, digest_of("b"));
  EXPECT_TRUE(verify_view_change(config, verifier, *decoded).is_ok());
}

TEST_F(ViewChangeTest, ForgedPreparedProofsAreRefused) {
  ViewChange forged{1, {}, {proof(0, 1, digest_of("a"))}};
  forged.prepared[0].prepares[0].signature[0] ^= 1;
  EXPECT_FALSE(verify_view_change(config, verifier, forged).is_ok());
  ViewChange short_proof{1, {}, {proof(0, 1, digest_of("a"))}};
  short_proof.prepared[0].prepares.pop_back();
  EXPECT_FALSE(verify_view_change(config, verifier, short_proof).is_ok());
  ViewChange wrong_primary{1, {}, {proof(0, 1, digest_of("a"))}};
  wrong_primary.prepared[0].view = 1;  // not below the view change's view, other primary
  EXPECT_FALSE(verify_view_change(config, verifier, wrong_primary).is_ok());
  ViewChange bad_checkpoint{1, {4, digest_of("c"), digest_of("r"), {}}, {}};
  EXPECT_FALSE(verify_view_change(config, verifier, bad_checkpoint).is_ok());
}

TEST_F(ViewChangeTest, DecodingIsStrictAndBounded) {
  ViewChange unordered{1, {}, {proof(0, 2, digest_of("b")), proof(0, 1, digest_of("a"))}};
  auto decoded = decode_view_change(encode_view_change(unordered), config);
  EXPECT_FALSE(decoded.is_ok());
  Bytes bytes = encode_view_change(ViewChange{1, {}, {}});
  bytes.push_back(0);
  EXPECT_FALSE(decode_view_change(bytes, config).is_ok());
  EXPECT_FALSE(decode_view_change(Bytes(view_change_bytes_max(config) + 1, 0), config).is_ok());
  EXPECT_FALSE(decode_new_view(Bytes(new_view_bytes_max(config) + 1, 0), config).is_ok());
  // The derived maxima fit inside one consensus message (asserted by the Replica too).
  EXPECT_LE(new_view_bytes_max(config), config.block_limits.bytes_max);
}

TEST_F(ViewChangeTest, DerivationTakesTheHighestViewPerHeight) {
  const std::vector<ViewChange> view_changes = {
      {3, {}, {proof(0, 1, digest_of("a")), proof(0, 2, digest_of("old"))}},
      {3, {}, {proof(0, 1, digest_of("a")), proof(2, 2, digest_of("new"))}},
      {3, {}, {}},
  };
  auto derivation = derive_new_view(config, view_changes);
  ASSERT_TRUE(derivation.is_ok()) << derivation.message();
  ASSERT_EQ(derivation->reproposals.size(), 2u);
  EXPECT_EQ(derivation->reproposals[0], std::make_pair(uint64_t{1}, digest_of("a")));
  EXPECT_EQ(derivation->reproposals[1], std::make_pair(uint64_t{2}, digest_of("new")));
  EXPECT_EQ(derivation->base.height, 0u);
}

TEST_F(ViewChangeTest, AGapIsInvalid) {
  const std::vector<ViewChange> view_changes = {
      {1, {}, {proof(0, 1, digest_of("a"))}},
      {1, {}, {proof(0, 3, digest_of("c"))}},  // height 2 is missing
      {1, {}, {}},
  };
  auto derivation = derive_new_view(config, view_changes);
  ASSERT_FALSE(derivation.is_ok());
  EXPECT_NE(derivation.message().find("gap at height 2"), std::string::npos);
}

TEST_F(ViewChangeTest, HonestNewViewVerifies) {
  const std::vector<ViewChange> view_changes = {
      {1, {}, {proof(0, 1, digest_of("a"))}}, {1, {}, {}}, {1, {}, {}}};
  const NewView honest = new_view(1, view_changes);
  auto decoded = decode_new_view(encode_new_view(honest), config);
  ASSERT_TRUE(decoded.is_ok()) << decoded.message();
  auto derivation = verify_new_view(config, verifier, *decoded);
  ASSERT_TRUE(derivation.is_ok()) << derivation.message();
  EXPECT_EQ(derivation->reproposals.size(), 1u);
}

TEST_F(ViewChangeTest, NewViewThatDropsAPreparedCertificateIsRejected) {
  const std::vector<ViewChange> view_changes = {
      {1, {}, {proof(0, 1, digest_of("a"))}}, {1, {}, {}}, {1, {}, {}}};
  NewView dropped = new_view(1, view_changes);
  dropped.reproposals.clear();  // starts height 1 fresh
  auto verdict = verify_new_view(config, verifier, dropped);
  ASSERT_FALSE(verdict.is_ok());
  EXPECT_NE(verdict.message().find("differ"), std::string::npos);
  // Under the mutation a backup takes the re-proposals as given and accepts it.
  config.mutations.new_view_not_rederived = true;
  EXPECT_TRUE(verify_new_view(config, verifier, dropped).is_ok());
}

TEST_F(ViewChangeTest, NewViewWithAnotherDigestOrTooFewViewChangesIsRejected) {
  const std::vector<ViewChange> view_changes = {
      {1, {}, {proof(0, 1, digest_of("a"))}}, {1, {}, {}}, {1, {}, {}}};
  NewView altered = new_view(1, view_changes);
  altered.reproposals[0].digest = digest_of("other");
  EXPECT_FALSE(verify_new_view(config, verifier, altered).is_ok());
  NewView few = new_view(1, view_changes);
  few.view_changes.pop_back();
  EXPECT_FALSE(verify_new_view(config, verifier, few).is_ok());
  NewView forged = new_view(1, view_changes);
  forged.view_changes[1].signature[0] ^= 1;
  EXPECT_FALSE(verify_new_view(config, verifier, forged).is_ok());
  NewView other_view = new_view(2, view_changes);  // the view changes are for view 1
  EXPECT_FALSE(verify_new_view(config, verifier, other_view).is_ok());
}

}  // namespace
}  // namespace phalanx::consensus::testing
