// Offline key commands: new, import, list, address. None needs a node.
#include <algorithm>
#include <cctype>
#include <filesystem>

#include "crypto/bytes.h"
#include "wallet/commands.h"
#include "wallet/files.h"
#include "wallet/password.h"

namespace phalanx::wallet {
namespace {

using nlohmann::json;

// A seed file holds 64 hex characters, optionally "0x"-prefixed and surrounded by
// whitespace; anything longer is not a seed.
constexpr size_t kSeedFileBytesMax = 1024;

json key_document(const std::string& name, const crypto::Address& address) {
  return json{{"name", name}, {"address", crypto::format_address(address)}};
}

std::string trim(const std::string& text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return text.substr(begin, end - begin);
}

Result<crypto::Seed> read_seed_file(const std::string& path) {
  auto text = read_small_file(path, kSeedFileBytesMax, "seed file");
  if (!text) return text.status();
  std::string hex = trim(*text);
  wipe(&*text);
  if (hex.starts_with("0x") || hex.starts_with("0X")) hex.erase(0, 2);
  auto seed = hex_decode_fixed<32>(hex);
  wipe(&hex);
  if (!seed) {
    return Status::error(
        "seed file " + path +
        " must hold a 32-byte Ed25519 seed as 64 hex characters: " + seed.message());
  }
  return *seed;
}

// Checks the name and that it is free before anyone is asked for a password.
Checked<std::string> free_key_slot(const Context& context, const std::string& name) {
  const Status valid = crypto::validate_key_name(name);
  if (!valid.is_ok()) return usage_error(valid.message());
  Checked<std::string> dir = context.keystore_dir();
  if (auto* problem = std::get_if<Outcome>(&dir)) return *problem;
  std::error_code error;
  if (std::filesystem::exists(std::get<std::string>(dir) + "/" + name + ".key", error)) {
    return failure("a key named '" + name + "' already exists in keystore " +
                   std::get<std::string>(dir));
  }
  return dir;
}

Outcome create_key(const Context& context, const std::string& dir, crypto::Seed* seed) {
  const std::string& name = context.options().name;
  Checked<crypto::KeystoreParams> params = context.kdf_params();
  if (auto* problem = std::get_if<Outcome>(&params)) return *problem;
  auto password =
      obtain_password(context.options().password_file, context.io(), name, PasswordUse::kCreate);
  if (!password) return failure("cannot create key '" + name + "': " + password.message());
  const Status created = crypto::keystore_create(dir, name, *seed, *password,
                                                 std::get<crypto::KeystoreParams>(params));
  wipe(&*password);
  const crypto::PublicKey public_key = crypto::SecretKey::from_seed(*seed).public_key();
  crypto::secure_wipe(seed->data(), seed->size());
  if (!created.is_ok()) return failure("cannot create key '" + name + "': " + created.message());
  const crypto::Address address = crypto::address_of(public_key);
  Outcome outcome = success(crypto::format_address(address) + "\n", key_document(name, address));
  outcome.notes.push_back("created key '" + name + "' in " + dir);
  return outcome;
}

}  // namespace

Outcome run_new(Context& context) {
  Checked<std::string> dir = free_key_slot(context, context.options().name);
  if (auto* problem = std::get_if<Outcome>(&dir)) return *problem;
  crypto::Seed seed = crypto::SecretKey::generate().seed();
  return create_key(context, std::get<std::string>(dir), &seed);
}

Outcome run_import(Context& context) {
  Checked<std::string> dir = free_key_slot(context, context.options().name);
  if (auto* problem = std::get_if<Outcome>(&dir)) return *problem;
  auto seed = read_seed_file(context.options().seed_file);
  if (!seed)
    return failure("cannot import key '" + context.options().name + "': " + seed.message());
  return create_key(context, std::get<std::string>(dir), &*seed);
}

Outcome run_list(Context& context) {
  Checked<std::string> dir = context.keystore_dir();
  if (auto* problem = std::get_if<Outcome>(&dir)) return *problem;
  auto keys = crypto::keystore_list(std::get<std::string>(dir));
  if (!keys) return failure(keys.message());
  size_t width = 0;
  for (const crypto::KeyInfo& key : *keys) width = std::max(width, key.name.size());
  std::string text;
  json document = json::array();
  for (const crypto::KeyInfo& key : *keys) {
    text += key.name + std::string(width - key.name.size() + 2, ' ') +
            crypto::format_address(key.address) + "\n";
    document.push_back(key_document(key.name, key.address));
  }
  Outcome outcome = success(text, document);
  if (keys->empty()) outcome.notes.push_back("no keys in " + std::get<std::string>(dir));
  return outcome;
}

Outcome run_address(Context& context) {
  Checked<crypto::KeyInfo> key = context.find_key(context.options().name);
  if (auto* problem = std::get_if<Outcome>(&key)) return *problem;
  const crypto::KeyInfo& info = std::get<crypto::KeyInfo>(key);
  return success(crypto::format_address(info.address) + "\n",
                 key_document(info.name, info.address));
}

}  // namespace phalanx::wallet
