// Status sync and catch-up payloads: the signed STATUS, the unsigned CATCH-UP-RESPONSE
// (one committed block and its commit certificate), and the commit-certificate check that
// makes a response trustworthy whoever sent it. Pure functions; the replica's handlers live
// in replica_catch_up.cc.
//
// Bytes (hand-laid, big-endian):
//
//   status            := view:u64 changing:u8 height:u64 block_hash:32 checkpoint
//                        (changing = 1 while the sender has not entered `view` yet)
//                        (checkpoint as in view_change.h: the sender's stable proof)
//                        signed whole by its sender under "phalanx/status/v1"
//   catch_up_response := block_len:u32 block:block_len certificate (ledger/block.h)
//
// Envelopes: STATUS carries view, height and digest (= block hash) equal to the payload's.
// CATCH-UP-REQUEST carries `height` (the first height wanted) and nothing else: the server
// sends up to kCatchUpBlocksMax consecutive committed blocks from there. CATCH-UP-RESPONSE
// carries height, digest (block hash) and view (the certificate's view) equal to the
// payload's. NEW-VIEW-REQUEST carries `view` and nothing else.
// Thread-safety: pure functions (the Verifier is the caller's).
#pragma once

#include <cstddef>
#include <cstdint>

#include "consensus/records.h"
#include "consensus/signer.h"
#include "consensus/types.h"
#include "crypto/status.h"

namespace phalanx::consensus {

// Heights one CATCH-UP-REQUEST may ask for (and one ServeRequest may span).
inline constexpr uint64_t kCatchUpBlocksMax = 16;
// Heights above its executed height a catching-up replica has in hand at once: requested,
// buffered, or output and not yet executed. Several requests are in flight to the asked peer,
// so fetching overlaps the caller's ledger commits, which take many blocks at a time. Bytes
// in hand are bounded too (Config::catch_up_bytes_max): requests are sent only while the
// responses in flight, each assumed as large as the largest of the round, would fit; a
// response that does not fit anyway is dropped and its heights are asked for again.
inline constexpr uint64_t kCatchUpWindowBlocks = 256;
// The most validators a commit certificate in a consensus message may name (the genesis
// limit); it bounds the envelope (codec.h) independently of the configuration.
inline constexpr uint32_t kCertificateValidatorsMax = 1024;

size_t certificate_bytes_max(uint32_t validators);
// The largest CATCH-UP-RESPONSE payload: a whole block plus a certificate of
// kCertificateValidatorsMax signatures.
size_t catch_up_payload_bytes_max(const ledger::BlockLimits& limits);

struct StatusReport {
  uint64_t view = 0;
  bool view_changing = false;  // sent VIEW-CHANGE for `view`, no NEW-VIEW yet
  uint64_t height = 0;         // the sender's committed height
  Hash block_hash{};           // its block at that height
  CheckpointProof stable;      // its stable checkpoint proof (height 0: genesis)
};

size_t status_bytes_max(const Config& config);
Bytes encode_status(const StatusReport& status);
// Strict and bounded (signatures by config.n()); does not verify the checkpoint proof.
Result<StatusReport> decode_status(ByteSpan bytes, const Config& config);

// The caller's half of catch-up (Ready::serve_requests): a response for one committed block.
// REQUIRES: certificate.signatures strictly increasing validators (as the ledger stores it).
Message make_catch_up_response(uint32_t from, const ledger::Block& block,
                               const ledger::CommitCertificate& certificate);

struct CatchUpBlock {
  ledger::Block block;
  Hash hash{};
  ledger::CommitCertificate certificate;
};
// Decodes a CATCH-UP-RESPONSE strictly (block limits, certificate bounded by config.n(),
// envelope fields equal to the payload's). Does not verify the certificate.
Result<CatchUpBlock> decode_catch_up_response(const Message& message, const Config& config);

// A commit certificate proves `hash` committed at `height`: at least a quorum of distinct
// validators, each with a valid COMMIT signature over vote_body(certificate.view, height,
// hash) under the commit domain.
Status verify_commit_certificate(const Config& config, Verifier& verifier, uint64_t height,
                                 const Hash& hash, const ledger::CommitCertificate& certificate);

}  // namespace phalanx::consensus
