#include "wallet/node_api.h"

#include "crypto/domain.h"
#include "ledger/transaction.h"

namespace phalanx::wallet {
namespace {

using nlohmann::json;

// Calls `method` and returns its result, or the failure with the method named.
NodeResult<json> call(RpcClient& client, const std::string& method, const json& params) {
  auto reply = client.call(method, params);
  if (!reply) return CallFailure{reply.message(), std::nullopt};
  if (reply->error) {
    return CallFailure{reply->error->message, reply->error};
  }
  return std::move(reply->result);
}

CallFailure malformed(RpcClient& client, const std::string& method, const std::string& why) {
  return CallFailure{"bad reply from the node at " + client.url() + " to " + method + ": " + why,
                     std::nullopt};
}

// An unsigned integer field no larger than max; nullopt when absent or of another type.
std::optional<uint64_t> unsigned_field(const json& object, const char* field, uint64_t max) {
  if (!object.contains(field) || !object[field].is_number_unsigned()) return std::nullopt;
  const uint64_t value = object[field].get<uint64_t>();
  if (value > max) return std::nullopt;
  return value;
}

}  // namespace

NodeResult<NodeStatus> get_status(RpcClient& client) {
  NodeResult<json> result = call(client, "getStatus", json::array());
  if (auto* failure = std::get_if<CallFailure>(&result)) return *failure;
  const json& status = std::get<json>(result);
  if (!status.is_object() || !status.contains("chainId") || !status["chainId"].is_string()) {
    return malformed(client, "getStatus", "no string \"chainId\"");
  }
  NodeStatus parsed;
  parsed.chain_id = status["chainId"].get<std::string>();
  const Status valid = crypto::validate_chain_id(parsed.chain_id);
  if (!valid.is_ok()) return malformed(client, "getStatus", "chainId: " + valid.message());
  const std::optional<uint64_t> min_fee = unsigned_field(status, "minFee", ledger::kAmountMax);
  if (!min_fee) return malformed(client, "getStatus", "\"minFee\" is not an integer 0..2^53-1");
  parsed.min_fee = *min_fee;
  return parsed;
}

NodeResult<AccountState> get_account(RpcClient& client, const std::string& address) {
  NodeResult<json> result = call(client, "getAccount", json::array({address}));
  if (auto* failure = std::get_if<CallFailure>(&result)) return *failure;
  const json& account = std::get<json>(result);
  if (!account.is_object()) return malformed(client, "getAccount", "the result is not an object");
  AccountState parsed;
  parsed.address = address;
  const auto balance = unsigned_field(account, "balance", ledger::kAmountMax);
  const auto nonce = unsigned_field(account, "nonce", UINT64_MAX);
  const auto pending_nonce = unsigned_field(account, "pendingNonce", UINT64_MAX);
  if (!balance || !nonce || !pending_nonce) {
    return malformed(client, "getAccount",
                     "\"balance\", \"nonce\" and \"pendingNonce\" must be unsigned integers");
  }
  parsed.balance = *balance;
  parsed.nonce = *nonce;
  parsed.pending_nonce = *pending_nonce;
  return parsed;
}

NodeResult<std::string> send_transaction(RpcClient& client, const std::string& tx_hex,
                                         const std::string& expected_hash) {
  NodeResult<json> result = call(client, "sendTransaction", json::array({tx_hex}));
  if (auto* failure = std::get_if<CallFailure>(&result)) return *failure;
  const json& hash = std::get<json>(result);
  if (!hash.is_string() || hash.get<std::string>() != expected_hash) {
    return malformed(
        client, "sendTransaction",
        "it returned the hash " + hash.dump() + ", the transaction's is " + expected_hash);
  }
  return hash.get<std::string>();
}

NodeResult<std::optional<TransactionStatus>> get_transaction(RpcClient& client,
                                                             const std::string& hash) {
  NodeResult<json> result = call(client, "getTransaction", json::array({hash}));
  if (auto* failure = std::get_if<CallFailure>(&result)) return *failure;
  json& document = std::get<json>(result);
  if (document.is_null()) return std::optional<TransactionStatus>();
  if (!document.is_object() || !document.contains("status") || !document["status"].is_string()) {
    return malformed(client, "getTransaction", "no string \"status\"");
  }
  TransactionStatus parsed;
  parsed.status = document["status"].get<std::string>();
  if (parsed.status != "pending" && parsed.status != "committed" && parsed.status != "failed") {
    return malformed(client, "getTransaction", "unknown status '" + parsed.status + "'");
  }
  parsed.height = unsigned_field(document, "height", UINT64_MAX);
  if (parsed.status == "committed" && !parsed.height) {
    return malformed(client, "getTransaction", "a committed transaction has no \"height\"");
  }
  if (document.contains("error") && document["error"].is_string()) {
    parsed.error = document["error"].get<std::string>();
  }
  parsed.document = std::move(document);
  return std::optional<TransactionStatus>(std::move(parsed));
}

}  // namespace phalanx::wallet
