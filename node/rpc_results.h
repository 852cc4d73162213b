// JSON shapes of the JSON-RPC results (CONTRACT: "JSON-RPC 2.0"): camelCase member names,
// hashes, keys and signatures as lowercase hex, addresses as bech32m, timestamps in Unix ms,
// amounts and counters as JSON integers, absent values as null.
// Thread-safety: pure functions.
#pragma once

#include <string_view>
#include <vector>

#include "node/jsonrpc.h"
#include "node/rpc_backend.h"

namespace phalanx::node::rpc {

using jsonrpc::Json;

std::string_view tx_status_name(TxStatus status);

// {"chainId","nodeId","height","lastBlockHash","view","primary","n","f","quorum","peers",
//  "mempoolSize","minFee","syncing"}
Json status_json(const NodeStatus& status);
// {"address","balance","nonce","pendingNonce"}
Json account_json(const crypto::Address& address, const AccountInfo& account);
// {"hash","status","height","index","from","to","amount","fee","nonce","error"}; height and
// index are null until committed, error is null unless failed.
Json transaction_json(const TxInfo& tx);
// {"height","hash","prevHash","timestamp","view","proposer","txRoot","stateRoot",
//  "transactions","commitView","commit":[{"validator","signature"}]}
Json block_json(const BlockInfo& block);
// [{"index","address","publicKey"}]
Json validators_json(const std::vector<ValidatorInfo>& validators);

}  // namespace phalanx::node::rpc
