// Block header, block, merkle root and commit certificate encodings: documented vectors,
// round trips, and strict rejection of malformed input without unbounded allocation.
#include <gtest/gtest.h>

#include "encoding_fixtures.h"
#include "ledger/block.h"

namespace phalanx::ledger {
namespace {

using testing::vector_block;
using namespace testing::vectors;

Hash leaf(uint8_t i) { return crypto::sha256(ByteSpan(&i, 1)); }

std::vector<Hash> leaves(size_t n) {
  std::vector<Hash> out;
  for (size_t i = 0; i < n; ++i) out.push_back(leaf(static_cast<uint8_t>(i)));
  return out;
}

// RFC 6962 section 2.1, written as the RFC states it (recursive split at the largest power
// of two below n), to check the bottom-up implementation against.
Hash reference_root(std::span<const Hash> hashes) {
  if (hashes.empty()) return crypto::sha256(ByteSpan());
  if (hashes.size() == 1) {
    Bytes bytes = {0x00};
    bytes.insert(bytes.end(), hashes[0].begin(), hashes[0].end());
    return crypto::sha256(bytes);
  }
  size_t split = 1;
  while (split * 2 < hashes.size()) split *= 2;
  const Hash left = reference_root(hashes.first(split));
  const Hash right = reference_root(hashes.subspan(split));
  Bytes bytes = {0x01};
  bytes.insert(bytes.end(), left.begin(), left.end());
  bytes.insert(bytes.end(), right.begin(), right.end());
  return crypto::sha256(bytes);
}

std::string block_error(const Bytes& bytes, const BlockLimits& limits = {}) {
  auto block = decode_block(bytes, limits);
  return block ? std::string("(accepted)") : block.message();
}

constexpr size_t kHeaderBytes = 142;  // the vector block's encoded header

Block block_with(size_t tx_count) {
  Block block = vector_block();
  block.transactions.clear();
  for (size_t i = 0; i < tx_count; ++i) {
    block.transactions.push_back(make_transfer(testing::vector_sender(), "phalanx-test",
                                               testing::vector_recipient(), 1 + i, 0, i));
  }
  block.header.tx_count = static_cast<uint32_t>(tx_count);
  block.header.tx_root = merkle_root(transaction_hashes(block));
  return block;
}

TEST(BlockEncoding, DocumentedVector) {
  const Block block = vector_block();
  EXPECT_EQ(hex_encode(block.header.tx_root), kTxRoot);
  EXPECT_EQ(hex_encode(encode_header(block.header)), kHeader);
  EXPECT_EQ(hex_encode(block_hash(block.header)), kBlockHash);
  EXPECT_EQ(hex_encode(encode_block(block)), std::string(kHeader) + std::string(kTxLength) +
                                                 hex_encode(block.transactions[0].bytes));
}

TEST(BlockEncoding, RoundTrips) {
  for (size_t count : {0, 1, 3}) {
    const Block block = block_with(count);
    const Bytes bytes = encode_block(block);
    auto decoded = decode_block(bytes, BlockLimits{});
    ASSERT_TRUE(decoded.is_ok()) << decoded.message();
    EXPECT_EQ(encode_block(*decoded), bytes);
    ASSERT_EQ(decoded->transactions.size(), count);
    for (size_t i = 0; i < count; ++i) {
      EXPECT_EQ(decoded->transactions[i].hash, block.transactions[i].hash);
    }
    auto header = decode_header(encode_header(block.header));
    ASSERT_TRUE(header.is_ok()) << header.message();
    EXPECT_EQ(encode_header(*header), encode_header(block.header));
  }
}

TEST(BlockEncoding, HeaderIsStrict) {
  const Bytes header = encode_header(vector_block().header);
  for (size_t length = 0; length < header.size(); ++length) {
    EXPECT_FALSE(decode_header(ByteSpan(header.data(), length)).is_ok()) << length;
  }
  Bytes trailing = header;
  trailing.push_back(0);
  EXPECT_EQ(decode_header(trailing).message(), "1 trailing bytes after offset 142");
  Bytes version = header;
  version[0] = 2;
  EXPECT_EQ(decode_header(version).message(), "unsupported block version 2");
  EXPECT_EQ(decode_header(Bytes(kBlockHeaderBytesMax + 1, 0)).message(),
            "block header of 195 bytes exceeds the maximum 194");
}

TEST(BlockEncoding, MalformedBlocksAreRejected) {
  const Block block = block_with(2);
  const Bytes good = encode_block(block);
  for (size_t length = 0; length < good.size(); ++length) {
    EXPECT_FALSE(decode_block(ByteSpan(good.data(), length), BlockLimits{}).is_ok()) << length;
  }
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(block_error(trailing), "1 trailing bytes after offset 454");

  Block wrong_root = block;
  wrong_root.header.tx_root[0] ^= 1;
  EXPECT_EQ(block_error(encode_block(wrong_root)), "block tx_root does not match its transactions");

  Block reordered = block;
  std::swap(reordered.transactions[0], reordered.transactions[1]);
  EXPECT_EQ(block_error(encode_block(reordered)), "block tx_root does not match its transactions");

  Bytes bad_tx = good;
  bad_tx[142 + 2] = 9;  // the first transaction's version byte
  EXPECT_EQ(block_error(bad_tx), "block transaction 0: unsupported transaction version 9");

  Bytes long_length = good;
  long_length[142] = 0xff;  // tx_len of the first transaction: 0xff9a
  EXPECT_FALSE(decode_block(long_length, BlockLimits{}).is_ok());
}

TEST(BlockEncoding, OneTransactionIsReadWithoutTheOthers) {
  const Block block = block_with(5);
  const Bytes bytes = encode_block(block);
  for (uint32_t i = 0; i < 5; ++i) {
    auto tx = decode_block_transaction(bytes, i, BlockLimits{});
    ASSERT_TRUE(tx.is_ok()) << tx.message();
    EXPECT_EQ(tx->hash, block.transactions[i].hash) << i;
    EXPECT_EQ(tx->bytes, block.transactions[i].bytes) << i;
  }
  EXPECT_EQ(decode_block_transaction(bytes, 5, BlockLimits{}).message(),
            "block has 5 transactions, no index 5");
  // Truncated anywhere before the end of transaction 2: refused, never read past the end.
  const size_t end_of_2 = kHeaderBytes + 3 * (2 + block.transactions[0].bytes.size());
  for (size_t length = 0; length < end_of_2; ++length) {
    EXPECT_FALSE(decode_block_transaction(ByteSpan(bytes.data(), length), 2, BlockLimits{}).is_ok())
        << length;
  }
  Bytes bad_tx = bytes;
  bad_tx[kHeaderBytes + 2] = 9;  // the first transaction's version byte
  EXPECT_EQ(decode_block_transaction(bad_tx, 0, BlockLimits{}).message(),
            "block transaction 0: unsupported transaction version 9");
  EXPECT_TRUE(decode_block_transaction(bad_tx, 1, BlockLimits{}).is_ok());  // others untouched
  EXPECT_EQ(decode_block_transaction(bytes, 0, BlockLimits{.txs_max = 4, .bytes_max = 1 << 20})
                .message(),
            "block tx_count: count 5 exceeds the maximum 4");
}

TEST(BlockEncoding, LimitsAreEnforced) {
  const Bytes bytes = encode_block(block_with(3));
  EXPECT_EQ(block_error(bytes, BlockLimits{.txs_max = 2, .bytes_max = 1 << 20}),
            "block tx_count: count 3 exceeds the maximum 2");
  EXPECT_EQ(block_error(bytes, BlockLimits{.txs_max = 4096, .bytes_max = 400}),
            "block of 610 bytes exceeds the maximum 400");
  EXPECT_TRUE(decode_block(bytes, BlockLimits{.txs_max = 3, .bytes_max = 610}).is_ok());
}

TEST(BlockEncoding, HugeTxCountIsRefusedBeforeAllocating) {
  BlockHeader header = vector_block().header;
  header.tx_count = UINT32_MAX;
  const Bytes bytes = encode_header(header);  // a header, and not one transaction
  const BlockLimits unlimited{.txs_max = UINT32_MAX, .bytes_max = UINT32_MAX};
  EXPECT_EQ(block_error(bytes, unlimited),
            "block tx_count: count 4294967295 cannot fit in the remaining 0 bytes");
  Bytes sixteen(16, 0xff);  // 16 bytes claiming everything
  sixteen[0] = kBlockVersion;
  sixteen[1] = 1;
  sixteen[2] = 'a';
  EXPECT_FALSE(decode_block(sixteen, unlimited).is_ok());
}

TEST(MerkleRoot, KnownAnswers) {
  // Leaves are SHA-256 of the single bytes 0, 1, 2, ...; values from an independent RFC 6962
  // implementation (docs/encoding.md).
  EXPECT_EQ(hex_encode(merkle_root(leaves(0))), kMerkleRoot0);
  EXPECT_EQ(hex_encode(merkle_root(leaves(1))), kMerkleRoot1);
  EXPECT_EQ(hex_encode(merkle_root(leaves(2))), kMerkleRoot2);
  EXPECT_EQ(hex_encode(merkle_root(leaves(3))), kMerkleRoot3);
  EXPECT_EQ(hex_encode(merkle_root(leaves(5))), kMerkleRoot5);
}

TEST(MerkleRoot, MatchesTheRfcDefinitionForEverySizeUpTo40) {
  for (size_t n = 0; n <= 40; ++n) {
    const std::vector<Hash> hashes = leaves(n);
    EXPECT_EQ(merkle_root(hashes), reference_root(hashes)) << n;
  }
}

TEST(MerkleRoot, OrderAndDuplicationMatter) {
  std::vector<Hash> swapped = leaves(3);
  std::swap(swapped[0], swapped[1]);
  EXPECT_NE(merkle_root(swapped), merkle_root(leaves(3)));
  std::vector<Hash> duplicated = leaves(3);
  duplicated.push_back(duplicated.back());  // no Bitcoin-style duplicate-last ambiguity
  EXPECT_NE(merkle_root(duplicated), merkle_root(leaves(3)));
}

CommitCertificate sample_certificate() {
  CommitCertificate certificate;
  certificate.view = 7;
  for (uint32_t validator : {0u, 2u, 3u}) {
    CommitSignature entry;
    entry.validator = validator;
    entry.signature.fill(static_cast<uint8_t>(0x10 + validator));
    certificate.signatures.push_back(entry);
  }
  return certificate;
}

std::string certificate_error(const Bytes& bytes, uint32_t validators_max) {
  auto certificate = decode_certificate(bytes, validators_max);
  return certificate ? std::string("(accepted)") : certificate.message();
}

TEST(CertificateEncoding, RoundTripAndLayout) {
  const Bytes bytes = encode_certificate(sample_certificate());
  ASSERT_EQ(bytes.size(), 8u + 4u + 3u * 68u);
  EXPECT_EQ(hex_encode(ByteSpan(bytes.data(), 16)), "00000000000000070000000300000000");
  auto decoded = decode_certificate(bytes, 4);
  ASSERT_TRUE(decoded.is_ok()) << decoded.message();
  EXPECT_EQ(decoded->view, 7u);
  ASSERT_EQ(decoded->signatures.size(), 3u);
  EXPECT_EQ(decoded->signatures[2].validator, 3u);
  EXPECT_EQ(decoded->signatures[2].signature, sample_certificate().signatures[2].signature);
  EXPECT_EQ(encode_certificate(*decoded), bytes);
  auto empty = decode_certificate(encode_certificate(CommitCertificate{}), 4);
  ASSERT_TRUE(empty.is_ok()) << empty.message();
  EXPECT_TRUE(empty->signatures.empty());
}

TEST(CertificateEncoding, RejectsMalformedCertificates) {
  const Bytes good = encode_certificate(sample_certificate());
  for (size_t length = 0; length < good.size(); ++length) {
    EXPECT_FALSE(decode_certificate(ByteSpan(good.data(), length), 4).is_ok()) << length;
  }
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(certificate_error(trailing, 4), "1 trailing bytes after offset 216");
  EXPECT_EQ(certificate_error(good, 3),
            "certificate validator index 3 is out of range (3 validators)");
  EXPECT_EQ(certificate_error(good, 2),
            "certificate signature count: count 3 exceeds the maximum 2");

  Bytes repeated = good;
  repeated[12 + 68 + 3] = 0;  // second entry's validator 2 -> 0
  EXPECT_EQ(certificate_error(repeated, 4),
            "certificate validator indexes are not strictly increasing");
  Bytes decreasing = good;
  decreasing[12 + 3] = 3;  // first entry's validator 0 -> 3, followed by 2
  EXPECT_EQ(certificate_error(decreasing, 4),
            "certificate validator indexes are not strictly increasing");
}

TEST(CertificateEncoding, HugeCountIsRefusedBeforeAllocating) {
  // 16 bytes: view, count = 2^32-1, and four bytes of "signatures".
  const Bytes sixteen = *hex_decode("0000000000000001ffffffff00000000");
  EXPECT_EQ(certificate_error(sixteen, UINT32_MAX),
            "certificate signature count: count 4294967295 exceeds the maximum 65536");
  const Bytes thousand = *hex_decode("0000000000000001000003e800000000");
  EXPECT_EQ(certificate_error(thousand, 4096),
            "certificate signature count: count 1000 cannot fit in the remaining 4 bytes");
}

}  // namespace
}  // namespace phalanx::ledger
