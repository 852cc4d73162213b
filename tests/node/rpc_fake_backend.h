// A scripted RpcBackend for the JSON-RPC tests: fixed answers set by the test, every
// submitted transaction recorded, and a switch that makes every query fail.
// Thread-safety: one mutex (the server's workers call it concurrently).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "crypto/address.h"
#include "crypto/ed25519.h"
#include "ledger/transaction.h"
#include "node/rpc_backend.h"

namespace phalanx::node::testing {

inline constexpr const char* kChainId = "phalanx-test";

inline crypto::SecretKey test_key(uint8_t tag) {
  crypto::Seed seed{};
  seed.fill(tag);
  return crypto::SecretKey::from_seed(seed);
}

inline crypto::Address test_address(uint8_t tag) {
  return crypto::address_of(test_key(tag).public_key());
}

inline ledger::SignedTransaction test_transfer(uint64_t nonce, uint64_t amount = 5) {
  return ledger::make_transfer(test_key(1), kChainId, test_address(2), amount, 1, nonce);
}

inline crypto::Hash filled_hash(uint8_t byte) {
  crypto::Hash hash{};
  hash.fill(byte);
  return hash;
}

class FakeBackend : public RpcBackend {
 public:
  Result<NodeStatus> status() override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (failing_) return failure();
    return status_;
  }
  Result<uint64_t> block_height() override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (failing_) return failure();
    return status_.height;
  }
  Result<AccountInfo> account(const crypto::Address& address) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (failing_) return failure();
    const auto found = accounts_.find(address);
    return found == accounts_.end() ? AccountInfo{} : found->second;
  }
  Submission submit_transaction(const ledger::SignedTransaction& tx) override {
    std::lock_guard<std::mutex> lock(mutex_);
    submitted_.push_back(tx.hash);
    return submission_;
  }
  Result<std::optional<TxInfo>> transaction(const crypto::Hash& hash) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (failing_) return failure();
    const auto found = txs_.find(hash);
    if (found == txs_.end()) return std::optional<TxInfo>();
    return std::optional<TxInfo>(found->second);
  }
  Result<std::optional<BlockInfo>> block(uint64_t height) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (failing_) return failure();
    const auto found = blocks_.find(height);
    if (found == blocks_.end()) return std::optional<BlockInfo>();
    return std::optional<BlockInfo>(found->second);
  }
  Result<std::vector<ValidatorInfo>> validators() override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (failing_) return failure();
    return validators_;
  }

  // Scripting (call before the requests that depend on it).
  void set_status(NodeStatus status) {
    locked([&] { status_ = std::move(status); });
  }
  void set_account(const crypto::Address& address, AccountInfo account) {
    locked([&] { accounts_[address] = account; });
  }
  void set_submission(Submission submission) {
    locked([&] { submission_ = std::move(submission); });
  }
  void add_transaction(TxInfo tx) {
    locked([&] { txs_[tx.hash] = std::move(tx); });
  }
  void add_block(BlockInfo block) {
    locked([&] { blocks_[block.header.height] = std::move(block); });
  }
  void set_validators(std::vector<ValidatorInfo> validators) {
    locked([&] { validators_ = std::move(validators); });
  }
  void set_failing(bool failing) {
    locked([&] { failing_ = failing; });
  }
  std::vector<crypto::Hash> submitted() {
    std::lock_guard<std::mutex> lock(mutex_);
    return submitted_;
  }

 private:
  static Status failure() { return Status::error("the ledger store is unavailable"); }
  template <typename F>
  void locked(F f) {
    std::lock_guard<std::mutex> lock(mutex_);
    f();
  }

  std::mutex mutex_;
  bool failing_ = false;
  NodeStatus status_;
  std::map<crypto::Address, AccountInfo> accounts_;
  Submission submission_;
  std::vector<crypto::Hash> submitted_;
  std::map<crypto::Hash, TxInfo> txs_;
  std::map<uint64_t, BlockInfo> blocks_;
  std::vector<ValidatorInfo> validators_;
};

}  // namespace phalanx::node::testing
