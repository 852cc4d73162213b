// The bytes of consensus messages: what each signature covers, and the unsigned envelope a
// message travels in.
//
// Signed bodies (hand-laid, big-endian, docs/consensus.md has a test vector):
//
//   vote_body       := view:u64 height:u64 digest:32                 PRE-PREPARE, PREPARE, COMMIT
//   checkpoint_body := height:u64 block_hash:32 state_root:32         CHECKPOINT
//   signature       := Ed25519 over signing_message(domain_of(kind), chain_id, body)
//
// Envelope (cereal binary archive, host byte order = little-endian on every supported
// platform; not signed, so its layout can change without breaking signatures):
//
//   envelope := version:u8 (= 1) kind:u8 from:u32 view:u64 height:u64 digest:32
//               state_root:32 signature:64 block_len:u64 block:block_len
//
// Decoding is strict and bounded: the input may be at most message_bytes_max(limits), the
// payload at most limits.bytes_max bytes, except a CATCH-UP-RESPONSE's, which also carries a
// commit certificate (catch_up_payload_bytes_max, consensus/catch_up.h; checked before
// allocating); unknown versions and kinds, a payload on a kind without one (votes,
// CHECKPOINT, the requests), a missing payload on PRE-PREPARE, VIEW-CHANGE, NEW-VIEW,
// BLOCK-RESPONSE, STATUS and CATCH-UP-RESPONSE, a state root on anything but a CHECKPOINT, a
// view on a CHECKPOINT and trailing bytes are rejected.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "consensus/types.h"
#include "crypto/status.h"

namespace phalanx::consensus {

constexpr size_t kVoteBodyBytes = 8 + 8 + 32;
constexpr size_t kCheckpointBodyBytes = 8 + 32 + 32;
constexpr uint8_t kEnvelopeVersion = 1;
// Everything in an envelope except the block bytes, rounded up.
constexpr size_t kEnvelopeFixedBytesMax = 256;

crypto::Domain domain_of(MessageKind kind);
// "pre-prepare", "prepare", "commit", "checkpoint", "status", ...
std::string_view kind_name(MessageKind kind);
bool is_known_kind(uint8_t raw_kind);

Bytes vote_body(uint64_t view, uint64_t height, const Hash& digest);
Bytes checkpoint_body(uint64_t height, const Hash& block_hash, const Hash& state_root);
// The body `message`'s signature covers, by its kind (VIEW-CHANGE, NEW-VIEW and STATUS: the
// payload).
Bytes signed_body(const Message& message);

size_t message_bytes_max(const ledger::BlockLimits& limits);
Bytes encode_message(const Message& message);
Result<Message> decode_message(ByteSpan bytes, const ledger::BlockLimits& limits);

}  // namespace phalanx::consensus
