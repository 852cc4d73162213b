// Signed bodies (with the test vector docs/consensus.md quotes), the message envelope and
// the persisted record encodings.
#include "consensus/codec.h"

#include <gtest/gtest.h>

#include <cstring>

#include "consensus/records.h"
#include "crypto/cereal_bounded.h"
#include "crypto/hash.h"
#include "tests/testutil/keys.h"

namespace phalanx::consensus {
namespace {

using testutil::filled;

crypto::SecretKey vector_key() {
  crypto::Seed seed{};
  seed.fill(0x01);
  return crypto::SecretKey::from_seed(seed);
}

// docs/consensus.md, "Signed bytes": PREPARE(view 7, height 42, digest 0x11..) on chain
// "phalanx-test", signed with the key whose seed is 32 bytes of 0x01.
TEST(SignedBytes, PrepareTestVector) {
  const Bytes body = vote_body(7, 42, filled(0x11));
  EXPECT_EQ(hex_encode(body),
            "0000000000000007"
            "000000000000002a"
            "1111111111111111111111111111111111111111111111111111111111111111");
  const Bytes message = crypto::signing_message(crypto::Domain::kPrepare, "phalanx-test", body);
  EXPECT_EQ(hex_encode(message),
            "12"
            "7068616c616e782f707265706172652f7631"  // "phalanx/prepare/v1"
            "0c"
            "7068616c616e782d74657374"  // "phalanx-test"
            "0000000000000007000000000000002a"
            "1111111111111111111111111111111111111111111111111111111111111111");
  const crypto::SecretKey key = vector_key();
  EXPECT_EQ(hex_encode(key.public_key()),
            "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c");
  const Signature signature =
      crypto::sign_domain(key, crypto::Domain::kPrepare, "phalanx-test", body);
  EXPECT_EQ(hex_encode(signature),
            "4a3634b77302c3ec66e96002adcbc1c5f7e157548079291fb8f59dcd882793d2"
            "51928e9dc2dabab742963a1273b7fce34bb9ae994ee0dd61eb38f85e0d213d06");
  EXPECT_TRUE(crypto::verify_domain(key.public_key(), crypto::Domain::kPrepare, "phalanx-test",
                                    body, signature));
  // The same body under another kind or chain does not verify.
  EXPECT_FALSE(crypto::verify_domain(key.public_key(), crypto::Domain::kCommit, "phalanx-test",
                                     body, signature));
  EXPECT_FALSE(crypto::verify_domain(key.public_key(), crypto::Domain::kPrepare, "phalanx-main",
                                     body, signature));
}

TEST(SignedBytes, CheckpointBody) {
  const Bytes body = checkpoint_body(16, filled(0x22), filled(0x33));
  ASSERT_EQ(body.size(), kCheckpointBodyBytes);
  EXPECT_EQ(hex_encode(body),
            "0000000000000010"
            "2222222222222222222222222222222222222222222222222222222222222222"
            "3333333333333333333333333333333333333333333333333333333333333333");
  Message message;
  message.kind = MessageKind::kCheckpoint;
  message.height = 16;
  message.digest = filled(0x22);
  message.state_root = filled(0x33);
  EXPECT_EQ(signed_body(message), body);
  EXPECT_EQ(domain_of(MessageKind::kCheckpoint), crypto::Domain::kCheckpoint);
  EXPECT_EQ(domain_of(MessageKind::kPrePrepare), crypto::Domain::kPrePrepare);
}

Message sample(MessageKind kind) {
  Message message;
  message.kind = kind;
  message.from = 3;
  message.view = kind == MessageKind::kCheckpoint ? 0 : 5;
  message.height = 99;
  message.digest = filled(0xaa);
  if (kind == MessageKind::kCheckpoint) message.state_root = filled(0xbb);
  if (kind == MessageKind::kPrePrepare) message.block = Bytes{1, 2, 3, 4, 5};
  message.signature.fill(0xcc);
  return message;
}

void expect_same(const Message& a, const Message& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.from, b.from);
  EXPECT_EQ(a.view, b.view);
  EXPECT_EQ(a.height, b.height);
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.state_root, b.state_root);
  EXPECT_EQ(a.block, b.block);
  EXPECT_EQ(a.signature, b.signature);
}

TEST(Envelope, RoundTripsEveryKind) {
  const ledger::BlockLimits limits;
  for (auto kind : {MessageKind::kPrePrepare, MessageKind::kPrepare, MessageKind::kCommit,
                    MessageKind::kCheckpoint}) {
    const Message message = sample(kind);
    auto decoded = decode_message(encode_message(message), limits);
    ASSERT_TRUE(decoded.is_ok()) << decoded.message();
    expect_same(message, *decoded);
  }
}

void expect_rejected(const Bytes& bytes, const std::string& fragment,
                     const ledger::BlockLimits& limits = {}) {
  auto decoded = decode_message(bytes, limits);
  ASSERT_FALSE(decoded.is_ok());
  EXPECT_NE(decoded.message().find(fragment), std::string::npos) << decoded.message();
}

TEST(Envelope, RejectsMalformedInput) {
  const Bytes good = encode_message(sample(MessageKind::kPrepare));
  Bytes trailing = good;
  trailing.push_back(0);
  expect_rejected(trailing, "trailing");
  expect_rejected(Bytes(good.begin(), good.end() - 1), "truncated");
  expect_rejected({}, "truncated");
  Bytes version = good;
  version[0] = 2;
  expect_rejected(version, "unknown version");
  Bytes kind = good;
  kind[1] = static_cast<uint8_t>(MessageKind::kNewViewRequest) + 1;
  expect_rejected(kind, "unknown kind");
}

TEST(Envelope, RejectsFieldsThatDoNotBelongToTheKind) {
  Message prepare = sample(MessageKind::kPrepare);
  prepare.block = {1};
  expect_rejected(encode_message(prepare), "carries a block");
  Message pre_prepare = sample(MessageKind::kPrePrepare);
  pre_prepare.block.clear();
  expect_rejected(encode_message(pre_prepare), "without a block");
  Message commit = sample(MessageKind::kCommit);
  commit.state_root = filled(1);
  expect_rejected(encode_message(commit), "state root");
  Message checkpoint = sample(MessageKind::kCheckpoint);
  checkpoint.view = 1;
  expect_rejected(encode_message(checkpoint), "carries a view");
}

TEST(Envelope, BoundsTheBlockBeforeAllocating) {
  ledger::BlockLimits limits;
  limits.bytes_max = 64;
  Message big = sample(MessageKind::kPrePrepare);
  big.block.assign(65, 7);
  expect_rejected(encode_message(big), "exceeds", limits);
  big.block.assign(64, 7);
  EXPECT_TRUE(decode_message(encode_message(big), limits).is_ok());
  // A 200-byte message that claims a 2^40-byte block fails on the bound, not on allocation.
  Message claim = sample(MessageKind::kPrePrepare);
  Bytes bytes = encode_message(claim);
  const size_t length_offset = bytes.size() - claim.block.size() - 8;
  const uint64_t huge = uint64_t{1} << 40;
  std::memcpy(bytes.data() + length_offset, &huge, sizeof(huge));
  expect_rejected(bytes, "exceeds its bound");
  expect_rejected(Bytes(message_bytes_max(limits) + 1, 0), "exceeds the maximum", limits);
}

TEST(RecordKeys, SortByHeightAndParseBack) {
  EXPECT_EQ(vote_key(MessageKind::kPrepare, 42, 7),
            "vote/prepare/00000000000000000042/00000000000000000007");
  EXPECT_EQ(accept_key(1, 0), "accept/00000000000000000001/00000000000000000000");
  EXPECT_LT(prepared_key(9, 0), prepared_key(10, 0));
  for (auto kind : {MessageKind::kPrePrepare, MessageKind::kPrepare, MessageKind::kCommit,
                    MessageKind::kCheckpoint}) {
    auto parsed = parse_record_key(vote_key(kind, 123, 4));
    ASSERT_TRUE(parsed.is_ok()) << parsed.message();
    EXPECT_EQ(parsed->type, RecordKey::Type::kVote);
    EXPECT_EQ(parsed->kind, kind);
    EXPECT_EQ(parsed->height, 123u);
    EXPECT_EQ(parsed->view, 4u);
  }
  EXPECT_EQ(parse_record_key("prepared/00000000000000000005/00000000000000000001")->type,
            RecordKey::Type::kPrepared);
  EXPECT_EQ(parse_record_key("view")->type, RecordKey::Type::kView);
  EXPECT_EQ(parse_record_key("checkpoint")->type, RecordKey::Type::kCheckpointProof);
  for (const char* bad :
       {"", "votes", "vote/prepare/1/2", "vote/other/00000000000000000001/00000000000000000000",
        "accept/0000000000000000000x/00000000000000000000",
        "accept/99999999999999999999/00000000000000000000",
        "accept/00000000000000000001-00000000000000000000"}) {
    EXPECT_FALSE(parse_record_key(bad).is_ok()) << bad;
  }
}

TEST(Records, VoteRecordRoundTripAndLength) {
  VoteRecord record{vote_body(1, 2, filled(3)), {}};
  record.signature.fill(4);
  auto decoded = decode_vote_record(MessageKind::kCommit, encode_vote_record(record));
  ASSERT_TRUE(decoded.is_ok());
  EXPECT_EQ(decoded->body, record.body);
  EXPECT_EQ(decoded->signature, record.signature);
  // A vote body is not a checkpoint body.
  EXPECT_FALSE(decode_vote_record(MessageKind::kCheckpoint, encode_vote_record(record)).is_ok());
}

TEST(Records, PreparedCertificateAndCheckpointProofRoundTrip) {
  PreparedCertificate certificate{sample(MessageKind::kPrePrepare), {{1, {}}, {2, {}}}};
  certificate.prepares[0].signature.fill(9);
  auto prepared = decode_prepared(encode_prepared(certificate), ledger::BlockLimits{}, 4);
  ASSERT_TRUE(prepared.is_ok()) << prepared.message();
  expect_same(prepared->pre_prepare, certificate.pre_prepare);
  ASSERT_EQ(prepared->prepares.size(), 2u);
  EXPECT_EQ(prepared->prepares[0].signature, certificate.prepares[0].signature);

  CheckpointProof proof{32, filled(1), filled(2), {{0, {}}, {2, {}}, {3, {}}}};
  auto decoded = decode_checkpoint_proof(encode_checkpoint_proof(proof), 4);
  ASSERT_TRUE(decoded.is_ok()) << decoded.message();
  EXPECT_EQ(decoded->height, 32u);
  EXPECT_EQ(decoded->state_root, filled(2));
  EXPECT_EQ(decoded->signatures.size(), 3u);
  // Four validators cannot have five signatures, unsorted or unknown validators are refused.
  EXPECT_FALSE(decode_checkpoint_proof(encode_checkpoint_proof(proof), 2).is_ok());
  proof.signatures = {{2, {}}, {1, {}}};
  EXPECT_FALSE(decode_checkpoint_proof(encode_checkpoint_proof(proof), 4).is_ok());
  proof.signatures = {{7, {}}};
  EXPECT_FALSE(decode_checkpoint_proof(encode_checkpoint_proof(proof), 4).is_ok());
  EXPECT_EQ(*decode_view(encode_view(12)), 12u);
  EXPECT_FALSE(decode_view(Bytes{1, 2}).is_ok());
}

}  // namespace
}  // namespace phalanx::consensus
