// The store tests' shared fixture: a test genesis with six funded users, a deterministic
// chain generator with a MemoryState model of what the store must hold, StoreTest (a fresh
// directory, options the test may change before open_store()), and the state tree's
// databases for tests of TreeCache alone.
// Thread-safety: key() caches and is main-thread only; the rest as the types they use.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ledger/store.h"
#include "tests/testutil/rng.h"
#include "tests/testutil/temp_dir.h"

namespace phalanx::ledger::store_fixture {

inline constexpr char kChain[] = "phalanx-store-test";
inline constexpr uint8_t kUsers = 6;

using testutil::Rng;

// The state tree's databases in the ledger environment `env` (created), for tests of
// TreeCache on its own.
inline TreeDatabases open_tree_databases(const lmdb::Env& env) {
  TreeDatabases databases;
  auto txn = lmdb::Txn::begin(env, false);
  EXPECT_TRUE(txn.is_ok());
  databases.legacy_tree = *lmdb::open_database(*txn, "tree", true);
  databases.pending = *lmdb::open_database(*txn, "pending", true);
  databases.meta = *lmdb::open_database(*txn, "meta", true);
  EXPECT_TRUE(txn->commit().is_ok());
  return databases;
}

// The tree environment beside a ledger environment in `dir`, as the store opens it.
inline std::unique_ptr<TreeFlusher> open_tree_flusher(const std::string& dir) {
  auto flusher = TreeFlusher::open(dir + "/tree", lmdb::EnvOptions{});
  EXPECT_TRUE(flusher.is_ok()) << flusher.status().to_string();
  return flusher.is_ok() ? std::move(flusher).value() : nullptr;
}

// Keys are cached (signing keys are derived once). Not thread-safe: main thread only.
inline const crypto::SecretKey& key(uint8_t i) {
  static std::map<uint8_t, crypto::SecretKey>* keys = new std::map<uint8_t, crypto::SecretKey>();
  auto it = keys->find(i);
  if (it == keys->end()) {
    crypto::Seed seed{};
    seed.fill(i);
    it = keys->emplace(i, crypto::SecretKey::from_seed(seed)).first;
  }
  return it->second;
}
inline Address address(uint8_t i) { return crypto::address_of(key(i).public_key()); }

inline Genesis test_genesis() {
  Genesis genesis;
  genesis.chain_id = kChain;
  genesis.genesis_time_ms = 1764000000000;
  for (uint8_t i = 100; i < 104; ++i) {
    genesis.validators.push_back({key(i).public_key(), "tcp://127.0.0.1:" + std::to_string(i)});
  }
  for (uint8_t i = 1; i <= kUsers; ++i) genesis.allocations.push_back({address(i), 100000u * i});
  return genesis;
}

inline CommitCertificate certificate_for(uint64_t height) {
  CommitCertificate certificate;
  certificate.view = height;
  for (uint32_t v = 0; v < 3; ++v) {
    CommitSignature signature{v, {}};
    signature.signature.fill(static_cast<uint8_t>(height + v));
    certificate.signatures.push_back(signature);
  }
  return certificate;
}

// A deterministic chain: the same seed always yields the same blocks. Mostly valid
// transfers between the users, plus gaps, replays and overdrafts. Runs its own MemoryState
// as the model of what the store must hold.
class ChainGenerator {
 public:
  ChainGenerator(const Genesis& genesis, uint64_t seed)
      : model_(genesis), rng_(seed), prev_hash_(block_hash(genesis_block(genesis).header)) {}

  CertifiedBlock next(size_t txs_count) {
    std::vector<SignedTransaction> txs;
    for (size_t i = 0; i < txs_count; ++i) txs.push_back(random_transfer());
    Block block;
    block.header.chain_id = kChain;
    block.header.height = ++height_;
    block.header.prev_hash = prev_hash_;
    block.header.timestamp_ms = 1764000000000 + height_;
    block.header.tx_count = static_cast<uint32_t>(txs.size());
    block.transactions = std::move(txs);
    block.header.tx_root = merkle_root(transaction_hashes(block));
    prev_hash_ = block_hash(block.header);
    pending_.clear();
    model_.execute(block);
    history_.insert(history_.end(), block.transactions.begin(), block.transactions.end());
    return {block, certificate_for(height_)};
  }

  const MemoryState& model() const { return model_; }
  uint64_t height() const { return height_; }
  const Hash& tip_hash() const { return prev_hash_; }

 private:
  SignedTransaction random_transfer() {
    const uint64_t roll = rng_.below(12);
    if (roll == 0 && !history_.empty()) return history_[rng_.below(history_.size())];
    const uint8_t from = static_cast<uint8_t>(1 + rng_.below(kUsers));
    const uint8_t to = static_cast<uint8_t>(1 + rng_.below(kUsers + 3));
    uint64_t nonce = (*model_.account(address(from))).value_or(Account{}).nonce + pending_[from]++;
    if (roll == 1) nonce += 5;
    const uint64_t amount = 1 + rng_.below(roll == 2 ? 10000000 : 5000);
    return make_transfer(key(from), kChain, address(to), amount, rng_.below(10), nonce);
  }

  MemoryState model_;
  Rng rng_;
  Hash prev_hash_{};
  uint64_t height_ = 0;
  std::map<uint8_t, uint64_t> pending_;
  std::vector<SignedTransaction> history_;
};

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testutil::make_temp_dir("phalanx-store-test");
    options_.map_size_bytes = 64 << 20;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Store> open_store() {
    auto store = Store::open(dir_, genesis_, options_);
    EXPECT_TRUE(store.is_ok()) << store.status().to_string();
    return store.is_ok() ? std::move(store).value() : nullptr;
  }

  std::string dir_;
  Genesis genesis_ = test_genesis();
  StoreOptions options_;
};

}  // namespace phalanx::ledger::store_fixture
