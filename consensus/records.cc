#include "consensus/records.h"

#include <cstdio>

#include "consensus/codec.h"
#include "crypto/cereal_bounded.h"

namespace phalanx::consensus {

namespace {

constexpr size_t kNumberDigits = 20;

std::string padded(uint64_t value) {
  char buffer[kNumberDigits + 1];
  std::snprintf(buffer, sizeof(buffer), "%020llu", static_cast<unsigned long long>(value));
  return std::string(buffer, kNumberDigits);
}

// Parses exactly 20 decimal digits.
Result<uint64_t> parse_padded(std::string_view text) {
  if (text.size() != kNumberDigits)
    return Status::error("expected 20 digits in '" + std::string(text) + "'");
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return Status::error("non-digit in '" + std::string(text) + "'");
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return Status::error("number overflows u64");
    value = value * 10 + digit;
  }
  return value;
}

// Splits "<height>/<view>" (two padded numbers).
Status parse_height_view(std::string_view text, RecordKey* key) {
  if (text.size() != 2 * kNumberDigits + 1 || text[kNumberDigits] != '/') {
    return Status::error("expected <height>/<view>, got '" + std::string(text) + "'");
  }
  auto height = parse_padded(text.substr(0, kNumberDigits));
  if (!height) return height.status();
  auto view = parse_padded(text.substr(kNumberDigits + 1));
  if (!view) return view.status();
  key->height = *height;
  key->view = *view;
  return Status::ok();
}

struct WireSignature {
  uint32_t validator = 0;
  Signature signature{};
  template <class Archive>
  void serialize(Archive& archive) {
    archive(validator, signature);
  }
};

std::vector<WireSignature> to_wire(const std::vector<ValidatorSignature>& signatures) {
  std::vector<WireSignature> wire;
  wire.reserve(signatures.size());
  for (const auto& s : signatures) wire.push_back({s.validator, s.signature});
  return wire;
}

Result<std::vector<ValidatorSignature>> from_wire(const std::vector<WireSignature>& wire,
                                                  uint32_t validators) {
  if (wire.size() > validators) {
    return Status::error(std::to_string(wire.size()) + " signatures for " +
                         std::to_string(validators) + " validators");
  }
  std::vector<ValidatorSignature> out;
  out.reserve(wire.size());
  for (size_t i = 0; i < wire.size(); ++i) {
    if (wire[i].validator >= validators) {
      return Status::error("signature from unknown validator " + std::to_string(wire[i].validator));
    }
    if (i > 0 && wire[i].validator <= wire[i - 1].validator) {
      return Status::error("signature validators are not strictly increasing");
    }
    out.push_back({wire[i].validator, wire[i].signature});
  }
  return out;
}

struct WirePrepared {
  Bytes pre_prepare;
  std::vector<WireSignature> prepares;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(pre_prepare, prepares);
  }
};

struct WireCheckpointProof {
  uint64_t height = 0;
  Hash block_hash{};
  Hash state_root{};
  std::vector<WireSignature> signatures;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(height, block_hash, state_root, signatures);
  }
};

}  // namespace

std::string vote_key(MessageKind kind, uint64_t height, uint64_t view) {
  return "vote/" + std::string(kind_name(kind)) + "/" + padded(height) + "/" + padded(view);
}

std::string accept_key(uint64_t height, uint64_t view) {
  return "accept/" + padded(height) + "/" + padded(view);
}

std::string prepared_key(uint64_t height, uint64_t view) {
  return "prepared/" + padded(height) + "/" + padded(view);
}

Result<RecordKey> parse_record_key(std::string_view key) {
  RecordKey parsed;
  if (key == kViewKey) return parsed;
  if (key == kCheckpointProofKey) {
    parsed.type = RecordKey::Type::kCheckpointProof;
    return parsed;
  }
  if (key == kNewViewKey) {
    parsed.type = RecordKey::Type::kNewView;
    return parsed;
  }
  const std::string context = "consensus record key '" + std::string(key) + "': ";
  Status status = Status::error(context + "unknown record type");
  if (key.starts_with("accept/")) {
    parsed.type = RecordKey::Type::kAccept;
    status = parse_height_view(key.substr(7), &parsed);
  } else if (key.starts_with("prepared/")) {
    parsed.type = RecordKey::Type::kPrepared;
    status = parse_height_view(key.substr(9), &parsed);
  } else if (key.starts_with("vote/")) {
    parsed.type = RecordKey::Type::kVote;
    for (uint8_t raw = 1; is_known_kind(raw); ++raw) {
      const auto kind = static_cast<MessageKind>(raw);
      const std::string prefix = "vote/" + std::string(kind_name(kind)) + "/";
      if (key.starts_with(prefix)) {
        parsed.kind = kind;
        status = parse_height_view(key.substr(prefix.size()), &parsed);
      }
    }
  }
  if (!status) return Status::error(context + status.message());
  return parsed;
}

Bytes encode_vote_record(const VoteRecord& record) {
  Writer writer;
  writer.bytes(record.body);
  writer.fixed(record.signature);
  return writer.take();
}

Result<VoteRecord> decode_vote_record(MessageKind kind, ByteSpan bytes) {
  const size_t body_bytes =
      kind == MessageKind::kCheckpoint ? kCheckpointBodyBytes : kVoteBodyBytes;
  Reader reader(bytes);
  ByteSpan body;
  VoteRecord record;
  PHALANX_RETURN_IF_ERROR(reader.span(body_bytes, &body));
  PHALANX_RETURN_IF_ERROR(reader.fixed(&record.signature));
  PHALANX_RETURN_IF_ERROR(reader.finish());
  record.body.assign(body.begin(), body.end());
  return record;
}

Bytes encode_prepared(const PreparedCertificate& certificate) {
  WirePrepared wire{encode_message(certificate.pre_prepare), to_wire(certificate.prepares)};
  return cereal_encode(wire);
}

Result<PreparedCertificate> decode_prepared(ByteSpan bytes, const ledger::BlockLimits& limits,
                                            uint32_t validators) {
  WirePrepared wire;
  Status decoded = cereal_decode(bytes, message_bytes_max(limits), &wire);
  if (!decoded) return Status::error("prepared certificate: " + decoded.message());
  auto pre_prepare = decode_message(wire.pre_prepare, limits);
  if (!pre_prepare) return Status::error("prepared certificate: " + pre_prepare.message());
  if (pre_prepare->kind != MessageKind::kPrePrepare) {
    return Status::error("prepared certificate does not hold a pre-prepare");
  }
  auto prepares = from_wire(wire.prepares, validators);
  if (!prepares) return Status::error("prepared certificate: " + prepares.message());
  return PreparedCertificate{std::move(pre_prepare).value(), std::move(prepares).value()};
}

Bytes encode_checkpoint_proof(const CheckpointProof& proof) {
  WireCheckpointProof wire{proof.height, proof.block_hash, proof.state_root,
                           to_wire(proof.signatures)};
  return cereal_encode(wire);
}

Result<CheckpointProof> decode_checkpoint_proof(ByteSpan bytes, uint32_t validators) {
  WireCheckpointProof wire;
  Status decoded = cereal_decode(bytes, validators, &wire);
  if (!decoded) return Status::error("checkpoint proof: " + decoded.message());
  auto signatures = from_wire(wire.signatures, validators);
  if (!signatures) return Status::error("checkpoint proof: " + signatures.message());
  return CheckpointProof{wire.height, wire.block_hash, wire.state_root,
                         std::move(signatures).value()};
}

Bytes encode_view(uint64_t view) {
  Writer writer;
  writer.u64(view);
  return writer.take();
}

Result<uint64_t> decode_view(ByteSpan bytes) {
  Reader reader(bytes);
  uint64_t view = 0;
  PHALANX_RETURN_IF_ERROR(reader.u64(&view));
  PHALANX_RETURN_IF_ERROR(reader.finish());
  return view;
}

}  // namespace phalanx::consensus
