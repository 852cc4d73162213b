// Transaction encoding: the documented vector, signature coverage of every field and byte,
// and strict decoding (truncation, trailing bytes, oversize, garbage, out-of-range values).
#include <gtest/gtest.h>

#include <random>

#include "crypto/domain.h"
#include "encoding_fixtures.h"
#include "ledger/transaction.h"

namespace phalanx::ledger {
namespace {

using testing::vector_transfer;
using namespace testing::vectors;

constexpr size_t kSignatureOffset = 154 - 64;

std::string decode_error(const Bytes& bytes) {
  auto tx = decode_transaction(bytes);
  return tx ? std::string("(accepted)") : tx.message();
}

// Hand-lays a transaction so tests can write values make_transfer refuses.
Bytes raw_transaction(uint8_t version, std::string_view chain_id, uint64_t amount, uint64_t fee) {
  Writer writer;
  writer.u8(version);
  writer.short_string(chain_id);
  writer.fixed(PublicKey{});
  writer.fixed(Address{}.bytes);
  writer.u64(amount);
  writer.u64(fee);
  writer.u64(0);
  writer.fixed(Signature{});
  return writer.take();
}

TEST(TransactionEncoding, DocumentedVector) {
  const SignedTransaction tx = vector_transfer();
  EXPECT_EQ(hex_encode(tx.tx.sender), kSenderPublicKey);
  EXPECT_EQ(crypto::format_address(sender_address(tx.tx)), kSenderAddress);
  EXPECT_EQ(crypto::format_address(tx.tx.recipient), kRecipientAddress);
  EXPECT_EQ(hex_encode(transaction_signing_message(tx.tx)), kSigningMessage);
  EXPECT_EQ(hex_encode(tx.bytes), kTransaction);
  EXPECT_EQ(hex_encode(tx.hash), kTransactionHash);
  EXPECT_EQ(tx.bytes.size(), 154u);
  EXPECT_TRUE(verify_transaction_signature(tx.tx));
}

TEST(TransactionEncoding, DecodeRoundTrip) {
  const Bytes bytes = *hex_decode(kTransaction);
  auto parsed = parse_signed_transaction(bytes);
  ASSERT_TRUE(parsed.is_ok()) << parsed.message();
  const Transaction& tx = parsed->tx;
  EXPECT_EQ(tx.chain_id, "phalanx-test");
  EXPECT_EQ(tx.amount, 1000u);
  EXPECT_EQ(tx.fee, 10u);
  EXPECT_EQ(tx.nonce, 7u);
  EXPECT_EQ(hex_encode(parsed->hash), kTransactionHash);
  EXPECT_EQ(parsed->bytes, bytes);
  EXPECT_EQ(encode_transaction(tx), bytes);
  EXPECT_TRUE(verify_transaction_signature(tx));
}

TEST(TransactionEncoding, EveryTamperedFieldBreaksTheSignature) {
  const Transaction original = vector_transfer().tx;
  const std::vector<std::pair<std::string, std::function<void(Transaction&)>>> edits = {
      {"chain_id", [](Transaction& tx) { tx.chain_id = "phalanx-tesu"; }},
      {"sender", [](Transaction& tx) { tx.sender[0] ^= 1; }},
      {"recipient", [](Transaction& tx) { tx.recipient.bytes[19] ^= 1; }},
      {"amount", [](Transaction& tx) { tx.amount += 1; }},
      {"fee", [](Transaction& tx) { tx.fee += 1; }},
      {"nonce", [](Transaction& tx) { tx.nonce += 1; }},
      {"signature", [](Transaction& tx) { tx.signature[63] ^= 1; }},
  };
  for (const auto& [field, edit] : edits) {
    Transaction tx = original;
    edit(tx);
    EXPECT_FALSE(verify_transaction_signature(tx)) << field;
  }
}

TEST(TransactionEncoding, EveryFlippedBitIsRejectedOrUnsigned) {
  const SignedTransaction original = vector_transfer();
  for (size_t i = 0; i < original.bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes bytes = original.bytes;
      bytes[i] ^= static_cast<uint8_t>(1 << bit);
      auto parsed = parse_signed_transaction(bytes);
      if (!parsed) continue;  // refused by the decoder
      EXPECT_FALSE(verify_transaction_signature(parsed->tx)) << "byte " << i << " bit " << bit;
      EXPECT_NE(parsed->hash, original.hash);
    }
  }
}

TEST(TransactionEncoding, TruncatedTrailingAndOversizedInputsAreRejected) {
  const Bytes bytes = vector_transfer().bytes;
  for (size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_FALSE(decode_transaction(ByteSpan(bytes.data(), length)).is_ok()) << length;
  }
  EXPECT_EQ(decode_error(Bytes(bytes.begin(), bytes.begin() + kSignatureOffset)),
            "truncated input: need 64 bytes at offset 90, have 0");
  Bytes trailing = bytes;
  trailing.push_back(0);
  EXPECT_EQ(decode_error(trailing), "1 trailing bytes after offset 154");
  EXPECT_EQ(decode_error(Bytes(kTransactionBytesMax + 1, 0)),
            "transaction of 207 bytes exceeds the maximum 206");
}

TEST(TransactionEncoding, GarbageIsRejected) {
  std::mt19937 random(12345);  // mt19937's output sequence is fixed by the standard
  for (int i = 0; i < 2000; ++i) {
    Bytes bytes(random() % (kTransactionBytesMax + 1));
    for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(random());
    if (i % 2 == 0 && !bytes.empty()) bytes[0] = kTransactionVersion;
    EXPECT_FALSE(decode_transaction(bytes).is_ok()) << hex_encode(bytes);
  }
}

TEST(TransactionEncoding, FieldRangesAreEnforced) {
  EXPECT_TRUE(decode_transaction(raw_transaction(1, "c", kAmountMax, kAmountMax)).is_ok());
  EXPECT_TRUE(decode_transaction(raw_transaction(1, "c", 1, 0)).is_ok());
  EXPECT_EQ(decode_error(raw_transaction(2, "c", 1, 0)), "unsupported transaction version 2");
  EXPECT_EQ(decode_error(raw_transaction(1, "c", 0, 0)),
            "transaction amount 0 is outside 1..2^53-1");
  EXPECT_EQ(decode_error(raw_transaction(1, "c", kAmountMax + 1, 0)),
            "transaction amount 9007199254740992 is outside 1..2^53-1");
  EXPECT_EQ(decode_error(raw_transaction(1, "c", 1, kAmountMax + 1)),
            "transaction fee 9007199254740992 exceeds 2^53-1");
  EXPECT_EQ(decode_error(raw_transaction(1, "", 1, 0)), "transaction chain id is empty");
  EXPECT_EQ(decode_error(raw_transaction(1, "Chain", 1, 0)),
            "transaction chain id has an invalid character at position 0 (allowed: a-z 0-9 . _ -)");
  EXPECT_EQ(decode_error(raw_transaction(1, std::string(65, 'a'), 1, 0)),
            "transaction of 207 bytes exceeds the maximum 206");
  Bytes long_chain_id(2 + 65, 'a');  // version 1, chain_id_len 65, then 65 'a'
  long_chain_id[0] = 1;
  long_chain_id[1] = 65;
  EXPECT_EQ(decode_error(long_chain_id), "string of 65 bytes exceeds the maximum 64");
}

TEST(TransactionEncoding, LongestChainIdFillsTheMaximumSize) {
  const std::string chain_id(crypto::kChainIdBytesMax, 'z');
  const SignedTransaction tx =
      make_transfer(testing::vector_sender(), chain_id, testing::vector_recipient(), kAmountMax,
                    kAmountMax, UINT64_MAX);
  EXPECT_EQ(tx.bytes.size(), kTransactionBytesMax);
  auto parsed = parse_signed_transaction(tx.bytes);
  ASSERT_TRUE(parsed.is_ok()) << parsed.message();
  EXPECT_TRUE(verify_transaction_signature(parsed->tx));
  EXPECT_EQ(parsed->tx.nonce, UINT64_MAX);
}

}  // namespace
}  // namespace phalanx::ledger
