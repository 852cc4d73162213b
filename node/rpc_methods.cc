#include "node/rpc_methods.h"

#include <array>
#include <vector>

#include "node/rpc_params.h"
#include "node/rpc_results.h"

namespace phalanx::node {

namespace {

using jsonrpc::Error;
using jsonrpc::Json;
using jsonrpc::Outcome;
using Args = std::vector<const Json*>;
using Handler = Outcome (*)(RpcBackend&, const Args&);

Error backend_error(const Status& status) {
  return Error{jsonrpc::kInternalError, "internal error: the node could not answer",
               status.message()};
}

// Shapes a backend answer, or reports why there is none.
template <typename T, typename Shape>
Outcome answer(const Result<T>& result, Shape shape) {
  if (!result) return backend_error(result.status());
  return Json(shape(*result));
}

template <typename T, typename Shape>
Outcome answer_or_null(const Result<std::optional<T>>& result, Shape shape) {
  if (!result) return backend_error(result.status());
  if (!result->has_value()) return Json(nullptr);
  return Json(shape(**result));
}

Outcome get_health(RpcBackend&, const Args&) { return Json("ok"); }

Outcome get_status(RpcBackend& backend, const Args&) {
  return answer(backend.status(), rpc::status_json);
}

Outcome get_block_height(RpcBackend& backend, const Args&) {
  return answer(backend.block_height(), [](uint64_t height) { return Json(height); });
}

Outcome get_balance(RpcBackend& backend, const Args& args) {
  auto address = rpc::address_param(*args[0], "address");
  if (auto* error = std::get_if<Error>(&address)) return *error;
  return answer(backend.account(std::get<crypto::Address>(address)),
                [](const AccountInfo& account) { return Json(account.balance); });
}

Outcome get_account(RpcBackend& backend, const Args& args) {
  auto parsed = rpc::address_param(*args[0], "address");
  if (auto* error = std::get_if<Error>(&parsed)) return *error;
  const crypto::Address& address = std::get<crypto::Address>(parsed);
  return answer(backend.account(address),
                [&](const AccountInfo& account) { return rpc::account_json(address, account); });
}

Outcome send_transaction(RpcBackend& backend, const Args& args) {
  auto parsed = rpc::transaction_param(*args[0], "tx");
  if (auto* error = std::get_if<Error>(&parsed)) return *error;
  const ledger::SignedTransaction& tx = std::get<ledger::SignedTransaction>(parsed);
  // Deferred: in a batch every transaction is handed over before any answer is awaited.
  std::function<Submission()> wait = backend.begin_submit(tx);
  std::string hash = crypto::to_hex(tx.hash);
  return jsonrpc::Deferred{[wait = std::move(wait), hash = std::move(hash)]() -> jsonrpc::Answer {
    const Submission submission = wait();
    if (submission.error == AdmissionError::kNone) return Json(hash);
    std::string message = submission.message.empty()
                              ? std::string(admission_error_text(submission.error))
                              : submission.message;
    return Error{rpc_code(submission.error), std::move(message), Json{{"hash", hash}}};
  }};
}

Outcome get_transaction(RpcBackend& backend, const Args& args) {
  auto hash = rpc::hash_param(*args[0], "hash");
  if (auto* error = std::get_if<Error>(&hash)) return *error;
  return answer_or_null(backend.transaction(std::get<crypto::Hash>(hash)), rpc::transaction_json);
}

Outcome get_block(RpcBackend& backend, const Args& args) {
  auto height = rpc::integer_param(*args[0], "height", rpc::kJsonIntegerMax);
  if (auto* error = std::get_if<Error>(&height)) return *error;
  return answer_or_null(backend.block(std::get<uint64_t>(height)), rpc::block_json);
}

Outcome get_validators(RpcBackend& backend, const Args&) {
  return answer(backend.validators(), rpc::validators_json);
}

struct Method {
  std::string_view name;
  std::span<const std::string_view> params;
  Handler run;
};

constexpr std::array<std::string_view, 0> kNone{};
constexpr std::array<std::string_view, 1> kAddress{"address"};
constexpr std::array<std::string_view, 1> kTx{"tx"};
constexpr std::array<std::string_view, 1> kHash{"hash"};
constexpr std::array<std::string_view, 1> kHeight{"height"};

constexpr std::array<Method, 9> kMethods{{
    {"getHealth", kNone, get_health},
    {"getStatus", kNone, get_status},
    {"getBlockHeight", kNone, get_block_height},
    {"getBalance", kAddress, get_balance},
    {"getAccount", kAddress, get_account},
    {"sendTransaction", kTx, send_transaction},
    {"getTransaction", kHash, get_transaction},
    {"getBlock", kHeight, get_block},
    {"getValidators", kNone, get_validators},
}};

const Method* find_method(std::string_view name) {
  for (const Method& method : kMethods) {
    if (method.name == name) return &method;
  }
  return nullptr;
}

}  // namespace

Outcome RpcMethods::call(const std::string& method, const Json& params) const {
  const Method* found = find_method(method);
  if (found == nullptr) {
    return Error{jsonrpc::kMethodNotFound, "method not found: \"" + rpc::echo(method) + "\"",
                 Json{{"method", rpc::echo(method)}}};
  }
  auto bound = rpc::bind_params(params, found->params);
  if (auto* error = std::get_if<Error>(&bound)) return *error;
  return found->run(backend_, std::get<Args>(bound));
}

std::span<const std::string_view> RpcMethods::names() {
  static const std::array<std::string_view, kMethods.size()> names = [] {
    std::array<std::string_view, kMethods.size()> out{};
    for (size_t i = 0; i < kMethods.size(); ++i) out[i] = kMethods[i].name;
    return out;
  }();
  return names;
}

}  // namespace phalanx::node
