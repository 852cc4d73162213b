// Ed25519 through libsodium: RFC 8032 known answer, seed determinism, and tampering.
#include "crypto/ed25519.h"

#include <gtest/gtest.h>

#include "tests/testutil/keys.h"

namespace phalanx::crypto {
namespace {

using testutil::seed_of;

// RFC 8032 section 7.1, TEST 1 (empty message).
TEST(Ed25519, Rfc8032KnownAnswer) {
  const auto seed =
      hex_decode_fixed<32>("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  ASSERT_TRUE(seed.is_ok());
  const SecretKey key = SecretKey::from_seed(*seed);
  EXPECT_EQ(hex_encode(key.public_key()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const Signature signature = key.sign(ByteSpan());
  EXPECT_EQ(hex_encode(signature),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e3"
            "9701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_TRUE(verify(key.public_key(), ByteSpan(), signature));
}

TEST(Ed25519, SameSeedSameKeyAndSeedRoundTrips) {
  const SecretKey a = SecretKey::from_seed(seed_of(1));
  const SecretKey b = SecretKey::from_seed(seed_of(1));
  const SecretKey c = SecretKey::from_seed(seed_of(2));
  EXPECT_EQ(a.public_key(), b.public_key());
  EXPECT_NE(a.public_key(), c.public_key());
  EXPECT_EQ(a.seed(), seed_of(1));
  EXPECT_EQ(a.sign(as_span("m")), b.sign(as_span("m")));  // deterministic signatures
}

TEST(Ed25519, GeneratedKeysDifferAndSign) {
  const SecretKey a = SecretKey::generate();
  const SecretKey b = SecretKey::generate();
  EXPECT_NE(a.public_key(), b.public_key());
  EXPECT_TRUE(verify(a.public_key(), as_span("hello"), a.sign(as_span("hello"))));
}

TEST(Ed25519, MovedKeyKeepsSigning) {
  SecretKey a = SecretKey::from_seed(seed_of(3));
  const PublicKey public_key = a.public_key();
  SecretKey b = std::move(a);
  EXPECT_TRUE(verify(public_key, as_span("x"), b.sign(as_span("x"))));
  SecretKey c = SecretKey::from_seed(seed_of(4));
  c = std::move(b);
  EXPECT_EQ(c.public_key(), public_key);
  EXPECT_TRUE(verify(public_key, as_span("x"), c.sign(as_span("x"))));
}

TEST(Ed25519, EveryTamperedByteIsRejected) {
  const SecretKey key = SecretKey::from_seed(seed_of(5));
  const Bytes message = {1, 2, 3, 4, 5, 6, 7, 8};
  const Signature signature = key.sign(message);
  ASSERT_TRUE(verify(key.public_key(), message, signature));
  for (size_t i = 0; i < message.size(); ++i) {
    Bytes changed = message;
    changed[i] ^= 0x01;
    EXPECT_FALSE(verify(key.public_key(), changed, signature)) << "message byte " << i;
  }
  for (size_t i = 0; i < signature.size(); ++i) {
    Signature changed = signature;
    changed[i] ^= 0x01;
    EXPECT_FALSE(verify(key.public_key(), message, changed)) << "signature byte " << i;
  }
  Bytes longer = message;
  longer.push_back(0);
  EXPECT_FALSE(verify(key.public_key(), longer, signature));
  const SecretKey other = SecretKey::from_seed(seed_of(6));
  EXPECT_FALSE(verify(other.public_key(), message, signature));
}

TEST(Ed25519, SecureWipeZeroes) {
  std::array<uint8_t, 16> secret{};
  secret.fill(0xab);
  secure_wipe(secret.data(), secret.size());
  EXPECT_EQ(secret, (std::array<uint8_t, 16>{}));
}

}  // namespace
}  // namespace phalanx::crypto
