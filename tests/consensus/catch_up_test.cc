// The catch-up payloads without a replica: STATUS bytes, CATCH-UP-RESPONSE bytes and their
// envelope bounds, and the commit-certificate check (quorum, distinct signers, signature,
// digest, height).
#include "consensus/catch_up.h"

#include <gtest/gtest.h>

#include "consensus/codec.h"
#include "tests/consensus/cluster.h"

namespace phalanx::consensus::testing {
namespace {

// A committed block of the toy chain and its honest certificate from replicas 0..2.
struct Certified {
  ledger::Block block;
  Hash hash{};
  ledger::CommitCertificate certificate;
};

Certified certified(const Cluster& cluster, uint64_t view = 0) {
  Certified out;
  out.block = cluster.next_block(1, cluster.genesis_hash(), {});
  out.hash = ledger::block_hash(out.block.header);
  out.certificate.view = view;
  for (uint32_t i = 0; i < 3; ++i) {
    Message commit = cluster.sign_vote(i, MessageKind::kCommit, view, 1, out.hash);
    out.certificate.signatures.push_back({i, commit.signature});
  }
  return out;
}

Status verify(const Cluster& cluster, const Certified& item) {
  Ed25519Verifier verifier(cluster.config_for(0).validators, kChainId);
  return verify_commit_certificate(cluster.config_for(0), verifier, item.block.header.height,
                                   item.hash, item.certificate);
}

TEST(CommitCertificate, AQuorumOfValidCommitsVerifies) {
  Cluster cluster;
  EXPECT_TRUE(verify(cluster, certified(cluster)).is_ok());
  EXPECT_TRUE(verify(cluster, certified(cluster, 7)).is_ok());
}

TEST(CommitCertificate, ForgeriesAreRefused) {
  Cluster cluster;
  const Certified good = certified(cluster);

  Certified too_few = good;
  too_few.certificate.signatures.pop_back();
  EXPECT_NE(verify(cluster, too_few).message().find("fewer than the quorum"), std::string::npos);

  Certified twice = good;
  twice.certificate.signatures[2] = twice.certificate.signatures[1];
  EXPECT_NE(verify(cluster, twice).message().find("twice"), std::string::npos);

  Certified wrong_signer = good;  // replica 1's signature under replica 3's name
  wrong_signer.certificate.signatures[1].validator = 3;
  EXPECT_NE(verify(cluster, wrong_signer).message().find("bad signature from validator 3"),
            std::string::npos);

  Certified outsider = good;
  outsider.certificate.signatures[0].validator = 4;
  EXPECT_NE(verify(cluster, outsider).message().find("non-validator"), std::string::npos);

  Certified wrong_digest = good;
  wrong_digest.hash[0] ^= 1;
  EXPECT_FALSE(verify(cluster, wrong_digest).is_ok());

  Certified wrong_view = good;
  wrong_view.certificate.view = 1;
  EXPECT_FALSE(verify(cluster, wrong_view).is_ok());

  // PREPAREs over the same body are not COMMITs (domain separation).
  Certified prepares = good;
  for (auto& signature : prepares.certificate.signatures) {
    signature.signature =
        cluster.sign_vote(signature.validator, MessageKind::kPrepare, 0, 1, good.hash).signature;
  }
  EXPECT_FALSE(verify(cluster, prepares).is_ok());
}

TEST(CatchUpResponse, RoundTripsThroughTheEnvelope) {
  Cluster cluster;
  const Certified item = certified(cluster, 2);
  const Message message = make_catch_up_response(1, item.block, item.certificate);
  EXPECT_EQ(message.kind, MessageKind::kCatchUpResponse);
  EXPECT_EQ(message.height, 1u);
  EXPECT_EQ(message.view, 2u);
  EXPECT_EQ(message.digest, item.hash);
  auto wire = decode_message(encode_message(message), ledger::BlockLimits{});
  ASSERT_TRUE(wire.is_ok()) << wire.message();
  auto decoded = decode_catch_up_response(*wire, cluster.config_for(0));
  ASSERT_TRUE(decoded.is_ok()) << decoded.message();
  EXPECT_EQ(decoded->hash, item.hash);
  EXPECT_EQ(decoded->certificate.view, 2u);
  EXPECT_EQ(decoded->certificate.signatures.size(), 3u);
}

TEST(CatchUpResponse, DecodingIsStrict) {
  Cluster cluster;
  const Config config = cluster.config_for(0);
  const Certified item = certified(cluster);
  const Message good = make_catch_up_response(1, item.block, item.certificate);

  Message other_height = good;
  other_height.height = 2;
  EXPECT_FALSE(decode_catch_up_response(other_height, config).is_ok());
  Message other_digest = good;
  other_digest.digest[0] ^= 1;
  EXPECT_FALSE(decode_catch_up_response(other_digest, config).is_ok());
  Message trailing = good;
  trailing.block.push_back(0);
  EXPECT_FALSE(decode_catch_up_response(trailing, config).is_ok());
  Message huge_block = good;  // claims a block above the limit before any allocation
  huge_block.block[0] = 0xff;
  auto refused = decode_catch_up_response(huge_block, config);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.message().find("exceeds the block limit"), std::string::npos);
  Message truncated = good;
  truncated.block.resize(10);
  EXPECT_FALSE(decode_catch_up_response(truncated, config).is_ok());
}

TEST(CatchUpResponse, OnlyACatchUpResponseMayExceedTheBlockBound) {
  ledger::BlockLimits limits;
  limits.bytes_max = 64;
  Message status;
  status.kind = MessageKind::kStatus;
  status.block.assign(65, 1);
  auto refused = decode_message(encode_message(status), limits);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.message().find("exceeds the block limit"), std::string::npos);
  Message response;
  response.kind = MessageKind::kCatchUpResponse;
  response.block.assign(65 + certificate_bytes_max(4), 1);
  EXPECT_TRUE(decode_message(encode_message(response), limits).is_ok());
  response.block.assign(catch_up_payload_bytes_max(limits) + 1, 1);
  EXPECT_FALSE(decode_message(encode_message(response), limits).is_ok());
  EXPECT_EQ(message_bytes_max(limits), kEnvelopeFixedBytesMax + catch_up_payload_bytes_max(limits));
}

TEST(CatchUpRequest, CarriesNoPayload) {
  Message request;
  request.kind = MessageKind::kCatchUpRequest;
  request.height = 5;
  EXPECT_TRUE(decode_message(encode_message(request), ledger::BlockLimits{}).is_ok());
  request.block = {1};
  EXPECT_FALSE(decode_message(encode_message(request), ledger::BlockLimits{}).is_ok());
  Message fetch;
  fetch.kind = MessageKind::kNewViewRequest;
  fetch.view = 3;
  EXPECT_TRUE(decode_message(encode_message(fetch), ledger::BlockLimits{}).is_ok());
}

TEST(StatusPayload, RoundTripsAndIsStrict) {
  Cluster cluster;
  const Config config = cluster.config_for(0);
  StatusReport status;
  status.view = 3;
  status.view_changing = true;
  status.height = 9;
  status.block_hash = cluster.genesis_hash();
  status.stable.height = 8;
  status.stable.signatures = {{0, {}}, {2, {}}, {3, {}}};
  const Bytes bytes = encode_status(status);
  EXPECT_LE(bytes.size(), status_bytes_max(config));
  auto decoded = decode_status(bytes, config);
  ASSERT_TRUE(decoded.is_ok()) << decoded.message();
  EXPECT_EQ(decoded->view, 3u);
  EXPECT_TRUE(decoded->view_changing);
  EXPECT_EQ(decoded->height, 9u);
  EXPECT_EQ(decoded->stable.height, 8u);
  EXPECT_EQ(decoded->stable.signatures.size(), 3u);

  Bytes flag = bytes;
  flag[8] = 2;
  EXPECT_FALSE(decode_status(flag, config).is_ok());
  Bytes trailing = bytes;
  trailing.push_back(0);
  EXPECT_FALSE(decode_status(trailing, config).is_ok());
  StatusReport above = status;
  above.stable.height = 12;  // a stable checkpoint above the claimed height
  EXPECT_FALSE(decode_status(encode_status(above), config).is_ok());
  StatusReport unordered = status;
  unordered.stable.signatures = {{2, {}}, {0, {}}, {3, {}}};
  EXPECT_FALSE(decode_status(encode_status(unordered), config).is_ok());
}

}  // namespace
}  // namespace phalanx::consensus::testing
