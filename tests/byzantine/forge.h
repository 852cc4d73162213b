// What phalanxd-byzantine sends instead of the truth: re-signed, corrupted and forged
// consensus messages and blocks, built from an honest message or from the ledger. Each
// function makes one kind of lie that an honest replica must refuse or survive
// (docs/byzantine.md says which refusal each one triggers).
// Thread-safety: pure functions (the Rng and the key are the caller's).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "consensus/types.h"
#include "crypto/ed25519.h"
#include "ledger/block.h"
#include "ledger/store.h"
#include "tests/testutil/rng.h"

namespace phalanx::byzantine {

using testutil::Rng;

// Signs `message` (a kind with a signature) with `key`, as its sender would.
void sign_message(consensus::Message* message, const crypto::SecretKey& key,
                  const std::string& chain_id);
// A copy whose signature is one bit off (it no longer verifies).
consensus::Message with_bad_signature(consensus::Message message);
// True for the kinds that carry a signature.
bool is_signed_kind(consensus::MessageKind kind);

// `block` with tx_count and tx_root recomputed after its transactions changed.
ledger::Block reseal(ledger::Block block);
// The signed PRE-PREPARE that proposes `block` in place of `original` (same view and height).
consensus::Message pre_prepare_for(const consensus::Message& original, const ledger::Block& block,
                                   const crypto::SecretKey& key);
// A second valid block for the same slot: without its last transaction, or (with one
// transaction) the same one millisecond later.
ledger::Block equivocal_twin(ledger::Block block);

enum class BadTxs : uint8_t {
  kBadSignature,     // a copy of a transaction with a corrupted signature
  kDuplicate,        // a transaction twice in the block
  kAlreadyProposed,  // a transaction from an earlier proposal (committed before, most likely)
  kWrongNonce,       // a validly signed transfer from an unfunded account, nonce far ahead
};
inline constexpr uint8_t kBadTxsCount = 4;
const char* bad_txs_name(BadTxs kind);
// `block` with one bad transaction appended. `earlier` (kAlreadyProposed; falls back to
// kDuplicate when empty) and `stranger` (kWrongNonce) are the raw material.
// REQUIRES: block has a transaction.
ledger::Block with_bad_txs(ledger::Block block, BadTxs kind,
                           const std::vector<ledger::SignedTransaction>& earlier,
                           const crypto::SecretKey& stranger, Rng& rng);

// A CATCH-UP-RESPONSE for `height` that no quorum certified. `real` is this node's committed
// block there (when it has one) and `parent_hash` the hash of the block below (when known):
// either the real block altered under its real certificate, or a block (real or invented)
// under a certificate holding one valid COMMIT signature (ours) and junk for the rest.
consensus::Message forged_catch_up_response(uint32_t self, uint32_t validators, uint64_t height,
                                            const std::optional<ledger::CertifiedBlock>& real,
                                            const std::optional<crypto::Hash>& parent_hash,
                                            const std::string& chain_id,
                                            const crypto::SecretKey& key, Rng& rng);

// `status` re-signed with the committed height `claimed` (and a random block hash there):
// claiming more than it has, a node draws idle peers to catch up from it.
// Returns nullopt when `status` does not decode.
std::optional<consensus::Message> inflated_status(const consensus::Message& status,
                                                  const consensus::Config& config, uint64_t claimed,
                                                  const crypto::SecretKey& key, Rng& rng);

// A re-signed VIEW-CHANGE that hides every prepared certificate of `view_change` (as if
// nothing had prepared). Returns nullopt when it does not decode or has none to hide.
std::optional<consensus::Message> view_change_without_prepared(
    const consensus::Message& view_change, const consensus::Config& config,
    const crypto::SecretKey& key);

// Junk for the wire: random bytes, a frame cut short, an unknown frame kind, or `recent`
// re-encoded under another validator's name (the transport authenticated us, so an honest
// node drops it). `recent` (a frame this node sent under `limits`) may be empty.
Bytes garbage_frame(const Bytes& recent, uint32_t self, uint32_t validators,
                    const ledger::BlockLimits& limits, Rng& rng);

}  // namespace phalanx::byzantine
