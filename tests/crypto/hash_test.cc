// SHA-256 known answers (FIPS 180-2 examples) and the incremental/pairwise/threaded paths.
#include "crypto/hash.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace phalanx::crypto {
namespace {

std::string hex_of(std::string_view text) { return to_hex(sha256(as_span(text))); }

TEST(Sha256, KnownAnswers) {
  EXPECT_EQ(hex_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex_of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex_of(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, HasherMatchesOneShotAndIsReusableAfterFinish) {
  const std::string text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  Hasher hasher;
  for (size_t i = 0; i < text.size(); i += 7) {
    hasher.update(as_span(std::string_view(text).substr(i, 7)));
  }
  EXPECT_EQ(hasher.finish(), sha256(as_span(text)));
  // finish() leaves the hasher ready for a fresh computation.
  hasher.update(as_span("abc"));
  EXPECT_EQ(to_hex(hasher.finish()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, PairIsHashOfConcatenation) {
  const Hash a = sha256(as_span("left"));
  const Hash b = sha256(as_span("right"));
  Bytes joined(a.begin(), a.end());
  joined.insert(joined.end(), b.begin(), b.end());
  EXPECT_EQ(sha256_pair(a, b), sha256(joined));
  EXPECT_NE(sha256_pair(a, b), sha256_pair(b, a));
}

TEST(Sha256, ConcurrentCallersDoNotInterfere) {
  const Hash expected = sha256(as_span("abc"));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) mismatches[t] += sha256(as_span("abc")) != expected;
    });
  }
  for (auto& thread : threads) thread.join();
  for (int count : mismatches) EXPECT_EQ(count, 0);
}

// HashHasher: equal keys agree; keys that share their first 8 bytes (what a cheap grind
// could produce) or differ in one bit still spread over the buckets of an unordered map.
TEST(HashHasher, EqualKeysAgreeAndSimilarKeysSpread) {
  const HashHasher hasher;
  std::vector<size_t> buckets(1024, 0);
  for (uint32_t i = 0; i < 16384; ++i) {
    Hash key{};  // the first 8 bytes all zero: only bytes 8..11 vary
    key[8] = static_cast<uint8_t>(i);
    key[9] = static_cast<uint8_t>(i >> 8);
    EXPECT_EQ(hasher(key), hasher(Hash(key)));
    ++buckets[hasher(key) % buckets.size()];
  }
  // 16 keys a bucket on average; a poor mix would pile them into a few.
  for (size_t count : buckets) EXPECT_LT(count, 48u);
  Hash a = sha256(as_span("a"));
  Hash b = a;
  b[0] ^= 1;
  EXPECT_NE(hasher(a), hasher(b));
}

}  // namespace
}  // namespace phalanx::crypto
