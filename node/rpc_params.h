// JSON-RPC parameter binding and typed parameter parsing for the method table
// (node/rpc_methods.h). Every failure is a jsonrpc::Error with the contract's code:
//   -32602 invalid params: wrong count, unknown or missing names, wrong JSON types,
//          negative / fractional / too large integers, malformed hex or hashes
//   -32010 invalid address (format or checksum, with parse_address's reason)
//   -32001 transaction cannot be decoded (well-formed hex that is not a transaction)
// and `data` = {"param": name} so a client knows which argument to fix.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "crypto/address.h"
#include "crypto/hash.h"
#include "ledger/transaction.h"
#include "node/jsonrpc.h"

namespace phalanx::node::rpc {

using jsonrpc::Json;

template <typename T>
using Parsed = std::variant<T, jsonrpc::Error>;

// Every JSON integer the API reads or writes is at most this, so it is exact in a double.
constexpr uint64_t kJsonIntegerMax = (uint64_t{1} << 53) - 1;
// Longest string echoed back in an error's data.
constexpr size_t kEchoCharsMax = 128;

jsonrpc::Error invalid_params(std::string_view param, const std::string& why);
// `text`, cut to kEchoCharsMax characters, for quoting client input in an error.
std::string echo(std::string_view text);

// Binds params (array, object, or null when absent) to `names`, in `names` order. Positional
// params must number exactly names.size(); named params must give each name once and no
// other. The pointers point into `params`.
Parsed<std::vector<const Json*>> bind_params(const Json& params,
                                             std::span<const std::string_view> names);

// A JSON integer in 0..max (JSON floats, even integral ones like 1.0, are refused).
Parsed<uint64_t> integer_param(const Json& value, std::string_view name, uint64_t max);
// A bech32m "phx1..." address (crypto::parse_address).
Parsed<crypto::Address> address_param(const Json& value, std::string_view name);
// 64 hex characters.
Parsed<crypto::Hash> hash_param(const Json& value, std::string_view name);
// Hex of a signed transaction, decoded and hashed (signature not verified).
Parsed<ledger::SignedTransaction> transaction_param(const Json& value, std::string_view name);

}  // namespace phalanx::node::rpc
