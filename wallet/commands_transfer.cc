// sign and send. `send --wait` polls getTransaction every --poll-interval ms until the
// transaction is committed or failed, or --timeout passes.
#include <algorithm>
#include <chrono>
#include <thread>

#include "wallet/transfer.h"
#include "wallet/values.h"

namespace phalanx::wallet {
namespace {

using nlohmann::json;

struct WaitSettings {
  double timeout_seconds = kWaitTimeoutSecondsDefault;
  int64_t poll_interval_ms = kPollIntervalMsDefault;
};

Checked<WaitSettings> parse_wait_settings(const Options& options) {
  WaitSettings settings;
  if (!options.timeout_seconds.empty()) {
    auto timeout = parse_timeout_seconds(options.timeout_seconds);
    if (!timeout) return usage_error(timeout.message());
    settings.timeout_seconds = *timeout;
  }
  if (!options.poll_interval_ms.empty()) {
    auto interval = parse_poll_interval_ms(options.poll_interval_ms);
    if (!interval) return usage_error(interval.message());
    settings.poll_interval_ms = *interval;
  }
  return settings;
}

Outcome sent_outcome(const std::string& hash, const std::string& status, int exit_code) {
  Outcome outcome = success(field_lines({{"hash", hash}, {"status", status}}),
                            json{{"hash", hash}, {"status", status}});
  outcome.exit_code = exit_code;
  return outcome;
}

Outcome finished_outcome(const std::string& hash, const TransactionStatus& found) {
  Outcome outcome = sent_outcome(hash, found.status, kExitOk);
  if (found.height) {
    outcome.text += field_lines({{"height", std::to_string(*found.height)}});
    (*outcome.document)["height"] = *found.height;
  }
  if (found.status == "failed") {
    outcome.exit_code = kExitTxFailed;
    outcome.text += field_lines({{"error", found.error}});
    (*outcome.document)["error"] = found.error;
    outcome.error = "transaction " + hash + " failed: " + found.error;
  }
  return outcome;
}

std::string seconds_text(double seconds) {
  std::string text = std::to_string(seconds);
  text.erase(text.find_last_not_of('0') + 1);
  if (text.back() == '.') text.pop_back();
  return text;
}

Outcome wait_for_outcome(RpcClient& client, const std::string& hash, const WaitSettings& wait) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(wait.timeout_seconds));
  std::string last_status = "pending";
  std::string last_problem;
  while (true) {
    NodeResult<std::optional<TransactionStatus>> found = get_transaction(client, hash);
    if (auto* call = std::get_if<CallFailure>(&found)) {
      last_problem = call->message;
    } else if (const auto& status = std::get<0>(found); !status) {
      last_status = "unknown";
      last_problem = "the node does not know the transaction";
    } else if (status->status != "pending") {
      return finished_outcome(hash, *status);
    } else {
      last_status = "pending";
      last_problem.clear();
    }
    const auto now = Clock::now();
    if (now >= deadline) break;
    std::this_thread::sleep_for(std::min<Clock::duration>(
        std::chrono::milliseconds(wait.poll_interval_ms), deadline - now));
  }
  Outcome outcome = sent_outcome(hash, last_status, kExitTxFailed);
  outcome.error = "timed out after " + seconds_text(wait.timeout_seconds) +
                  " s waiting for transaction " + hash + " (status: " + last_status +
                  (last_problem.empty() ? "" : "; " + last_problem) +
                  "); check later with 'phalanx-wallet tx " + hash + "'";
  return outcome;
}

Outcome rejected_outcome(const std::string& hash, const CallFailure& call) {
  if (!call.node_error) {
    Outcome outcome = call_failed(call, "cannot submit transaction " + hash);
    (*outcome.document)["hash"] = hash;
    return outcome;
  }
  Outcome outcome = sent_outcome(hash, "rejected", kExitTxFailed);
  (*outcome.document)["error"] = error_document(call.message, call.node_error)["error"];
  outcome.error = "the node rejected transaction " + hash + ": " + call.message;
  return outcome;
}

void record_sent(const Context& context, TransferPlan* plan) {
  const SentNonce sent{plan->chain_id, plan->nonce, context.io().now_ms()};
  const Status saved = save_nonce_record(
      plan->record_path, crypto::format_address(plan->from.address), plan->record, sent);
  if (!saved.is_ok()) {
    plan->notes.push_back("warning: cannot update the nonce record: " + saved.message());
  }
}

}  // namespace

Outcome run_sign(Context& context) {
  Checked<TransferPlan> plan = plan_transfer(context);
  if (auto* problem = std::get_if<Outcome>(&plan)) return *problem;
  Checked<ledger::SignedTransaction> signed_tx =
      sign_transfer(context, std::get<TransferPlan>(plan));
  if (auto* problem = std::get_if<Outcome>(&signed_tx)) return *problem;
  const auto& tx = std::get<ledger::SignedTransaction>(signed_tx);
  const std::string hash = crypto::to_hex(tx.hash);
  const std::string hex = hex_encode(tx.bytes);
  Outcome outcome =
      success(field_lines({{"hash", hash}, {"tx", hex}}), json{{"hash", hash}, {"tx", hex}});
  outcome.notes = std::get<TransferPlan>(plan).notes;
  return outcome;
}

Outcome run_send(Context& context) {
  Checked<WaitSettings> wait = parse_wait_settings(context.options());
  if (auto* problem = std::get_if<Outcome>(&wait)) return *problem;
  Checked<TransferPlan> planned = plan_transfer(context);
  if (auto* problem = std::get_if<Outcome>(&planned)) return *problem;
  TransferPlan& plan = std::get<TransferPlan>(planned);
  Checked<ledger::SignedTransaction> signed_tx = sign_transfer(context, plan);
  if (auto* problem = std::get_if<Outcome>(&signed_tx)) return *problem;
  const auto& tx = std::get<ledger::SignedTransaction>(signed_tx);
  const std::string hash = crypto::to_hex(tx.hash);

  Checked<RpcClient*> node = context.node();
  if (auto* problem = std::get_if<Outcome>(&node)) return *problem;
  RpcClient& client = *std::get<RpcClient*>(node);
  NodeResult<std::string> submitted = send_transaction(client, hex_encode(tx.bytes), hash);
  if (auto* call = std::get_if<CallFailure>(&submitted)) {
    Outcome outcome = rejected_outcome(hash, *call);
    outcome.notes.insert(outcome.notes.begin(), plan.notes.begin(), plan.notes.end());
    return outcome;
  }
  // Recorded before waiting, so a send started meanwhile already counts this nonce.
  record_sent(context, &plan);
  Outcome outcome = context.options().wait
                        ? wait_for_outcome(client, hash, std::get<WaitSettings>(wait))
                        : sent_outcome(hash, "pending", kExitOk);
  outcome.notes.insert(outcome.notes.begin(), plan.notes.begin(), plan.notes.end());
  return outcome;
}

}  // namespace phalanx::wallet
