// What the replica makes durable through Ready::to_persist, and how it reads it back.
//
// Keys sort by record type, then height, then view (numbers are 20-digit zero-padded):
//
//   "view"                               current view: u64 big-endian
//   "vote/<kind>/<height>/<view>"        a signature SafetyRules made: body || signature:64
//                                        (kind: pre-prepare|prepare|commit|checkpoint;
//                                        checkpoints use view 0)
//   "accept/<height>/<view>"             the accepted PRE-PREPARE: its envelope (codec.h)
//   "prepared/<height>/<view>"           prepared certificate (PreparedCertificate)
//   "checkpoint"                         proof of the stable checkpoint (CheckpointProof)
//   "new-view"                           the NEW-VIEW of the current view: its envelope
//
// PreparedCertificate and CheckpointProof values are cereal binary archives:
//
//   prepared   := pre_prepare_envelope:bytes count:u64 (validator:u32 signature:64)*
//   checkpoint := height:u64 block_hash:32 state_root:32 count:u64 (validator:u32 signature:64)*
//
// Every decoder is bounded (block bytes by BlockLimits, signature lists by the number of
// validators) and strict.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/types.h"
#include "crypto/status.h"

namespace phalanx::consensus {

inline constexpr std::string_view kViewKey = "view";
inline constexpr std::string_view kCheckpointProofKey = "checkpoint";
inline constexpr std::string_view kNewViewKey = "new-view";

std::string vote_key(MessageKind kind, uint64_t height, uint64_t view);
std::string accept_key(uint64_t height, uint64_t view);
std::string prepared_key(uint64_t height, uint64_t view);

struct RecordKey {
  enum class Type : uint8_t { kView, kVote, kAccept, kPrepared, kCheckpointProof, kNewView };
  Type type = Type::kView;
  MessageKind kind = MessageKind::kPrepare;  // kVote only
  uint64_t height = 0;
  uint64_t view = 0;
};
Result<RecordKey> parse_record_key(std::string_view key);

struct ValidatorSignature {
  uint32_t validator = 0;
  Signature signature{};
};

// A signature SafetyRules made and the exact body it covers.
struct VoteRecord {
  Bytes body;
  Signature signature{};
};
Bytes encode_vote_record(const VoteRecord& record);
// The body length must be the one of `kind` (kVoteBodyBytes or kCheckpointBodyBytes).
Result<VoteRecord> decode_vote_record(MessageKind kind, ByteSpan bytes);

// PBFT §4.2: a pre-prepare and q-1 matching prepares from replicas other than the primary.
struct PreparedCertificate {
  Message pre_prepare;                       // carries view, height, digest and the block bytes
  std::vector<ValidatorSignature> prepares;  // strictly increasing validator indexes
};
Bytes encode_prepared(const PreparedCertificate& certificate);
Result<PreparedCertificate> decode_prepared(ByteSpan bytes, const ledger::BlockLimits& limits,
                                            uint32_t validators);

// PBFT §4.3: q matching signed CHECKPOINTs make a checkpoint stable.
struct CheckpointProof {
  uint64_t height = 0;
  Hash block_hash{};
  Hash state_root{};
  std::vector<ValidatorSignature> signatures;  // strictly increasing validator indexes
};
Bytes encode_checkpoint_proof(const CheckpointProof& proof);
Result<CheckpointProof> decode_checkpoint_proof(ByteSpan bytes, uint32_t validators);

Bytes encode_view(uint64_t view);
Result<uint64_t> decode_view(ByteSpan bytes);

}  // namespace phalanx::consensus
