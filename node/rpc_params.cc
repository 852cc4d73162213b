#include "node/rpc_params.h"

#include <algorithm>

#include "node/mempool_error.h"

namespace phalanx::node::rpc {

namespace {

Json param_data(std::string_view param) { return Json{{"param", std::string(param)}}; }

std::string type_name(const Json& value) {
  if (value.is_number_float()) return "a non-integer number";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_boolean()) return "a boolean";
  if (value.is_null()) return "null";
  if (value.is_array()) return "an array";
  return "an object";
}

std::string plural(size_t count, std::string_view noun) {
  return std::to_string(count) + " " + std::string(noun) + (count == 1 ? "" : "s");
}

std::string names_list(std::span<const std::string_view> names) {
  if (names.empty()) return "none";
  std::string out;
  for (const std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out.push_back('"');
    out.append(name);
    out.push_back('"');
  }
  return out;
}

Parsed<std::vector<const Json*>> bind_named(const Json& params,
                                            std::span<const std::string_view> names) {
  std::vector<const Json*> bound;
  for (const auto& [key, value] : params.items()) {
    if (std::find(names.begin(), names.end(), key) == names.end()) {
      return invalid_params(
          key, "unknown parameter \"" + echo(key) + "\"; expected: " + names_list(names));
    }
  }
  for (const std::string_view name : names) {
    const auto found = params.find(std::string(name));
    if (found == params.end()) {
      return invalid_params(name, "missing parameter \"" + std::string(name) + "\"");
    }
    bound.push_back(&*found);
  }
  return bound;
}

}  // namespace

std::string echo(std::string_view text) {
  if (text.size() <= kEchoCharsMax) return std::string(text);
  return std::string(text.substr(0, kEchoCharsMax)) + "...";
}

jsonrpc::Error invalid_params(std::string_view param, const std::string& why) {
  return jsonrpc::Error{jsonrpc::kInvalidParams, "invalid params: " + why, param_data(param)};
}

Parsed<std::vector<const Json*>> bind_params(const Json& params,
                                             std::span<const std::string_view> names) {
  if (params.is_object()) return bind_named(params, names);
  const size_t given = params.is_array() ? params.size() : 0;  // absent params: none
  if (given != names.size()) {
    jsonrpc::Error error{jsonrpc::kInvalidParams,
                         "invalid params: expected " + plural(names.size(), "parameter") + " (" +
                             names_list(names) + "), got " + std::to_string(given),
                         nullptr};
    return error;
  }
  std::vector<const Json*> bound;
  for (const Json& value : params) bound.push_back(&value);
  return bound;
}

Parsed<uint64_t> integer_param(const Json& value, std::string_view name, uint64_t max) {
  const std::string range = "an integer from 0 to " + std::to_string(max);
  if (value.is_number_integer() && !value.is_number_unsigned()) {
    return invalid_params(name,
                          std::string(name) + " must be " + range + ", got a negative number");
  }
  if (!value.is_number_unsigned()) {
    return invalid_params(name,
                          std::string(name) + " must be " + range + ", got " + type_name(value));
  }
  const uint64_t number = value.get<uint64_t>();
  if (number > max) {
    return invalid_params(
        name, std::string(name) + " must be " + range + ", got " + std::to_string(number));
  }
  return number;
}

Parsed<crypto::Address> address_param(const Json& value, std::string_view name) {
  if (!value.is_string()) {
    return invalid_params(
        name, std::string(name) + " must be a \"phx1...\" address string, got " + type_name(value));
  }
  const std::string& text = value.get_ref<const std::string&>();
  Result<crypto::Address> address = crypto::parse_address(text);
  if (!address) {
    return jsonrpc::Error{rpc_code(AdmissionError::kInvalidAddress), address.message(),
                          Json{{"param", std::string(name)}, {"address", echo(text)}}};
  }
  return *address;
}

Parsed<crypto::Hash> hash_param(const Json& value, std::string_view name) {
  if (!value.is_string()) {
    return invalid_params(name, std::string(name) + " must be a string of 64 hex characters, got " +
                                    type_name(value));
  }
  Result<crypto::Hash> hash = hex_decode_fixed<32>(value.get_ref<const std::string&>());
  if (!hash) return invalid_params(name, std::string(name) + ": " + hash.message());
  return *hash;
}

Parsed<ledger::SignedTransaction> transaction_param(const Json& value, std::string_view name) {
  if (!value.is_string()) {
    return invalid_params(name,
                          std::string(name) + " must be a hex string, got " + type_name(value));
  }
  const std::string& hex = value.get_ref<const std::string&>();
  const Json data = param_data(name);
  const std::string cannot = std::string(admission_error_text(AdmissionError::kDecode));
  // Bounded before decoding: no transaction is longer, so nothing longer is worth a copy.
  if (hex.size() > 2 * ledger::kTransactionBytesMax) {
    return jsonrpc::Error{rpc_code(AdmissionError::kDecode),
                          cannot + ": " + std::to_string(hex.size()) +
                              " hex characters, a transaction has at most " +
                              std::to_string(2 * ledger::kTransactionBytesMax),
                          data};
  }
  Result<Bytes> bytes = hex_decode(hex);
  if (!bytes) return invalid_params(name, std::string(name) + " must be hex: " + bytes.message());
  Result<ledger::SignedTransaction> tx = ledger::parse_signed_transaction(*bytes);
  if (!tx)
    return jsonrpc::Error{rpc_code(AdmissionError::kDecode), cannot + ": " + tx.message(), data};
  return std::move(tx).value();
}

}  // namespace phalanx::node::rpc
