// Read-only node queries: balance and tx.
#include <algorithm>
#include <array>

#include "wallet/commands.h"
#include "wallet/values.h"

namespace phalanx::wallet {
namespace {

using nlohmann::json;

// getTransaction's fields in the contract's order; any others follow alphabetically.
constexpr std::array<const char*, 10> kTransactionFields = {
    "hash", "status", "height", "index", "from", "to", "amount", "fee", "nonce", "error"};

// One line per field: a node-supplied newline must not forge another field.
std::string scalar_text(const json& value) {
  std::string text = value.is_string() ? value.get<std::string>()
                                       : value.dump(-1, ' ', false, json::error_handler_t::replace);
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

std::string transaction_text(const json& document) {
  Fields fields;
  for (const char* field : kTransactionFields) {
    if (document.contains(field) && !document[field].is_null()) {
      fields.emplace_back(field, scalar_text(document[field]));
    }
  }
  for (const auto& item : document.items()) {
    const bool known = std::find(kTransactionFields.begin(), kTransactionFields.end(),
                                 item.key()) != kTransactionFields.end();
    if (!known && !item.value().is_null())
      fields.emplace_back(item.key(), scalar_text(item.value()));
  }
  return field_lines(fields);
}

}  // namespace

Outcome run_balance(Context& context) {
  Checked<crypto::Address> target = context.resolve_target(context.options().name, "balance");
  if (auto* problem = std::get_if<Outcome>(&target)) return *problem;
  const std::string address = crypto::format_address(std::get<crypto::Address>(target));
  Checked<RpcClient*> node = context.node();
  if (auto* problem = std::get_if<Outcome>(&node)) return *problem;
  NodeResult<AccountState> account = get_account(*std::get<RpcClient*>(node), address);
  if (auto* call = std::get_if<CallFailure>(&account)) {
    return call_failed(*call, "cannot read the balance of " + address);
  }
  const AccountState& state = std::get<AccountState>(account);
  return success(field_lines({{"address", address},
                              {"balance", std::to_string(state.balance)},
                              {"nonce", std::to_string(state.nonce)}}),
                 json{{"address", address}, {"balance", state.balance}, {"nonce", state.nonce}});
}

Outcome run_tx(Context& context) {
  auto hash = parse_tx_hash(context.options().hash);
  if (!hash) return usage_error(hash.message());
  Checked<RpcClient*> node = context.node();
  if (auto* problem = std::get_if<Outcome>(&node)) return *problem;
  NodeResult<std::optional<TransactionStatus>> found =
      get_transaction(*std::get<RpcClient*>(node), *hash);
  if (auto* call = std::get_if<CallFailure>(&found)) {
    return call_failed(*call, "cannot look up transaction " + *hash);
  }
  const std::optional<TransactionStatus>& status = std::get<0>(found);
  if (!status) {
    Outcome outcome = failure("unknown transaction " + *hash +
                              ": the node has not seen it (or dropped it before it was committed)");
    outcome.document = json(nullptr);  // getTransaction's own answer
    return outcome;
  }
  Outcome outcome = success(transaction_text(status->document), status->document);
  if (status->status == "failed") outcome.exit_code = kExitTxFailed;
  return outcome;
}

}  // namespace phalanx::wallet
