// The wallet's commands. Each takes the parsed command line through a Context and returns
// an Outcome; none prints. Context resolves the keystore directory and the node's URL from
// flags and the environment, opens the RPC client only when a command needs the node (so
// offline commands work with no node and any PHALANX_RPC), and holds the shared helpers for
// looking up keys and recipients.
// Thread-safety: a Context and the commands run on one thread.
#pragma once

#include <memory>
#include <string>

#include "crypto/keystore.h"
#include "wallet/options.h"
#include "wallet/output.h"
#include "wallet/rpc_client.h"

namespace phalanx::wallet {

constexpr const char* kDefaultRpcUrl = "http://127.0.0.1:26601";
constexpr const char* kKdfEnvironmentVariable = "PHALANX_KEYSTORE_KDF";

class Context {
 public:
  Context(const Options& options, const WalletIo& io);

  const Options& options() const { return options_; }
  const WalletIo& io() const { return io_; }

  // --keystore, else $PHALANX_KEYSTORE, else $HOME/.phalanx/keystore.
  Checked<std::string> keystore_dir() const;
  // The client for --rpc, else $PHALANX_RPC, else kDefaultRpcUrl; created on first use.
  Checked<RpcClient*> node();

  // The public information of key `name`; "unknown key name" when it has no key file.
  Checked<crypto::KeyInfo> find_key(const std::string& name) const;
  // `text` as an address when it starts with "phx1", else as a key name. `flag` words errors.
  Checked<crypto::Address> resolve_target(const std::string& text, const std::string& flag) const;
  // Asks for the password and decrypts key `name`.
  Checked<crypto::SecretKey> unlock(const std::string& name) const;
  // Argon2id cost for new keys: interactive, or the test-only minimum (PHALANX_KEYSTORE_KDF).
  Checked<crypto::KeystoreParams> kdf_params() const;

 private:
  std::string environment(const std::string& name) const;

  const Options& options_;
  const WalletIo& io_;
  std::unique_ptr<RpcClient> client_;
};

Outcome run_new(Context& context);
Outcome run_import(Context& context);
Outcome run_list(Context& context);
Outcome run_address(Context& context);
Outcome run_balance(Context& context);
Outcome run_tx(Context& context);
Outcome run_sign(Context& context);
Outcome run_send(Context& context);

}  // namespace phalanx::wallet
