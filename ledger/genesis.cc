// Genesis JSON (layout in genesis.h). Parsing is strict so every node reading the same file
// derives the same chain, and a typo fails loudly instead of silently taking a default:
// unknown fields, duplicate keys, wrong JSON types, non-integers, negative numbers and
// values above their bound are all rejected with the field's path in the message.
// Optional fields (default in brackets): pipeline_depth [4], checkpoint_interval [16],
// block_txs_max [4096], block_bytes_max [1048576].
#include "ledger/genesis.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "crypto/domain.h"
#include "ledger/strict_json.h"

namespace phalanx::ledger {
namespace {

using nlohmann::json;

constexpr size_t kGenesisBytesMax = 16 << 20;
constexpr size_t kJsonDepthMax = 3;  // root object > validators array > validator object
constexpr size_t kValidatorsMin = 4;
constexpr size_t kValidatorsMax = 1024;
constexpr size_t kAllocationsMax = 100000;
constexpr uint64_t kPipelineDepthMax = 64;
constexpr uint64_t kCheckpointIntervalMax = 10000;
constexpr uint64_t kBlockTxsMaxCeiling = 65536;
constexpr uint64_t kBlockBytesMaxFloor = kBlockHeaderBytesMax + 2 + kTransactionBytesMax;
constexpr uint64_t kBlockBytesMaxCeiling = 64 << 20;
constexpr size_t kP2pCharsMax = 255;

// Builds "'name'" by appending: GCC 12 at -O3 raises a false -Wrestrict (bug 105329) on
// "'" + std::string(...).
std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.append(1, '\'').append(text).append(1, '\'');
  return out;
}

Status expect_fields(const json& object, std::initializer_list<std::string_view> required,
                     std::initializer_list<std::string_view> optional, const std::string& where) {
  if (!object.is_object()) return Status::error(where + " must be a JSON object");
  for (std::string_view field : required) {
    if (!object.contains(field)) {
      return Status::error("missing field " + quoted(field) + " in " + where);
    }
  }
  for (const auto& item : object.items()) {
    const auto known = [&](std::initializer_list<std::string_view> list) {
      return std::find(list.begin(), list.end(), item.key()) != list.end();
    };
    if (!known(required) && !known(optional)) {
      return Status::error("unknown field '" + item.key() + "' in " + where);
    }
  }
  return Status::ok();
}

// A rejected value as JSON text, cut short so a huge value cannot flood the message.
std::string preview(const json& value) {
  constexpr size_t kPreviewCharsMax = 40;
  std::string text = value.dump();
  if (text.size() > kPreviewCharsMax) text = text.substr(0, kPreviewCharsMax) + "...";
  return text;
}

Status uint_field(const json& object, const char* field, uint64_t min, uint64_t max,
                  uint64_t* out) {
  if (!object.contains(field)) return Status::ok();  // optional: keep the default
  const json& value = object.at(field);
  if (!value.is_number_unsigned() || value.get<uint64_t>() < min || value.get<uint64_t>() > max) {
    return Status::error(quoted(field) + " must be an integer from " + std::to_string(min) +
                         " to " + std::to_string(max) + ", got " + preview(value));
  }
  *out = value.get<uint64_t>();
  return Status::ok();
}

Status string_field(const json& object, const char* field, std::string* out) {
  const json& value = object.at(field);
  if (!value.is_string()) return Status::error(quoted(field) + " must be a string");
  *out = value.get<std::string>();
  return Status::ok();
}

Status validate_p2p(const std::string& p2p) {
  constexpr std::string_view kScheme = "tcp://";
  const size_t colon = p2p.rfind(':');
  const bool shaped = p2p.size() <= kP2pCharsMax && p2p.starts_with(kScheme) &&
                      colon != std::string::npos && colon > kScheme.size();
  if (!shaped) return Status::error("'p2p' must look like tcp://HOST:PORT, got '" + p2p + "'");
  for (size_t i = kScheme.size(); i < colon; ++i) {
    const char c = p2p[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') {
      return Status::error("'p2p' host has an invalid character in '" + p2p + "'");
    }
  }
  const std::string port = p2p.substr(colon + 1);
  const bool digits = !port.empty() && port.size() <= 5 &&
                      port.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || std::stoul(port) == 0 || std::stoul(port) > 65535) {
    return Status::error("'p2p' port must be 1..65535 in '" + p2p + "'");
  }
  return Status::ok();
}

Result<Validator> parse_validator(const json& object, const std::string& where) {
  PHALANX_RETURN_IF_ERROR(expect_fields(object, {"public_key", "p2p"}, {}, where));
  Validator validator;
  std::string key_hex;
  PHALANX_RETURN_IF_ERROR(string_field(object, "public_key", &key_hex));
  auto key = hex_decode_fixed<32>(key_hex);
  if (!key) return Status::error("'public_key': " + key.message());
  validator.public_key = *key;
  PHALANX_RETURN_IF_ERROR(string_field(object, "p2p", &validator.p2p));
  PHALANX_RETURN_IF_ERROR(validate_p2p(validator.p2p));
  return validator;
}

Result<Allocation> parse_allocation(const json& object, const std::string& where) {
  PHALANX_RETURN_IF_ERROR(expect_fields(object, {"address", "balance"}, {}, where));
  Allocation allocation;
  std::string address_text;
  PHALANX_RETURN_IF_ERROR(string_field(object, "address", &address_text));
  auto address = crypto::parse_address(address_text);
  if (!address) return Status::error("'address': " + address.message());
  allocation.address = *address;
  PHALANX_RETURN_IF_ERROR(uint_field(object, "balance", 1, kAmountMax, &allocation.balance));
  return allocation;
}

// Prefixes an element's errors with its path, e.g. "validators[2]: ...".
template <typename T>
Result<T> at_path(Result<T> result, const std::string& where) {
  if (result) return result;
  return Status::error(where + ": " + result.message());
}

Status parse_validators(const json& list, Genesis* genesis) {
  if (!list.is_array()) return Status::error("'validators' must be an array");
  if (list.size() < kValidatorsMin || list.size() > kValidatorsMax) {
    return Status::error("'validators' must list " + std::to_string(kValidatorsMin) + " to " +
                         std::to_string(kValidatorsMax) + " validators, got " +
                         std::to_string(list.size()));
  }
  std::set<PublicKey> keys;
  std::set<std::string> endpoints;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = "validators[" + std::to_string(i) + "]";
    auto validator = at_path(parse_validator(list[i], where), where);
    if (!validator) return validator.status();
    if (!keys.insert(validator->public_key).second) {
      return Status::error(where + ": duplicate public key");
    }
    if (!endpoints.insert(validator->p2p).second) {
      return Status::error(where + ": duplicate p2p endpoint " + validator->p2p);
    }
    genesis->validators.push_back(std::move(*validator));
  }
  return Status::ok();
}

Status parse_allocations(const json& list, Genesis* genesis) {
  if (!list.is_array()) return Status::error("'allocations' must be an array");
  if (list.size() > kAllocationsMax) {
    return Status::error("'allocations' lists " + std::to_string(list.size()) +
                         " accounts, the maximum is " + std::to_string(kAllocationsMax));
  }
  std::set<Address> addresses;
  uint64_t supply = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = "allocations[" + std::to_string(i) + "]";
    auto allocation = at_path(parse_allocation(list[i], where), where);
    if (!allocation) return allocation.status();
    if (!addresses.insert(allocation->address).second) {
      return Status::error(where + ": duplicate address");
    }
    if (allocation->balance > kAmountMax - supply) {
      return Status::error("total supply exceeds 2^53-1 (9007199254740991) at " + where);
    }
    supply += allocation->balance;
    genesis->allocations.push_back(*allocation);
  }
  return Status::ok();
}

Status parse_parameters(const json& document, Genesis* genesis) {
  PHALANX_RETURN_IF_ERROR(string_field(document, "chain_id", &genesis->chain_id));
  Status chain = crypto::validate_chain_id(genesis->chain_id);
  if (!chain) return Status::error("'chain_id': " + chain.message());
  PHALANX_RETURN_IF_ERROR(
      uint_field(document, "genesis_time_ms", 0, kAmountMax, &genesis->genesis_time_ms));
  uint64_t depth = genesis->pipeline_depth;
  uint64_t interval = genesis->checkpoint_interval;
  uint64_t txs_max = genesis->block_limits.txs_max;
  uint64_t bytes_max = genesis->block_limits.bytes_max;
  PHALANX_RETURN_IF_ERROR(uint_field(document, "pipeline_depth", 1, kPipelineDepthMax, &depth));
  PHALANX_RETURN_IF_ERROR(
      uint_field(document, "checkpoint_interval", 1, kCheckpointIntervalMax, &interval));
  PHALANX_RETURN_IF_ERROR(uint_field(document, "block_txs_max", 1, kBlockTxsMaxCeiling, &txs_max));
  PHALANX_RETURN_IF_ERROR(uint_field(document, "block_bytes_max", kBlockBytesMaxFloor,
                                     kBlockBytesMaxCeiling, &bytes_max));
  genesis->pipeline_depth = static_cast<uint32_t>(depth);
  genesis->checkpoint_interval = static_cast<uint32_t>(interval);
  genesis->block_limits.txs_max = static_cast<uint32_t>(txs_max);
  genesis->block_limits.bytes_max = static_cast<uint32_t>(bytes_max);
  return Status::ok();
}

Result<Genesis> parse_document(const json& document) {
  PHALANX_RETURN_IF_ERROR(expect_fields(
      document, {"chain_id", "genesis_time_ms", "validators", "allocations"},
      {"pipeline_depth", "checkpoint_interval", "block_txs_max", "block_bytes_max"}, "genesis"));
  Genesis genesis;
  PHALANX_RETURN_IF_ERROR(parse_parameters(document, &genesis));
  PHALANX_RETURN_IF_ERROR(parse_validators(document.at("validators"), &genesis));
  PHALANX_RETURN_IF_ERROR(parse_allocations(document.at("allocations"), &genesis));
  return genesis;
}

}  // namespace

uint64_t Genesis::total_supply() const {
  uint64_t supply = 0;
  for (const Allocation& allocation : allocations) {
    PHALANX_ASSERT(allocation.balance <= kAmountMax - supply);
    supply += allocation.balance;
  }
  return supply;
}

Result<Genesis> parse_genesis(std::string_view json_text) {
  if (json_text.size() > kGenesisBytesMax) {
    return Status::error("genesis: larger than " + std::to_string(kGenesisBytesMax) + " bytes");
  }
  auto document = parse_strict_json(json_text, kJsonDepthMax);
  if (!document) return Status::error("genesis: " + document.message());
  auto genesis = parse_document(*document);
  if (!genesis) return Status::error("genesis: " + genesis.message());
  return genesis;
}

Result<Genesis> load_genesis(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::error("cannot open genesis file " + path);
  std::string text;
  char buffer[1 << 16];
  while (file.read(buffer, sizeof buffer) || file.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(file.gcount()));
    if (text.size() > kGenesisBytesMax) {
      return Status::error("genesis file " + path + " is larger than " +
                           std::to_string(kGenesisBytesMax) + " bytes");
    }
  }
  if (file.bad()) return Status::error("cannot read genesis file " + path);
  auto genesis = parse_genesis(text);
  if (!genesis) return Status::error(path + ": " + genesis.message());
  return genesis;
}

std::string genesis_to_json(const Genesis& genesis) {
  nlohmann::ordered_json validators = nlohmann::ordered_json::array();
  for (const Validator& validator : genesis.validators) {
    validators.push_back(
        {{"public_key", hex_encode(validator.public_key)}, {"p2p", validator.p2p}});
  }
  nlohmann::ordered_json allocations = nlohmann::ordered_json::array();
  for (const Allocation& allocation : genesis.allocations) {
    allocations.push_back(
        {{"address", crypto::format_address(allocation.address)}, {"balance", allocation.balance}});
  }
  nlohmann::ordered_json document = {{"chain_id", genesis.chain_id},
                                     {"genesis_time_ms", genesis.genesis_time_ms},
                                     {"pipeline_depth", genesis.pipeline_depth},
                                     {"checkpoint_interval", genesis.checkpoint_interval},
                                     {"block_txs_max", genesis.block_limits.txs_max},
                                     {"block_bytes_max", genesis.block_limits.bytes_max},
                                     {"validators", std::move(validators)},
                                     {"allocations", std::move(allocations)}};
  return document.dump(2) + "\n";
}

}  // namespace phalanx::ledger
