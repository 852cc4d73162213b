// RpcBackend: the narrow view of the node that the JSON-RPC methods need. The node
// implements it over its ledger store, mempool and consensus state; tests implement it with
// a fake. The RPC layer owns parsing and shaping; the backend only answers typed questions.
//
// Errors: a Result error means the node could not answer (a store failure, shutdown) and is
// reported to the client as -32603 internal error with the message as `data`. "Not found"
// is not an error: it is an empty optional (the method then returns JSON null).
//
// Thread-safety: every method may be called concurrently from the RPC worker threads; an
// implementation synchronises internally (e.g. by posting to the node's event loop and
// waiting for the answer).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "crypto/address.h"
#include "crypto/hash.h"
#include "crypto/status.h"
#include "ledger/block.h"
#include "ledger/transaction.h"
#include "node/mempool_error.h"

namespace phalanx::node {

// getStatus. Indexes are 0-based validator indexes.
struct NodeStatus {
  std::string chain_id;
  uint32_t node_id = 0;
  uint64_t height = 0;  // last committed block; 0 = genesis
  crypto::Hash last_block_hash{};
  uint64_t view = 0;
  uint32_t primary = 0;
  uint32_t n = 0;
  uint32_t f = 0;
  uint32_t quorum = 0;
  uint32_t peers = 0;  // other validators currently connected
  uint64_t mempool_size = 0;
  uint64_t min_fee = 0;
  bool syncing = false;
};

// getAccount / getBalance. An unknown, well-formed address is an all-zero account.
struct AccountInfo {
  uint64_t balance = 0;
  uint64_t nonce = 0;          // next nonce after the committed transactions
  uint64_t pending_nonce = 0;  // next nonce counting this node's mempool as well
};

// The outcome of sendTransaction. error == kNone: accepted into the mempool and gossiped.
struct Submission {
  AdmissionError error = AdmissionError::kNone;
  std::string message;  // for a person; may be empty (the RPC layer then uses the code's text)
};

enum class TxStatus { kPending, kCommitted, kFailed };

// getTransaction.
struct TxInfo {
  crypto::Hash hash{};
  TxStatus status = TxStatus::kPending;
  std::optional<uint64_t> height;  // set once the tx is in a committed block
  std::optional<uint32_t> index;   // position in that block
  crypto::Address from;
  crypto::Address to;
  uint64_t amount = 0;
  uint64_t fee = 0;
  uint64_t nonce = 0;
  std::string error;  // why it failed (kFailed only); empty otherwise
};

// getBlock. Genesis (height 0) has an empty certificate.
struct BlockInfo {
  ledger::BlockHeader header;
  crypto::Hash hash{};
  std::vector<crypto::Hash> transactions;  // tx hashes in block order
  ledger::CommitCertificate commit;        // commit.view is the block's commitView
};

// getValidators.
struct ValidatorInfo {
  uint32_t index = 0;
  crypto::Address address;
  crypto::PublicKey public_key{};
};

class RpcBackend {
 public:
  virtual ~RpcBackend() = default;

  virtual Result<NodeStatus> status() = 0;
  virtual Result<uint64_t> block_height() = 0;
  virtual Result<AccountInfo> account(const crypto::Address& address) = 0;
  // The RPC layer has decoded the bytes and hashed them; the backend checks everything
  // else (chain id, fee, nonce, balance, room, signature), admits and gossips.
  virtual Submission submit_transaction(const ledger::SignedTransaction& tx) = 0;
  // sendTransaction in two steps, so the submissions of one batch overlap: start the work
  // and hand the transaction over now, and return what waits (bounded) for its answer; the
  // RPC layer calls that exactly once, on the same thread. The default does all the work
  // in the wait.
  virtual std::function<Submission()> begin_submit(const ledger::SignedTransaction& tx) {
    return [this, tx] { return submit_transaction(tx); };
  }
  virtual Result<std::optional<TxInfo>> transaction(const crypto::Hash& hash) = 0;
  // Empty beyond the tip.
  virtual Result<std::optional<BlockInfo>> block(uint64_t height) = 0;
  virtual Result<std::vector<ValidatorInfo>> validators() = 0;
};

}  // namespace phalanx::node
