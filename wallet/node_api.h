// The four JSON-RPC methods the wallet calls (docs/wallet.md, contract "JSON-RPC 2.0"),
// with every field it relies on checked: getStatus, getAccount, sendTransaction and
// getTransaction. A call gives its value or a CallFailure that says why: the node's own
// error (code and message, shown to the user) or a transport problem / malformed reply.
// Thread-safety: as RpcClient (one per thread).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>

#include "wallet/rpc_client.h"

namespace phalanx::wallet {

struct CallFailure {
  std::string message;
  std::optional<NodeError> node_error;  // set when the node answered with an error
};

template <typename T>
using NodeResult = std::variant<T, CallFailure>;

struct NodeStatus {
  std::string chain_id;
  uint64_t min_fee = 0;
};

struct AccountState {
  std::string address;
  uint64_t balance = 0;
  uint64_t nonce = 0;
  uint64_t pending_nonce = 0;
};

// A getTransaction result: the node's object as is (printed by `tx --json`), plus the
// fields the wallet acts on.
struct TransactionStatus {
  nlohmann::json document;
  std::string status;  // pending, committed or failed
  std::optional<uint64_t> height;
  std::string error;  // why it failed, when status == "failed"
};

NodeResult<NodeStatus> get_status(RpcClient& client);
NodeResult<AccountState> get_account(RpcClient& client, const std::string& address);
// Submits hex transaction bytes; the node must answer with `expected_hash`.
NodeResult<std::string> send_transaction(RpcClient& client, const std::string& tx_hex,
                                         const std::string& expected_hash);
// nullopt when the node does not know the hash.
NodeResult<std::optional<TransactionStatus>> get_transaction(RpcClient& client,
                                                             const std::string& hash);

}  // namespace phalanx::wallet
