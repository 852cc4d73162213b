// Strict parsing of HOME/config.json. Every field is described once (fields()), and both
// the parser and the writer walk that table, so they cannot disagree.
#include "node/config.h"

#include <array>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <variant>
#include <vector>

#include "ledger/strict_json.h"

namespace phalanx::node {

namespace {

using nlohmann::json;

constexpr size_t kJsonDepthMax = 2;  // root object > section object
constexpr size_t kHostBytesMax = 253;
constexpr std::array<std::string_view, 7> kLogLevels = {"trace", "debug",    "info", "warn",
                                                        "error", "critical", "off"};

struct Field {
  std::string_view section;
  std::string_view key;
  std::variant<uint16_t*, uint32_t*, uint64_t*, std::string*> target;
  uint64_t low = 0;  // numbers: inclusive range
  uint64_t high = 0;
};

std::vector<Field> fields(NodeConfig& c) {
  constexpr uint64_t kU32 = UINT32_MAX;
  return {
      {"p2p", "host", &c.p2p_host},
      {"p2p", "port", &c.p2p_port, 1, 65535},
      {"p2p", "source_host", &c.p2p_source_host},
      {"rpc", "host", &c.rpc_host},
      {"rpc", "port", &c.rpc_port, 1, 65535},
      {"rpc", "threads", &c.rpc_threads, 1, 256},
      {"rpc", "body_bytes_max", &c.rpc_body_bytes_max, 1024, uint64_t{64} << 20},
      {"rpc", "batch_max", &c.rpc_batch_max, 1, 10'000},
      {"rpc", "calls_per_second", &c.rpc_calls_per_second, 0, 1'000'000},
      {"rpc", "calls_burst", &c.rpc_calls_burst, 1, 1'000'000},
      {"rpc", "sends_per_second", &c.rpc_sends_per_second, 0, 1'000'000},
      {"rpc", "sends_burst", &c.rpc_sends_burst, 1, 1'000'000},
      {"rpc", "submit_timeout_ms", &c.rpc_submit_timeout_ms, 10, 600'000},
      {"mempool", "min_fee", &c.min_fee, 0, (uint64_t{1} << 53) - 1},
      {"mempool", "txs_max", &c.mempool_txs_max, 1, 10'000'000},
      {"mempool", "bytes_max", &c.mempool_bytes_max, 1024, uint64_t{4} << 30},
      {"mempool", "sender_txs_max", &c.mempool_sender_txs_max, 1, 1'000'000},
      {"mempool", "nonce_gap_max", &c.mempool_nonce_gap_max, 0, 1'000'000},
      {"mempool", "gapped_ttl_ms", &c.mempool_gapped_ttl_ms, 1'000, 86'400'000},
      {"consensus", "tick_ms", &c.tick_ms, 1, 1'000},
      {"consensus", "retransmit_ms", &c.retransmit_ms, 10, 600'000},
      {"consensus", "timestamp_skew_ms", &c.timestamp_skew_ms, 0, 600'000},
      {"consensus", "propose_delay_ms", &c.propose_delay_ms, 0, 10'000},
      {"consensus", "propose_batch_txs", &c.propose_batch_txs, 1, kU32},
      {"consensus", "view_change_timeout_ms", &c.view_change_timeout_ms, 0, 600'000},
      {"node", "verify_threads", &c.verify_threads, 0, 256},
      {"node", "event_queue_events_max", &c.event_queue_events_max, 16, 10'000'000},
      {"node", "event_queue_bytes_max", &c.event_queue_bytes_max, uint64_t{4} << 20,
       uint64_t{16} << 30},
      {"log", "level", &c.log_level},
  };
}

std::string path_of(const Field& field) {
  std::string path(field.section);
  path += '.';
  path += field.key;
  return path;
}

Status check_string(const Field& field, const std::string& value) {
  const std::string path = path_of(field);
  if (field.key == "level") {
    for (std::string_view level : kLogLevels) {
      if (value == level) return Status::ok();
    }
    return Status::error(path + ": unknown log level '" + value +
                         "' (trace, debug, info, warn, error, critical, off)");
  }
  if (field.key == "source_host" && value.empty()) return Status::ok();  // the OS picks
  if (value.empty() || value.size() > kHostBytesMax) {
    return Status::error(path + ": a host name of 1.." + std::to_string(kHostBytesMax) +
                         " characters is required");
  }
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':';
    if (!ok) return Status::error(path + ": '" + value + "' is not a host name or IP address");
  }
  return Status::ok();
}

Status read_field(const Field& field, const json& value) {
  const std::string path = path_of(field);
  if (auto* text = std::get_if<std::string*>(&field.target)) {
    if (!value.is_string()) return Status::error(path + ": expected a string");
    PHALANX_RETURN_IF_ERROR(check_string(field, value.get<std::string>()));
    **text = value.get<std::string>();
    return Status::ok();
  }
  if (!value.is_number_unsigned()) {
    return Status::error(path + ": expected a non-negative integer");
  }
  const uint64_t number = value.get<uint64_t>();
  if (number < field.low || number > field.high) {
    return Status::error(path + ": " + std::to_string(number) + " is out of range " +
                         std::to_string(field.low) + ".." + std::to_string(field.high));
  }
  std::visit(
      [&](auto* target) {
        using T = std::remove_pointer_t<decltype(target)>;
        if constexpr (std::is_integral_v<T>) *target = static_cast<T>(number);
      },
      field.target);
  return Status::ok();
}

// Every section and key present must be known.
Status check_known(const json& root, const std::vector<Field>& table) {
  for (const auto& [section, members] : root.items()) {
    bool known_section = false;
    for (const Field& field : table) known_section |= field.section == section;
    if (!known_section) return Status::error(section + ": unknown section");
    if (!members.is_object()) return Status::error(section + ": expected an object");
    for (const auto& [key, value] : members.items()) {
      bool known_key = false;
      for (const Field& field : table) known_key |= field.section == section && field.key == key;
      if (!known_key) return Status::error(section + "." + key + ": unknown key");
    }
  }
  return Status::ok();
}

}  // namespace

Result<NodeConfig> parse_node_config(std::string_view json_text) {
  if (json_text.size() > node_config_bytes_max) {
    return Status::error("larger than " + std::to_string(node_config_bytes_max) + " bytes");
  }
  auto parsed = ledger::parse_strict_json(json_text, kJsonDepthMax);
  if (!parsed) return Status::error("invalid JSON: " + parsed.message());
  const json& root = *parsed;
  if (!root.is_object()) return Status::error("expected a JSON object");
  NodeConfig config;
  const std::vector<Field> table = fields(config);
  PHALANX_RETURN_IF_ERROR(check_known(root, table));
  for (const Field& field : table) {
    const auto section = root.find(field.section);
    if (section == root.end()) continue;
    const auto value = section->find(field.key);
    if (value == section->end()) continue;
    PHALANX_RETURN_IF_ERROR(read_field(field, *value));
  }
  return config;
}

Result<NodeConfig> load_node_config(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::error("cannot read " + path + " (run `phalanxd init` first)");
  std::string text(node_config_bytes_max + 1, '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(file.gcount()));
  auto config = parse_node_config(text);
  if (!config) return Status::error(path + ": " + config.message());
  return config;
}

std::string node_config_to_json(const NodeConfig& config) {
  NodeConfig copy = config;
  json root = json::object();
  for (const Field& field : fields(copy)) {
    json& slot = root[std::string(field.section)][std::string(field.key)];
    std::visit(
        [&](auto* target) {
          using T = std::remove_pointer_t<decltype(target)>;
          if constexpr (std::is_integral_v<T>) {
            slot = static_cast<uint64_t>(*target);
          } else {
            slot = *target;
          }
        },
        field.target);
  }
  return root.dump(2) + "\n";
}

}  // namespace phalanx::node
