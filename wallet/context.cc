// Context: where the keystore and the node are, and key lookup shared by the commands.
#include <filesystem>

#include "wallet/commands.h"
#include "wallet/password.h"
#include "wallet/values.h"

namespace phalanx::wallet {

Context::Context(const Options& options, const WalletIo& io) : options_(options), io_(io) {}

std::string Context::environment(const std::string& name) const {
  return io_.getenv(name).value_or("");
}

Checked<std::string> Context::keystore_dir() const {
  if (!options_.keystore.empty()) return options_.keystore;
  std::string dir = environment("PHALANX_KEYSTORE");
  if (!dir.empty()) return dir;
  const std::string home = environment("HOME");
  if (home.empty()) return failure("no keystore: set --keystore DIR, PHALANX_KEYSTORE or HOME");
  return home + "/.phalanx/keystore";
}

Checked<RpcClient*> Context::node() {
  if (client_) return client_.get();
  std::string url = options_.rpc;
  if (url.empty()) url = environment("PHALANX_RPC");
  if (url.empty()) url = kDefaultRpcUrl;
  auto endpoint = parse_rpc_url(url);
  if (!endpoint) return usage_error(endpoint.message());
  client_ = std::make_unique<RpcClient>(url, *endpoint);
  return client_.get();
}

Checked<crypto::KeyInfo> Context::find_key(const std::string& name) const {
  const Status valid = crypto::validate_key_name(name);
  if (!valid.is_ok()) return usage_error(valid.message());
  Checked<std::string> dir = keystore_dir();
  if (auto* problem = std::get_if<Outcome>(&dir)) return *problem;
  const std::string& keystore = std::get<std::string>(dir);
  std::error_code error;
  if (!std::filesystem::exists(keystore + "/" + name + ".key", error) && !error) {
    return failure("unknown key name '" + name + "': keystore " + keystore +
                   " has no such key (see 'phalanx-wallet list')");
  }
  auto info = crypto::keystore_info(keystore, name);
  if (!info) return failure(info.message());
  return std::move(*info);
}

Checked<crypto::Address> Context::resolve_target(const std::string& text,
                                                 const std::string& flag) const {
  if (looks_like_address(text)) {
    auto address = crypto::parse_address(text);
    if (!address) {
      return usage_error(flag + " '" + text + "': " + address.message());
    }
    return *address;
  }
  if (!crypto::validate_key_name(text).is_ok()) {
    return usage_error(flag + " '" + text +
                       "' is neither a key name nor an address (addresses start with phx1)");
  }
  Checked<crypto::KeyInfo> key = find_key(text);
  if (auto* problem = std::get_if<Outcome>(&key)) return *problem;
  return std::get<crypto::KeyInfo>(key).address;
}

Checked<crypto::SecretKey> Context::unlock(const std::string& name) const {
  Checked<crypto::KeyInfo> key = find_key(name);
  if (auto* problem = std::get_if<Outcome>(&key)) return *problem;
  auto password = obtain_password(options_.password_file, io_, name, PasswordUse::kUnlock);
  if (!password) return failure("cannot unlock key '" + name + "': " + password.message());
  auto secret = crypto::keystore_unlock(std::get<std::string>(keystore_dir()), name, *password);
  wipe(&*password);
  if (!secret) return failure("cannot unlock key '" + name + "': " + secret.message());
  return std::move(*secret);
}

Checked<crypto::KeystoreParams> Context::kdf_params() const {
  const std::string setting = environment(kKdfEnvironmentVariable);
  if (setting.empty() || setting == "interactive") return crypto::KeystoreParams::interactive();
  if (setting == "minimum") return crypto::KeystoreParams::minimum();
  return usage_error(std::string(kKdfEnvironmentVariable) + " must be 'interactive' or " +
                     "'minimum' (test only), got '" + setting + "'");
}

}  // namespace phalanx::wallet
