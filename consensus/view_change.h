// The VIEW-CHANGE and NEW-VIEW payloads (PBFT §4.4, with signatures): their bytes, their
// verification, and the derivation of the re-proposals a NEW-VIEW must carry. Pure
// functions; the replica's handlers live in replica_view.cc.
//
// Both payloads carry digests, never block bodies (a backup missing a re-proposed body asks
// a peer for it, replica_view.cc). Signed bytes (hand-laid, big-endian), each signed whole
// by its sender under the "phalanx/view-change/v1" or "phalanx/new-view/v1" domain:
//
//   view_change := view:u64 checkpoint prepared_count:u32 prepared*
//   checkpoint  := height:u64 block_hash:32 state_root:32 count:u32 (validator:u32 sig:64)*
//                  (height 0 and no signatures: genesis)
//   prepared    := height:u64 view:u64 digest:32 pre_prepare_sig:64
//                  count:u32 (validator:u32 sig:64)*      q-1 PREPAREs, increasing validators
//   new_view    := view:u64 vc_count:u32 (from:u32 len:u32 view_change:len sig:64)*
//                  reproposal_count:u32 (height:u64 digest:32 pre_prepare_sig:64)*
//
// A re-proposal's signature is the new primary's PRE-PREPARE signature over
// vote_body(new view, height, digest): it is that height's pre-prepare in the new view.
// Thread-safety: pure functions (the Verifier is the caller's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "consensus/records.h"
#include "consensus/signer.h"
#include "consensus/types.h"
#include "crypto/status.h"

namespace phalanx::consensus {

// PBFT §4.4's P set entry: proof that (view, height, digest) prepared.
struct PreparedProof {
  uint64_t height = 0;
  uint64_t view = 0;
  Hash digest{};
  Signature pre_prepare_signature{};
  std::vector<ValidatorSignature> prepares;  // q-1, strictly increasing, primary excluded
};

struct ViewChange {
  uint64_t view = 0;                    // the view the sender moves to
  CheckpointProof checkpoint;           // its stable checkpoint (height 0: genesis)
  std::vector<PreparedProof> prepared;  // strictly increasing heights above the checkpoint
};

struct SignedViewChange {
  uint32_t from = 0;
  Bytes body;  // encode_view_change()
  Signature signature{};
};

struct Reproposal {
  uint64_t height = 0;
  Hash digest{};
  Signature signature{};  // the new primary's PRE-PREPARE signature
};

struct NewView {
  uint64_t view = 0;
  std::vector<SignedViewChange> view_changes;  // strictly increasing senders, at least q
  std::vector<Reproposal> reproposals;         // contiguous heights above `base`
};

// What every replica derives from a set of view changes.
struct Derivation {
  CheckpointProof base;                                // the highest valid checkpoint among them
  std::vector<std::pair<uint64_t, Hash>> reproposals;  // (height, digest), contiguous
};

// The checkpoint field of VIEW-CHANGE (and STATUS, catch_up.h): its bytes and its bound.
void write_checkpoint(Writer& writer, const CheckpointProof& proof);
// Strict: signatures with strictly increasing validator indexes below n.
Status read_checkpoint(Reader& reader, uint32_t n, CheckpointProof* proof);
size_t checkpoint_bytes_max(uint32_t n);
// The proof is genesis (height 0, no signatures) or a multiple of K with at least q valid
// CHECKPOINT signatures of distinct validators over checkpoint_body.
Status verify_checkpoint(const Config& config, Verifier& verifier, const CheckpointProof& proof);

// Upper bounds from (n, L); the replica asserts at start-up that they fit the envelope.
size_t view_change_bytes_max(const Config& config);
size_t new_view_bytes_max(const Config& config);

Bytes encode_view_change(const ViewChange& view_change);
Result<ViewChange> decode_view_change(ByteSpan bytes, const Config& config);
Bytes encode_new_view(const NewView& new_view);
Result<NewView> decode_new_view(ByteSpan bytes, const Config& config);

// Checks the checkpoint proof (q matching signatures, or genesis) and every prepared proof
// (pre-prepare signed by the primary of its view, q-1 PREPAREs from distinct other
// replicas, a view below view_change.view, a height inside (checkpoint, checkpoint + L]).
Status verify_view_change(const Config& config, Verifier& verifier, const ViewChange& view_change);

// PBFT §4.4: base = the highest checkpoint; for each height above it the prepared proof with
// the highest view; heights from base+1 to the highest prepared one must all be present (a
// gap is an error: a height is prepared only after its parent, so honest proofs have
// none).
// REQUIRES: every view change verified.
Result<Derivation> derive_new_view(const Config& config,
                                   const std::vector<ViewChange>& view_changes);

// Decodes and verifies every VIEW-CHANGE inside, re-derives the re-proposals and checks that
// `new_view` carries exactly them, each signed by the new primary. Returns the derivation.
// Under mutations.new_view_not_rederived the carried re-proposals are taken as they are.
Result<Derivation> verify_new_view(const Config& config, Verifier& verifier,
                                   const NewView& new_view);

}  // namespace phalanx::consensus
