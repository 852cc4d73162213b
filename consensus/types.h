// Consensus messages, configuration and the Ready batch the replica hands its caller.
//
// Every message is signed by its sender over a hand-laid body (docs/consensus.md):
//
//   vote_body := view:u64 height:u64 digest:32                      PRE-PREPARE/PREPARE/COMMIT
//   checkpoint_body := height:u64 block_hash:32 state_root:32       CHECKPOINT
//
// under signing_message(domain of the kind, chain id, body). A PRE-PREPARE also carries the
// encoded block; its digest is the block hash, so the block is bound by the signature.
// The unsigned envelope around a message (kind, sender, body, signature, block bytes) is
// encoded with cereal and bounded (consensus/codec.h).
// Thread-safety: value types.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/domain.h"
#include "ledger/block.h"

namespace phalanx::consensus {

using crypto::Hash;
using crypto::PublicKey;
using crypto::Signature;

enum class MessageKind : uint8_t {
  kPrePrepare = 1,
  kPrepare = 2,
  kCommit = 3,
  kCheckpoint = 4,
  kViewChange = 5,     // PBFT §4.4; payload: view_change (consensus/view_change.h)
  kNewView = 6,        // PBFT §4.4; payload: new_view
  kBlockRequest = 7,   // unsigned: "send me the block with this digest at this height"
  kBlockResponse = 8,  // unsigned: that block (bound by its hash, not by a signature)
  // Catch-up and status sync (consensus/catch_up.h).
  kStatus = 9,            // signed; payload: status (view, height, block hash, stable proof)
  kCatchUpRequest = 10,   // unsigned: "send me committed blocks from `height` on"
  kCatchUpResponse = 11,  // unsigned: one committed block and its commit certificate
  kNewViewRequest = 12,   // unsigned: "send me the NEW-VIEW of view `view`"
};

struct Message {
  MessageKind kind = MessageKind::kPrepare;
  uint32_t from = 0;
  uint64_t view = 0;
  uint64_t height = 0;
  Hash digest{};      // block hash (PRE-PREPARE, PREPARE, COMMIT, CHECKPOINT)
  Hash state_root{};  // CHECKPOINT only
  // PRE-PREPARE, BLOCK-RESPONSE: encode_block(); VIEW-CHANGE / NEW-VIEW: signed payload.
  Bytes block;
  Signature signature{};
};

// Test-only switches that break the protocol on purpose; the simulator must catch each.
// The node never sets them.
struct Mutations {
  bool quorum_2f = false;                     // count 2f votes as a quorum
  bool skip_prev_hash_check = false;          // PREPARE without checking the parent link
  bool send_before_persist = false;           // votes leave before their record is durable
  bool view_change_without_prepared = false;  // VIEW-CHANGE omits the prepared proofs
  bool new_view_not_rederived = false;        // backups take a NEW-VIEW's re-proposals as given
  bool catch_up_without_certificate_check = false;  // catch-up blocks applied unverified
};

struct Config {
  std::string chain_id;
  std::vector<PublicKey> validators;
  uint32_t self = 0;
  uint32_t pipeline_depth = 4;        // W
  uint32_t checkpoint_interval = 16;  // K
  uint32_t log_window = 64;           // L: heights accepted above the stable checkpoint
  ledger::BlockLimits block_limits;
  uint64_t timestamp_skew_ms = 1000;  // a header may be this far ahead of our clock
  uint64_t retransmit_ms = 500;       // re-send own in-flight messages this often
  // PBFT §4.4 view-change timer: base timeout, doubled per failed view up to 8x; 0 disables
  // the timer (a replica still joins view changes started by f+1 others). Off by default
  // until every caller (node, simulator) drives view changes; they set it explicitly.
  uint64_t view_change_timeout_ms = 0;
  // STATUS is broadcast at start-up and then this often (driven by tick()).
  uint64_t status_interval_ms = 1000;
  // A catch-up request unanswered (no new block applied) for this long goes to another peer.
  uint64_t catch_up_timeout_ms = 1000;
  // Bytes of catch-up responses buffered plus catch-up blocks output and not yet executed
  // (each counted by its response payload), at most; consensus/catch_up.h.
  size_t catch_up_bytes_max = size_t{32} << 20;
  Hash genesis_hash{};
  Hash genesis_state_root{};
  uint64_t genesis_time_ms = 0;
  Mutations mutations;

  uint32_t n() const { return static_cast<uint32_t>(validators.size()); }
  uint32_t f() const { return (n() - 1) / 3; }
  uint32_t quorum() const { return (n() + f() + 2) / 2; }
  uint32_t primary_of(uint64_t view) const { return static_cast<uint32_t>(view % n()); }
};

// A durable key/value update. The caller applies every op of a Ready, in order, durably,
// before sending that Ready's messages. On restart it hands every live key back to the
// Replica constructor (`persisted`).
struct PersistOp {
  enum class Type : uint8_t { kPut, kErase };
  Type type = Type::kPut;
  std::string key;
  Bytes value;
};

struct Outbound {
  std::optional<uint32_t> to;  // nullopt: every other validator
  Message message;
};

struct CommittedBlock {
  ledger::Block block;
  Hash hash{};
  ledger::CommitCertificate certificate;
  // Fetched by catch-up: the replica verified its commit certificate (a quorum committed
  // it), not its transactions, so the caller may skip per-tx signature checks.
  bool certified_catch_up = false;
};

// The core asks the caller to check every tx signature of a proposed block; the caller
// answers with Replica::on_validated(height, digest, valid).
struct ValidationRequest {
  uint64_t height = 0;
  Hash digest{};
  std::shared_ptr<const ledger::Block> block;
};

// A peer asked for committed blocks (catch-up). The replica drops bodies once output, so the
// caller serves it from its ledger: for each height in [first, last] it reads the block and
// its commit certificate and sends make_catch_up_response(self, block, certificate)
// (consensus/catch_up.h) to `peer`, one block per message, in height order. The replica has
// already clamped the range to its committed height and to kCatchUpBlocksMax heights, and
// rate-limited the peer. A height the ledger does not hold any more ends the reply early.
struct ServeRequest {
  uint32_t peer = 0;
  uint64_t first = 0;
  uint64_t last = 0;
};

struct Ready {
  std::vector<PersistOp> to_persist;                   // 1. make durable
  std::vector<Outbound> messages;                      // 2. then send
  std::vector<CommittedBlock> committed;               // 3. then apply, strictly in height order
  std::vector<ValidationRequest> validation_requests;  // 4. check tx signatures
  std::vector<ServeRequest> serve_requests;            // 5. send committed blocks to peers

  bool empty() const {
    return to_persist.empty() && messages.empty() && committed.empty() &&
           validation_requests.empty() && serve_requests.empty();
  }
};

}  // namespace phalanx::consensus
