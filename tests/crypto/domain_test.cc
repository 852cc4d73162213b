// Domain separation: a signature is bound to its message kind and its chain.
#include "crypto/domain.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace phalanx::crypto {
namespace {

constexpr Domain kAllDomains[] = {Domain::kTransaction, Domain::kPrePrepare, Domain::kPrepare,
                                  Domain::kCommit,      Domain::kCheckpoint, Domain::kViewChange,
                                  Domain::kNewView,     Domain::kStatus};

SecretKey test_key() {
  Seed seed{};
  seed.fill(7);
  return SecretKey::from_seed(seed);
}

TEST(Domain, TagsAreTheDocumentedOnesAndDistinct) {
  EXPECT_EQ(domain_tag(Domain::kTransaction), "phalanx/tx/v1");
  EXPECT_EQ(domain_tag(Domain::kPrePrepare), "phalanx/pre-prepare/v1");
  EXPECT_EQ(domain_tag(Domain::kPrepare), "phalanx/prepare/v1");
  EXPECT_EQ(domain_tag(Domain::kCommit), "phalanx/commit/v1");
  EXPECT_EQ(domain_tag(Domain::kCheckpoint), "phalanx/checkpoint/v1");
  EXPECT_EQ(domain_tag(Domain::kViewChange), "phalanx/view-change/v1");
  EXPECT_EQ(domain_tag(Domain::kNewView), "phalanx/new-view/v1");
  EXPECT_EQ(domain_tag(Domain::kStatus), "phalanx/status/v1");
  std::set<std::string_view> tags;
  for (Domain domain : kAllDomains) tags.insert(domain_tag(domain));
  EXPECT_EQ(tags.size(), std::size(kAllDomains));
}

TEST(Domain, SigningMessageLayout) {
  const Bytes body = {0xde, 0xad};
  const Bytes message = signing_message(Domain::kCommit, "c1", body);
  Bytes expected = {17};
  for (char c : std::string("phalanx/commit/v1")) expected.push_back(static_cast<uint8_t>(c));
  expected.insert(expected.end(), {2, 'c', '1', 0xde, 0xad});
  EXPECT_EQ(message, expected);
}

TEST(Domain, PrepareSignatureFailsAsAnyOtherKindOrChain) {
  const SecretKey key = test_key();
  const Bytes body = {1, 2, 3};
  const Signature signature = sign_domain(key, Domain::kPrepare, "phalanx-a", body);
  EXPECT_TRUE(verify_domain(key.public_key(), Domain::kPrepare, "phalanx-a", body, signature));
  EXPECT_FALSE(verify_domain(key.public_key(), Domain::kCommit, "phalanx-a", body, signature));
  EXPECT_FALSE(verify_domain(key.public_key(), Domain::kPrepare, "phalanx-b", body, signature));
  for (Domain domain : kAllDomains) {
    if (domain == Domain::kPrepare) continue;
    EXPECT_FALSE(verify_domain(key.public_key(), domain, "phalanx-a", body, signature))
        << domain_tag(domain);
  }
  // A raw signature over the body alone is not a domain signature.
  EXPECT_FALSE(
      verify_domain(key.public_key(), Domain::kPrepare, "phalanx-a", body, key.sign(body)));
}

TEST(Domain, VerifyRefusesInvalidChainIdInsteadOfCrashing) {
  const SecretKey key = test_key();
  const Signature signature = sign_domain(key, Domain::kCommit, "ok", Bytes{});
  EXPECT_FALSE(verify_domain(key.public_key(), Domain::kCommit, "", Bytes{}, signature));
  EXPECT_FALSE(verify_domain(key.public_key(), Domain::kCommit, "Bad", Bytes{}, signature));
}

TEST(Domain, ChainIdValidation) {
  EXPECT_TRUE(validate_chain_id("phalanx-local.1_a").is_ok());
  EXPECT_TRUE(validate_chain_id(std::string(kChainIdBytesMax, 'a')).is_ok());
  EXPECT_EQ(validate_chain_id("").message(), "chain id is empty");
  EXPECT_EQ(validate_chain_id(std::string(kChainIdBytesMax + 1, 'a')).message(),
            "chain id is 65 bytes, the maximum is 64");
  EXPECT_EQ(validate_chain_id("abC").message(),
            "chain id has an invalid character at position 2 (allowed: a-z 0-9 . _ -)");
  EXPECT_FALSE(validate_chain_id("a b").is_ok());
  EXPECT_FALSE(validate_chain_id(std::string("a\0b", 3)).is_ok());
}

}  // namespace
}  // namespace phalanx::crypto
