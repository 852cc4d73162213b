// node::Home: the files of one phalanxd home directory and the operations on them.
//
//   HOME/config.json        operator settings (node/config.h)
//   HOME/node.key           the validator's Ed25519 seed, 64 hex characters + newline, 0600
//   HOME/genesis.json       the chain's genesis (ledger/genesis.h), copied in by the operator
//   HOME/data/ledger/       the ledger store (LMDB, ledger/store.h)
//   HOME/data/consensus/    the replica's durable records (records.log, node/consensus_store.h)
//   HOME/node.log           the node's log
//   HOME/node.lock          held (flock) by the running node: two nodes never share a home
//
// Thread-safety: value types and functions that touch only the files named.
#pragma once

#include <cstdint>
#include <string>

#include "crypto/ed25519.h"
#include "crypto/status.h"
#include "node/config.h"

namespace phalanx::node {

struct HomePaths {
  explicit HomePaths(std::string root_dir);
  std::string root;
  std::string config;
  std::string key;
  std::string genesis;
  std::string ledger_dir;
  std::string consensus_dir;
  std::string log;
  std::string lock;
};

// Creates HOME (0700 when new) with a fresh key and `config`. Refuses a HOME that already
// has a key or a config, so a validator key is never overwritten.
Result<crypto::PublicKey> init_home(const HomePaths& paths, const NodeConfig& config);

// Reads the seed; refuses a key file that other users may read or write, or that is not
// exactly 64 hex characters (a trailing newline allowed).
Result<crypto::SecretKey> load_node_key(const std::string& path);

// An exclusive advisory lock on HOME/node.lock for the life of the object. The kernel
// releases it when the process dies, so a SIGKILLed node never leaves a stale lock.
class HomeLock {
 public:
  static Result<HomeLock> acquire(const std::string& path);
  HomeLock(HomeLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  HomeLock& operator=(HomeLock&&) = delete;
  HomeLock(const HomeLock&) = delete;
  HomeLock& operator=(const HomeLock&) = delete;
  ~HomeLock();

 private:
  explicit HomeLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Writes `contents` to `path` through a temporary file and rename, with `mode`.
Status write_file_atomic(const std::string& path, const std::string& contents, unsigned mode);

}  // namespace phalanx::node
