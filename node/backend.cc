#include "node/backend.h"

#include <future>
#include <string>

namespace phalanx::node {

namespace {

using Clock = std::chrono::steady_clock;

// The queue cost of a query or submission beyond the transaction bytes.
constexpr size_t kEventOverheadBytes = 256;

TxInfo describe(const ledger::Transaction& tx, const crypto::Hash& hash) {
  TxInfo info;
  info.hash = hash;
  info.from = ledger::sender_address(tx);
  info.to = tx.recipient;
  info.amount = tx.amount;
  info.fee = tx.fee;
  info.nonce = tx.nonce;
  return info;
}

Result<std::optional<TxInfo>> committed_transaction(const ledger::Snapshot& snapshot,
                                                    const crypto::Hash& hash,
                                                    const ledger::TxRecord& record) {
  // One transaction of the block, not the whole block: clients poll this for every tx.
  auto tx = snapshot.block_transaction(record.height, record.index);
  if (!tx) return tx.status();
  if (!tx->has_value() || (*tx)->hash != hash) {
    return Status::error("the tx index names block " + std::to_string(record.height) +
                         " position " + std::to_string(record.index) +
                         ", which does not hold that transaction");
  }
  TxInfo info = describe((*tx)->tx, hash);
  info.height = record.height;
  info.index = record.index;
  info.status = record.committed() ? TxStatus::kCommitted : TxStatus::kFailed;
  if (!record.committed()) info.error = std::string(ledger::tx_error_message(record.error));
  return std::optional<TxInfo>(std::move(info));
}

}  // namespace

NodeBackend::NodeBackend(BackendDeps deps) : deps_(std::move(deps)) {
  PHALANX_ASSERT(deps_.store != nullptr && deps_.genesis != nullptr && deps_.board != nullptr &&
                 deps_.queue != nullptr && deps_.cache != nullptr && deps_.connected_peers);
}

template <typename T>
Result<T> NodeBackend::ask_loop(std::function<T(const Mempool&, const ledger::Store&)> query) {
  auto answer = std::make_shared<std::promise<T>>();
  std::future<T> future = answer->get_future();
  // The event holds the only reference to the promise: dropped unrun, it breaks the promise.
  QueryEvent event{[answer = std::move(answer), query = std::move(query)](
                       const Mempool& mempool, const ledger::Store& store) {
    answer->set_value(query(mempool, store));
  }};
  const Clock::time_point deadline = Clock::now() + deps_.submit_timeout;
  if (!deps_.queue->push_wait(std::move(event), kEventOverheadBytes, deadline)) {
    return Status::error(deps_.queue->closed() ? "the node is shutting down"
                                               : "the node is busy (event queue full)");
  }
  if (future.wait_until(deadline) != std::future_status::ready) {
    return Status::error("the node did not answer within " +
                         std::to_string(deps_.submit_timeout.count()) + " ms");
  }
  try {
    return future.get();
  } catch (const std::future_error&) {
    return Status::error("the node is shutting down");
  }
}

Result<NodeStatus> NodeBackend::status() {
  const LoopStatus loop = deps_.board->read();
  const ledger::Genesis& genesis = *deps_.genesis;
  NodeStatus status;
  status.chain_id = genesis.chain_id;
  status.node_id = deps_.self;
  status.height = loop.height;
  status.last_block_hash = loop.last_block_hash;
  status.view = loop.view;
  status.primary = loop.primary;
  status.n = genesis.n();
  status.f = genesis.f();
  status.quorum = genesis.quorum();
  status.peers = deps_.connected_peers();
  status.mempool_size = loop.mempool_size;
  status.min_fee = deps_.min_fee;
  status.syncing = loop.syncing;
  return status;
}

Result<uint64_t> NodeBackend::block_height() { return deps_.store->height(); }

Result<AccountInfo> NodeBackend::account(const crypto::Address& address) {
  auto committed = deps_.store->account(address);
  if (!committed) return committed.status();
  // The committed nonce is read again on the loop, so the pending nonce is computed against
  // the state the mempool was last reconciled with.
  auto pending = ask_loop<Result<uint64_t>>(
      [address](const Mempool& mempool, const ledger::Store& store) -> Result<uint64_t> {
        auto account = store.account(address);
        if (!account) return account.status();
        return mempool.pending_nonce(address, account->nonce);
      });
  if (!pending) return pending.status();
  if (!pending->is_ok()) return pending->status();
  AccountInfo info;
  info.balance = committed->balance;
  info.nonce = committed->nonce;
  info.pending_nonce = std::max(pending->value(), committed->nonce);
  return info;
}

Submission NodeBackend::submit_transaction(const ledger::SignedTransaction& tx) {
  return begin_submit(tx)();
}

std::function<Submission()> NodeBackend::begin_submit(const ledger::SignedTransaction& tx) {
  // Verified here, on an RPC worker; the loop's admission then finds the outcome cached.
  (void)deps_.cache->verify(tx);
  auto reply = std::make_shared<std::promise<Submission>>();
  auto future = std::make_shared<std::future<Submission>>(reply->get_future());
  const Clock::time_point deadline = Clock::now() + deps_.submit_timeout;
  const size_t cost = tx.bytes.size() + kEventOverheadBytes;
  if (!deps_.queue->push_wait(SubmitEvent{tx, std::move(reply)}, cost, deadline)) {
    const Submission refused =
        deps_.queue->closed() ? Submission{AdmissionError::kInternal, "the node is shutting down"}
                              : Submission{AdmissionError::kMempoolFull,
                                           "mempool full: the node is busy, retry later"};
    return [refused] { return refused; };
  }
  const auto timeout_ms = deps_.submit_timeout.count();
  return [future, deadline, timeout_ms]() -> Submission {
    if (future->wait_until(deadline) != std::future_status::ready) {
      return {AdmissionError::kInternal,
              "the node did not answer within " + std::to_string(timeout_ms) + " ms"};
    }
    try {
      return future->get();
    } catch (const std::future_error&) {
      return {AdmissionError::kInternal, "the node is shutting down"};
    }
  };
}

Result<std::optional<TxInfo>> NodeBackend::transaction(const crypto::Hash& hash) {
  auto snapshot = deps_.store->snapshot();
  if (!snapshot) return snapshot.status();
  auto record = snapshot->transaction(hash);
  if (!record) return record.status();
  if (record->has_value()) return committed_transaction(*snapshot, hash, **record);
  auto pending = ask_loop<std::optional<ledger::Transaction>>(
      [hash](const Mempool& mempool, const ledger::Store&) -> std::optional<ledger::Transaction> {
        const ledger::SignedTransaction* tx = mempool.find(hash);
        if (tx == nullptr) return std::nullopt;
        return tx->tx;
      });
  if (!pending) return pending.status();
  if (pending->has_value()) {
    TxInfo info = describe(**pending, hash);
    info.status = TxStatus::kPending;
    return std::optional<TxInfo>(std::move(info));
  }
  // It may have been committed between the snapshot and the query.
  auto fresh = deps_.store->snapshot();
  if (!fresh) return fresh.status();
  auto again = fresh->transaction(hash);
  if (!again) return again.status();
  if (!again->has_value()) return std::optional<TxInfo>();
  return committed_transaction(*fresh, hash, **again);
}

Result<std::optional<BlockInfo>> NodeBackend::block(uint64_t height) {
  auto snapshot = deps_.store->snapshot();
  if (!snapshot) return snapshot.status();
  auto block = snapshot->block(height);
  if (!block) return block.status();
  if (!block->has_value()) return std::optional<BlockInfo>();
  auto certificate = snapshot->certificate(height);
  if (!certificate) return certificate.status();
  BlockInfo info;
  info.header = (*block)->header;
  info.hash = ledger::block_hash(info.header);
  info.transactions = ledger::transaction_hashes(**block);
  if (certificate->has_value()) info.commit = **certificate;
  return std::optional<BlockInfo>(std::move(info));
}

Result<std::vector<ValidatorInfo>> NodeBackend::validators() {
  std::vector<ValidatorInfo> validators;
  const auto& list = deps_.genesis->validators;
  validators.reserve(list.size());
  for (uint32_t i = 0; i < list.size(); ++i) {
    validators.push_back({i, crypto::address_of(list[i].public_key), list[i].public_key});
  }
  return validators;
}

}  // namespace phalanx::node
