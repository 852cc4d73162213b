#include "wallet/transfer.h"

#include <optional>

#include "crypto/domain.h"
#include "wallet/values.h"

namespace phalanx::wallet {
namespace {

// The flags as typed, validated; nullopt where the node must fill in.
struct TransferFlags {
  uint64_t amount = 0;
  std::optional<uint64_t> fee;
  std::optional<uint64_t> nonce;
  std::optional<std::string> chain_id;
};

Checked<TransferFlags> parse_flags(const Options& options) {
  TransferFlags flags;
  auto amount = parse_amount(options.amount);
  if (!amount) return usage_error(amount.message());
  flags.amount = *amount;
  if (options.fee) {
    auto fee = parse_fee(*options.fee);
    if (!fee) return usage_error(fee.message());
    flags.fee = *fee;
  }
  if (options.nonce) {
    auto nonce = parse_nonce(*options.nonce);
    if (!nonce) return usage_error(nonce.message());
    flags.nonce = *nonce;
  }
  if (options.chain_id) {
    const Status valid = crypto::validate_chain_id(*options.chain_id);
    if (!valid.is_ok()) return usage_error("--chain-id: " + valid.message());
    flags.chain_id = *options.chain_id;
  }
  return flags;
}

// Chain id and fee: from the flags, else from the node's getStatus.
std::optional<Outcome> fill_from_status(Context& context, const TransferFlags& flags,
                                        TransferPlan* plan) {
  if (flags.chain_id && flags.fee) {
    plan->chain_id = *flags.chain_id;
    plan->fee = *flags.fee;
    return std::nullopt;
  }
  Checked<RpcClient*> node = context.node();
  if (auto* problem = std::get_if<Outcome>(&node)) return *problem;
  NodeResult<NodeStatus> status = get_status(*std::get<RpcClient*>(node));
  if (auto* call = std::get_if<CallFailure>(&status)) {
    return call_failed(*call, "cannot read the node's chain id and minimum fee");
  }
  plan->chain_id = flags.chain_id.value_or(std::get<NodeStatus>(status).chain_id);
  plan->fee = flags.fee.value_or(std::get<NodeStatus>(status).min_fee);
  return std::nullopt;
}

std::optional<Outcome> fill_nonce(Context& context, const TransferFlags& flags,
                                  TransferPlan* plan) {
  const std::string address = crypto::format_address(plan->from.address);
  auto record = load_nonce_record(plan->record_path, address);
  if (record) {
    plan->record = std::move(*record);
  } else {
    plan->notes.push_back("warning: ignoring the nonce record: " + record.message());
  }
  if (flags.nonce) {
    plan->nonce = *flags.nonce;
    return std::nullopt;
  }
  Checked<RpcClient*> node = context.node();
  if (auto* problem = std::get_if<Outcome>(&node)) return *problem;
  NodeResult<AccountState> account = get_account(*std::get<RpcClient*>(node), address);
  if (auto* call = std::get_if<CallFailure>(&account)) {
    return call_failed(*call, "cannot read the nonce of " + address);
  }
  plan->nonce = std::get<AccountState>(account).pending_nonce;
  const std::optional<uint64_t> recent =
      recent_nonce(plan->record, plan->chain_id, context.io().now_ms());
  if (recent && *recent != UINT64_MAX && *recent + 1 > plan->nonce) plan->nonce = *recent + 1;
  return std::nullopt;
}

}  // namespace

Checked<TransferPlan> plan_transfer(Context& context) {
  const Options& options = context.options();
  Checked<TransferFlags> flags = parse_flags(options);
  if (auto* problem = std::get_if<Outcome>(&flags)) return *problem;
  Checked<crypto::Address> to = context.resolve_target(options.to, "--to");
  if (auto* problem = std::get_if<Outcome>(&to)) return *problem;
  Checked<crypto::KeyInfo> from = context.find_key(options.from);
  if (auto* problem = std::get_if<Outcome>(&from)) return *problem;

  TransferPlan plan;
  plan.from = std::get<crypto::KeyInfo>(from);
  plan.to = std::get<crypto::Address>(to);
  plan.amount = std::get<TransferFlags>(flags).amount;
  plan.record_path = nonce_record_path(std::get<std::string>(context.keystore_dir()), options.from);
  if (auto problem = fill_from_status(context, std::get<TransferFlags>(flags), &plan)) {
    return *problem;
  }
  if (auto problem = fill_nonce(context, std::get<TransferFlags>(flags), &plan)) return *problem;
  return plan;
}

Checked<ledger::SignedTransaction> sign_transfer(Context& context, const TransferPlan& plan) {
  Checked<crypto::SecretKey> key = context.unlock(plan.from.name);
  if (auto* problem = std::get_if<Outcome>(&key)) return *problem;
  return ledger::make_transfer(std::get<crypto::SecretKey>(key), plan.chain_id, plan.to,
                               plan.amount, plan.fee, plan.nonce);
}

}  // namespace phalanx::wallet
