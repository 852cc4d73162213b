#include "consensus/catch_up.h"

#include <set>
#include <string>
#include <utility>

#include "consensus/codec.h"
#include "consensus/quorum.h"
#include "consensus/view_change.h"

namespace phalanx::consensus {

namespace {

constexpr size_t kStatusFixedBytes = 8 + 1 + 8 + 32;
constexpr size_t kCertificateFixedBytes = 8 + 4;
constexpr size_t kCertificateEntryBytes = 4 + 64;

}  // namespace

size_t certificate_bytes_max(uint32_t validators) {
  return kCertificateFixedBytes + static_cast<size_t>(validators) * kCertificateEntryBytes;
}

size_t catch_up_payload_bytes_max(const ledger::BlockLimits& limits) {
  return 4 + static_cast<size_t>(limits.bytes_max) +
         certificate_bytes_max(kCertificateValidatorsMax);
}

size_t status_bytes_max(const Config& config) {
  return kStatusFixedBytes + checkpoint_bytes_max(config.n());
}

Bytes encode_status(const StatusReport& status) {
  Writer writer;
  writer.u64(status.view);
  writer.u8(status.view_changing ? 1 : 0);
  writer.u64(status.height);
  writer.fixed(status.block_hash);
  write_checkpoint(writer, status.stable);
  return writer.take();
}

Result<StatusReport> decode_status(ByteSpan bytes, const Config& config) {
  if (bytes.size() > status_bytes_max(config)) {
    return Status::error("status of " + std::to_string(bytes.size()) + " bytes exceeds " +
                         std::to_string(status_bytes_max(config)));
  }
  Reader reader(bytes);
  StatusReport status;
  uint8_t changing = 0;
  PHALANX_RETURN_IF_ERROR(reader.u64(&status.view));
  PHALANX_RETURN_IF_ERROR(reader.u8(&changing));
  if (changing > 1) return Status::error("status view-changing flag is not 0 or 1");
  status.view_changing = changing == 1;
  PHALANX_RETURN_IF_ERROR(reader.u64(&status.height));
  PHALANX_RETURN_IF_ERROR(reader.fixed(&status.block_hash));
  PHALANX_RETURN_IF_ERROR(read_checkpoint(reader, config.n(), &status.stable));
  PHALANX_RETURN_IF_ERROR(reader.finish());
  if (status.stable.height > status.height) {
    return Status::error("status claims a stable checkpoint above its committed height");
  }
  return status;
}

Message make_catch_up_response(uint32_t from, const ledger::Block& block,
                               const ledger::CommitCertificate& certificate) {
  const Bytes block_bytes = ledger::encode_block(block);
  const Bytes certificate_bytes = ledger::encode_certificate(certificate);
  Writer writer;
  writer.u32(static_cast<uint32_t>(block_bytes.size()));
  writer.bytes(block_bytes);
  writer.bytes(certificate_bytes);
  Message message;
  message.kind = MessageKind::kCatchUpResponse;
  message.from = from;
  message.view = certificate.view;
  message.height = block.header.height;
  message.digest = ledger::block_hash(block.header);
  message.block = writer.take();
  return message;
}

Result<CatchUpBlock> decode_catch_up_response(const Message& message, const Config& config) {
  PHALANX_ASSERT(message.kind == MessageKind::kCatchUpResponse);
  Reader reader(message.block);
  uint32_t block_length = 0;
  PHALANX_RETURN_IF_ERROR(reader.u32(&block_length));
  if (block_length > config.block_limits.bytes_max) {
    return Status::error("catch-up block of " + std::to_string(block_length) +
                         " bytes exceeds the block limit");
  }
  ByteSpan block_bytes;
  PHALANX_RETURN_IF_ERROR(reader.span(block_length, &block_bytes));
  auto block = ledger::decode_block(block_bytes, config.block_limits);
  if (!block) return Status::error("catch-up block: " + block.message());
  ByteSpan rest;
  PHALANX_RETURN_IF_ERROR(reader.span(reader.remaining(), &rest));
  auto certificate = ledger::decode_certificate(rest, config.n());
  if (!certificate) return Status::error("catch-up certificate: " + certificate.message());
  CatchUpBlock out{std::move(block).value(), Hash{}, std::move(certificate).value()};
  out.hash = ledger::block_hash(out.block.header);
  if (out.block.header.height != message.height || out.hash != message.digest ||
      out.certificate.view != message.view) {
    return Status::error("catch-up response envelope does not match its block");
  }
  if (out.block.header.chain_id != config.chain_id) {
    return Status::error("catch-up block is from another chain");
  }
  return out;
}

Status verify_commit_certificate(const Config& config, Verifier& verifier, uint64_t height,
                                 const Hash& hash, const ledger::CommitCertificate& certificate) {
  std::set<uint32_t> signers;
  const Bytes body = vote_body(certificate.view, height, hash);
  for (const ledger::CommitSignature& signature : certificate.signatures) {
    if (signature.validator >= config.n()) {
      return Status::error("commit certificate names a non-validator");
    }
    if (!signers.insert(signature.validator).second) {
      return Status::error("commit certificate names a validator twice");
    }
    if (!verifier.verify(signature.validator, crypto::Domain::kCommit, body, signature.signature)) {
      return Status::error("commit certificate has a bad signature from validator " +
                           std::to_string(signature.validator));
    }
  }
  if (signers.size() < quorum_size(config)) {
    return Status::error("commit certificate has " + std::to_string(signers.size()) +
                         " signatures, fewer than the quorum of " +
                         std::to_string(quorum_size(config)));
  }
  return Status::ok();
}

}  // namespace phalanx::consensus
