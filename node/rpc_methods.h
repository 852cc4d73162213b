// The JSON-RPC method table of phalanxd (CONTRACT: "JSON-RPC 2.0"): for each method its
// parameter names, how they are parsed (node/rpc_params.h), which RpcBackend question it
// asks and how the answer is shaped (node/rpc_results.h).
//
//   getHealth        ()         "ok"
//   getStatus        ()         status object
//   getBlockHeight   ()         integer
//   getBalance       (address)  integer
//   getAccount       (address)  account object
//   sendTransaction  (tx)       tx hash (hex)
//   getTransaction   (hash)     transaction object | null
//   getBlock         (height)   block object | null
//   getValidators    ()         [validator object]
//
// Every method takes its params positionally ([...]) or by name ({...}); methods without
// params accept absent params, [] or {}.
// Thread-safety: call() may run concurrently; it only reads the table and calls the
// (thread-safe) backend.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "node/jsonrpc.h"
#include "node/rpc_backend.h"

namespace phalanx::node {

class RpcMethods {
 public:
  explicit RpcMethods(RpcBackend& backend) : backend_(backend) {}

  // Runs `method` with `params` (an array, an object, or null when absent); -32601 for a
  // name not in the table.
  jsonrpc::Outcome call(const std::string& method, const jsonrpc::Json& params) const;

  // The method names, in the order above.
  static std::span<const std::string_view> names();

 private:
  RpcBackend& backend_;
};

}  // namespace phalanx::node
