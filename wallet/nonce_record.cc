#include "wallet/nonce_record.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "wallet/files.h"

namespace phalanx::wallet {
namespace {

using nlohmann::json;

bool fresh(const SentNonce& entry, int64_t now_ms) {
  // An entry from the future (the clock went back) is not trusted: the node's
  // pendingNonce is always a safe fallback.
  return entry.time_ms <= now_ms && now_ms - entry.time_ms < kNonceWindowMs;
}

Result<SentNonce> parse_entry(const json& entry) {
  if (!entry.is_object() || !entry.contains("chain_id") || !entry["chain_id"].is_string() ||
      !entry.contains("nonce") || !entry["nonce"].is_number_unsigned() ||
      !entry.contains("time_ms") || !entry["time_ms"].is_number_integer()) {
    return Status::error("an entry lacks a string chain_id, an unsigned nonce or a time_ms");
  }
  return SentNonce{entry["chain_id"].get<std::string>(), entry["nonce"].get<uint64_t>(),
                   entry["time_ms"].get<int64_t>()};
}

Result<std::vector<SentNonce>> parse_record(const std::string& text, const std::string& address) {
  const json record = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (record.is_discarded() || !record.is_object()) return Status::error("not a JSON object");
  if (record.value("version", json()) != json(1)) return Status::error("unsupported version");
  if (!record.contains("address") || !record["address"].is_string() || !record.contains("sent") ||
      !record["sent"].is_array()) {
    return Status::error("missing \"address\" or \"sent\"");
  }
  std::vector<SentNonce> entries;
  if (record["address"].get<std::string>() != address) return entries;  // the key was replaced
  if (record["sent"].size() > kNonceRecordEntriesMax) {
    return Status::error("more than " + std::to_string(kNonceRecordEntriesMax) + " entries");
  }
  for (const json& item : record["sent"]) {
    auto entry = parse_entry(item);
    if (!entry) return entry.status();
    entries.push_back(std::move(*entry));
  }
  return entries;
}

}  // namespace

std::string nonce_record_path(const std::string& keystore_dir, const std::string& key_name) {
  return keystore_dir + "/" + key_name + ".nonces.json";
}

Result<std::vector<SentNonce>> load_nonce_record(const std::string& path,
                                                 const std::string& address) {
  std::error_code error;
  if (!std::filesystem::exists(path, error) && !error) return std::vector<SentNonce>{};
  auto text = read_small_file(path, kNonceRecordBytesMax, "nonce record");
  if (!text) return text.status();
  auto entries = parse_record(*text, address);
  if (!entries)
    return Status::error("nonce record " + path + " is malformed: " + entries.message());
  return entries;
}

std::optional<uint64_t> recent_nonce(const std::vector<SentNonce>& entries,
                                     const std::string& chain_id, int64_t now_ms) {
  std::optional<uint64_t> highest;
  for (const SentNonce& entry : entries) {
    if (entry.chain_id != chain_id || !fresh(entry, now_ms)) continue;
    if (!highest || entry.nonce > *highest) highest = entry.nonce;
  }
  return highest;
}

Status save_nonce_record(const std::string& path, const std::string& address,
                         std::vector<SentNonce> entries, const SentNonce& sent) {
  std::erase_if(entries, [&](const SentNonce& entry) { return !fresh(entry, sent.time_ms); });
  entries.push_back(sent);
  std::sort(entries.begin(), entries.end(),
            [](const SentNonce& a, const SentNonce& b) { return a.nonce > b.nonce; });
  if (entries.size() > kNonceRecordEntriesMax) entries.resize(kNonceRecordEntriesMax);
  json sent_list = json::array();
  for (const SentNonce& entry : entries) {
    sent_list.push_back(
        {{"chain_id", entry.chain_id}, {"nonce", entry.nonce}, {"time_ms", entry.time_ms}});
  }
  const json record = {{"version", 1}, {"address", address}, {"sent", sent_list}};
  return write_file_atomically(path, record.dump(2) + "\n");
}

}  // namespace phalanx::wallet
