// The events other threads post to the node's event loop (node/node.h), and the status
// snapshot the loop publishes for them.
//
//   PeerMessage    transport I/O thread: a decoded consensus message from a validator
//   PeerTxs        transport I/O thread: a decoded transaction batch gossiped by a validator
//   Submit         RPC worker: a client's transaction, with the promise its answer goes to
//   TxsVerified    verification worker: the signatures of a PeerTxs batch are in the cache
//   BlockValidated verification worker: the signatures of a proposed block were checked
//   LedgerBatch    ledger writer: committed blocks written to the ledger (or the error)
//   Query          RPC worker: a read of the mempool, run on the loop thread
//   Stop           shutdown
//
// Thread-safety: events are values moved through EventQueue; StatusBoard may be used from
// any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <variant>
#include <vector>

#include "consensus/types.h"
#include "ledger/store.h"
#include "ledger/transaction.h"
#include "node/ledger_writer.h"
#include "node/mempool.h"
#include "node/rpc_backend.h"

namespace phalanx::node {

struct PeerMessageEvent {
  uint32_t from = 0;
  consensus::Message message;
};

struct PeerTxsEvent {
  uint32_t from = 0;
  std::vector<ledger::SignedTransaction> txs;
};

struct SubmitEvent {
  ledger::SignedTransaction tx;
  std::shared_ptr<std::promise<Submission>> reply;
};

struct TxsVerifiedEvent {
  std::shared_ptr<const std::vector<ledger::SignedTransaction>> txs;
};

struct BlockValidatedEvent {
  uint64_t height = 0;
  crypto::Hash digest{};
  bool valid = false;
};

struct LedgerBatchEvent {
  LedgerBatch batch;
};

// Runs on the loop thread with read access to the mempool and the ledger. The ledger may be
// a batch ahead of the mempool (the ledger writer commits on its own thread and the loop
// reconciles when the batch comes back). A query dropped unrun (the loop stopped) destroys
// its closure, which breaks the promise it captured.
struct QueryEvent {
  std::function<void(const Mempool&, const ledger::Store&)> run;
};

struct StopEvent {};

using NodeEvent = std::variant<PeerMessageEvent, PeerTxsEvent, SubmitEvent, TxsVerifiedEvent,
                               BlockValidatedEvent, LedgerBatchEvent, QueryEvent, StopEvent>;

// What the loop knows that RPC readers want, published after every loop round.
struct LoopStatus {
  uint64_t height = 0;
  crypto::Hash last_block_hash{};
  uint64_t view = 0;
  uint32_t primary = 0;
  uint64_t mempool_size = 0;
  bool syncing = false;
};

class StatusBoard {
 public:
  void publish(const LoopStatus& status) {
    std::lock_guard<std::mutex> lock(mutex_);
    status_ = status;
  }
  LoopStatus read() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return status_;
  }

 private:
  mutable std::mutex mutex_;
  LoopStatus status_;
};

}  // namespace phalanx::node
