#include "node/rpc_results.h"

namespace phalanx::node::rpc {

namespace {

template <typename T>
Json optional_json(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

}  // namespace

std::string_view tx_status_name(TxStatus status) {
  switch (status) {
    case TxStatus::kPending:
      return "pending";
    case TxStatus::kCommitted:
      return "committed";
    case TxStatus::kFailed:
      return "failed";
  }
  PHALANX_ASSERT_MSG(false, "TxStatus out of range");
  return "";
}

Json status_json(const NodeStatus& status) {
  return Json{{"chainId", status.chain_id},
              {"nodeId", status.node_id},
              {"height", status.height},
              {"lastBlockHash", crypto::to_hex(status.last_block_hash)},
              {"view", status.view},
              {"primary", status.primary},
              {"n", status.n},
              {"f", status.f},
              {"quorum", status.quorum},
              {"peers", status.peers},
              {"mempoolSize", status.mempool_size},
              {"minFee", status.min_fee},
              {"syncing", status.syncing}};
}

Json account_json(const crypto::Address& address, const AccountInfo& account) {
  return Json{{"address", crypto::format_address(address)},
              {"balance", account.balance},
              {"nonce", account.nonce},
              {"pendingNonce", account.pending_nonce}};
}

Json transaction_json(const TxInfo& tx) {
  const bool failed = tx.status == TxStatus::kFailed;
  return Json{{"hash", crypto::to_hex(tx.hash)},
              {"status", std::string(tx_status_name(tx.status))},
              {"height", optional_json(tx.height)},
              {"index", optional_json(tx.index)},
              {"from", crypto::format_address(tx.from)},
              {"to", crypto::format_address(tx.to)},
              {"amount", tx.amount},
              {"fee", tx.fee},
              {"nonce", tx.nonce},
              {"error", failed ? Json(tx.error) : Json(nullptr)}};
}

Json block_json(const BlockInfo& block) {
  Json transactions = Json::array();
  for (const crypto::Hash& hash : block.transactions) transactions.push_back(crypto::to_hex(hash));
  Json commit = Json::array();
  for (const ledger::CommitSignature& signature : block.commit.signatures) {
    commit.push_back(
        Json{{"validator", signature.validator}, {"signature", hex_encode(signature.signature)}});
  }
  const ledger::BlockHeader& header = block.header;
  return Json{{"height", header.height},
              {"hash", crypto::to_hex(block.hash)},
              {"prevHash", crypto::to_hex(header.prev_hash)},
              {"timestamp", header.timestamp_ms},
              {"view", header.view},
              {"proposer", header.proposer},
              {"txRoot", crypto::to_hex(header.tx_root)},
              {"stateRoot", crypto::to_hex(header.state_root)},
              {"transactions", std::move(transactions)},
              {"commitView", block.commit.view},
              {"commit", std::move(commit)}};
}

Json validators_json(const std::vector<ValidatorInfo>& validators) {
  Json out = Json::array();
  for (const ValidatorInfo& validator : validators) {
    out.push_back(Json{{"index", validator.index},
                       {"address", crypto::format_address(validator.address)},
                       {"publicKey", hex_encode(validator.public_key)}});
  }
  return out;
}

}  // namespace phalanx::node::rpc
