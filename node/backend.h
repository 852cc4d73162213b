// node::NodeBackend: the RpcBackend (node/rpc_backend.h) of the real node.
//
// Reads never touch the event loop's state directly: blocks, transactions and accounts
// come from ledger read snapshots (an LMDB read transaction never blocks the writer), the
// consensus fields of getStatus from the StatusBoard the loop publishes after every round,
// `peers` from the transport. What only the loop knows (the mempool: pending nonces and
// pending transactions) is asked through the event queue as a QueryEvent, and
// sendTransaction posts a SubmitEvent; both wait at most `submit_timeout` for the answer
// (a batch's submissions are all posted before the first answer is awaited).
// Signatures of submitted transactions are verified here, on the RPC worker, through the
// shared SignatureCache, so the loop's admission check is a cache hit.
//
// Thread-safety: every method may be called concurrently (RpcBackend's contract).
#pragma once

#include <chrono>
#include <functional>

#include "ledger/genesis.h"
#include "ledger/store.h"
#include "node/event_queue.h"
#include "node/node_events.h"
#include "node/rpc_backend.h"
#include "node/signature_cache.h"

namespace phalanx::node {

struct BackendDeps {
  const ledger::Store* store = nullptr;
  const ledger::Genesis* genesis = nullptr;
  uint32_t self = 0;
  uint64_t min_fee = 0;
  const StatusBoard* board = nullptr;
  EventQueue<NodeEvent>* queue = nullptr;
  SignatureCache* cache = nullptr;
  std::function<uint32_t()> connected_peers;
  std::chrono::milliseconds submit_timeout{5000};
};

class NodeBackend final : public RpcBackend {
 public:
  // REQUIRES: every pointer set and outliving the backend.
  explicit NodeBackend(BackendDeps deps);

  Result<NodeStatus> status() override;
  Result<uint64_t> block_height() override;
  Result<AccountInfo> account(const crypto::Address& address) override;
  Submission submit_transaction(const ledger::SignedTransaction& tx) override;
  // Verifies the signature and posts the SubmitEvent now; the returned wait takes the
  // loop's answer (at most submit_timeout after this call).
  std::function<Submission()> begin_submit(const ledger::SignedTransaction& tx) override;
  Result<std::optional<TxInfo>> transaction(const crypto::Hash& hash) override;
  Result<std::optional<BlockInfo>> block(uint64_t height) override;
  Result<std::vector<ValidatorInfo>> validators() override;

 private:
  // Runs `query` on the loop thread and waits (bounded) for its answer.
  template <typename T>
  Result<T> ask_loop(std::function<T(const Mempool&, const ledger::Store&)> query);

  BackendDeps deps_;
};

}  // namespace phalanx::node
