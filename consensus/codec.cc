#include "consensus/codec.h"

#include <string>

#include "consensus/catch_up.h"
#include "crypto/cereal_bounded.h"

namespace phalanx::consensus {

namespace {

// The envelope as cereal sees it; kept separate from Message so the wire layout is spelled
// out in one place.
struct Envelope {
  uint8_t version = kEnvelopeVersion;
  uint8_t kind = 0;
  uint32_t from = 0;
  uint64_t view = 0;
  uint64_t height = 0;
  Hash digest{};
  Hash state_root{};
  Signature signature{};
  Bytes block;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(version, kind, from, view, height, digest, state_root, signature, block);
  }
};

bool is_zero(const Hash& hash) {
  for (uint8_t byte : hash) {
    if (byte != 0) return false;
  }
  return true;
}

Status check_shape(const Envelope& envelope, const ledger::BlockLimits& limits) {
  const auto kind = static_cast<MessageKind>(envelope.kind);
  const std::string name(kind_name(kind));
  const bool has_payload = kind == MessageKind::kPrePrepare || kind == MessageKind::kViewChange ||
                           kind == MessageKind::kNewView || kind == MessageKind::kBlockResponse ||
                           kind == MessageKind::kStatus || kind == MessageKind::kCatchUpResponse;
  if (has_payload == envelope.block.empty()) {
    if (!has_payload) return Status::error(name + " message carries a block");
    return Status::error(kind == MessageKind::kPrePrepare ? "pre-prepare without a block"
                                                          : name + " message without its payload");
  }
  // Only a catch-up response carries a certificate beside its block.
  if (kind != MessageKind::kCatchUpResponse && envelope.block.size() > limits.bytes_max) {
    return Status::error(name + " payload of " + std::to_string(envelope.block.size()) +
                         " bytes exceeds the block limit of " + std::to_string(limits.bytes_max));
  }
  if (kind != MessageKind::kCheckpoint && !is_zero(envelope.state_root)) {
    return Status::error(name + " message carries a state root");
  }
  if (kind == MessageKind::kCheckpoint && envelope.view != 0) {
    return Status::error("checkpoint message carries a view");
  }
  return Status::ok();
}

}  // namespace

crypto::Domain domain_of(MessageKind kind) {
  switch (kind) {
    case MessageKind::kPrePrepare:
      return crypto::Domain::kPrePrepare;
    case MessageKind::kPrepare:
      return crypto::Domain::kPrepare;
    case MessageKind::kCommit:
      return crypto::Domain::kCommit;
    case MessageKind::kCheckpoint:
      return crypto::Domain::kCheckpoint;
    case MessageKind::kViewChange:
      return crypto::Domain::kViewChange;
    case MessageKind::kNewView:
      return crypto::Domain::kNewView;
    case MessageKind::kStatus:
      return crypto::Domain::kStatus;
    case MessageKind::kBlockRequest:
    case MessageKind::kBlockResponse:
    case MessageKind::kCatchUpRequest:
    case MessageKind::kCatchUpResponse:
    case MessageKind::kNewViewRequest:
      break;
  }
  PHALANX_ASSERT_MSG(false, "message kind without a signature domain");
}

std::string_view kind_name(MessageKind kind) {
  switch (kind) {
    case MessageKind::kPrePrepare:
      return "pre-prepare";
    case MessageKind::kPrepare:
      return "prepare";
    case MessageKind::kCommit:
      return "commit";
    case MessageKind::kCheckpoint:
      return "checkpoint";
    case MessageKind::kViewChange:
      return "view-change";
    case MessageKind::kNewView:
      return "new-view";
    case MessageKind::kBlockRequest:
      return "block-request";
    case MessageKind::kBlockResponse:
      return "block-response";
    case MessageKind::kStatus:
      return "status";
    case MessageKind::kCatchUpRequest:
      return "catch-up-request";
    case MessageKind::kCatchUpResponse:
      return "catch-up-response";
    case MessageKind::kNewViewRequest:
      return "new-view-request";
  }
  return "unknown";
}

bool is_known_kind(uint8_t raw_kind) {
  return raw_kind >= static_cast<uint8_t>(MessageKind::kPrePrepare) &&
         raw_kind <= static_cast<uint8_t>(MessageKind::kNewViewRequest);
}

Bytes vote_body(uint64_t view, uint64_t height, const Hash& digest) {
  Writer writer;
  writer.u64(view);
  writer.u64(height);
  writer.fixed(digest);
  return writer.take();
}

Bytes checkpoint_body(uint64_t height, const Hash& block_hash, const Hash& state_root) {
  Writer writer;
  writer.u64(height);
  writer.fixed(block_hash);
  writer.fixed(state_root);
  return writer.take();
}

Bytes signed_body(const Message& message) {
  if (message.kind == MessageKind::kViewChange || message.kind == MessageKind::kNewView ||
      message.kind == MessageKind::kStatus) {
    return message.block;
  }
  if (message.kind == MessageKind::kCheckpoint) {
    return checkpoint_body(message.height, message.digest, message.state_root);
  }
  return vote_body(message.view, message.height, message.digest);
}

size_t message_bytes_max(const ledger::BlockLimits& limits) {
  return kEnvelopeFixedBytesMax + catch_up_payload_bytes_max(limits);
}

Bytes encode_message(const Message& message) {
  Envelope envelope;
  envelope.kind = static_cast<uint8_t>(message.kind);
  envelope.from = message.from;
  envelope.view = message.view;
  envelope.height = message.height;
  envelope.digest = message.digest;
  envelope.state_root = message.state_root;
  envelope.signature = message.signature;
  envelope.block = message.block;
  return cereal_encode(envelope);
}

Result<Message> decode_message(ByteSpan bytes, const ledger::BlockLimits& limits) {
  if (bytes.size() > message_bytes_max(limits)) {
    return Status::error("consensus message of " + std::to_string(bytes.size()) +
                         " bytes exceeds the maximum of " +
                         std::to_string(message_bytes_max(limits)));
  }
  Envelope envelope;
  // The only container is the payload; check_shape then holds every kind but a catch-up
  // response to the block bound.
  Status decoded = cereal_decode(bytes, catch_up_payload_bytes_max(limits), &envelope);
  if (!decoded) return Status::error("consensus message: " + decoded.message());
  if (envelope.version != kEnvelopeVersion) {
    return Status::error("consensus message has unknown version " +
                         std::to_string(envelope.version));
  }
  if (!is_known_kind(envelope.kind)) {
    return Status::error("consensus message has unknown kind " + std::to_string(envelope.kind));
  }
  PHALANX_RETURN_IF_ERROR(check_shape(envelope, limits));
  Message message;
  message.kind = static_cast<MessageKind>(envelope.kind);
  message.from = envelope.from;
  message.view = envelope.view;
  message.height = envelope.height;
  message.digest = envelope.digest;
  message.state_root = envelope.state_root;
  message.signature = envelope.signature;
  message.block = std::move(envelope.block);
  return message;
}

}  // namespace phalanx::consensus
