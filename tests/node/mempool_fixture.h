// The mempool tests' fixture (tests/node/mempool_test.cc, mempool_expiry_test.cc): fixed keys,
// a fake account reader the test funds, and admission helpers. Deterministic: no clocks, no
// threads.
#pragma once

#include <gtest/gtest.h>

#include "node/mempool.h"

namespace phalanx::node {

inline const std::string kChain = "phalanx-test";

class FakeAccounts final : public ledger::AccountReader {
 public:
  Result<std::optional<ledger::Account>> account(const Address& address) const override {
    if (fail) return Status::error("disk on fire");
    auto it = accounts.find(address);
    if (it == accounts.end()) return std::optional<ledger::Account>();
    return std::optional<ledger::Account>(it->second);
  }
  Result<bool> tx_indexed(const Hash& tx_hash) const override {
    if (fail) return Status::error("disk on fire");
    return indexed.contains(tx_hash);
  }
  std::map<Address, ledger::Account> accounts;
  std::set<Hash> indexed;
  bool fail = false;
};

inline crypto::SecretKey key_of(uint32_t index) {
  crypto::Seed seed{};
  for (size_t i = 0; i < 4; ++i) seed[i] = static_cast<uint8_t>(index >> (8 * i));
  seed[31] = 0x5a;
  return crypto::SecretKey::from_seed(seed);
}

inline const SignatureVerifier kVerify = [](const ledger::SignedTransaction& tx) {
  return ledger::verify_transaction_signature(tx.tx);
};

class MempoolTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kKeys = 32;

  MempoolTest() {
    for (uint32_t i = 0; i < kKeys; ++i) keys.push_back(key_of(i));
    for (uint32_t i = 0; i < 4; ++i) fund(i, 1000, 0);
  }

  Address address(uint32_t sender) const { return crypto::address_of(keys[sender].public_key()); }
  void fund(uint32_t sender, uint64_t balance, uint64_t nonce) {
    state.accounts[address(sender)] = ledger::Account{balance, nonce};
  }
  ledger::SignedTransaction tx(uint32_t sender, uint64_t nonce, uint64_t fee = 1,
                               uint64_t amount = 10, const std::string& chain = kChain) const {
    return ledger::make_transfer(keys[sender], chain, crypto::address_of(key_of(99).public_key()),
                                 amount, fee, nonce);
  }
  Admission admit(Mempool& pool, const ledger::SignedTransaction& t,
                  TxOrigin origin = TxOrigin::kClient) {
    Admission admission = pool.admit(t, state, kVerify, origin);
    pool.check_invariants();
    return admission;
  }
  static std::vector<Hash> hashes(const std::vector<ledger::SignedTransaction>& txs) {
    std::vector<Hash> out;
    for (const auto& t : txs) out.push_back(t.hash);
    return out;
  }
  static std::vector<Hash> hashes(const std::vector<DroppedTx>& dropped) {
    std::vector<Hash> out;
    for (const auto& d : dropped) out.push_back(d.hash);
    return out;
  }

  MempoolOptions options{.chain_id = kChain, .min_fee = 1, .nonce_gap_max = 8};
  std::vector<crypto::SecretKey> keys;
  FakeAccounts state;
};

inline void expect_rejected(const Admission& admission, AdmissionError error, int32_t code) {
  EXPECT_EQ(admission.error, error) << admission.message;
  EXPECT_EQ(rpc_code(admission.error), code);
  EXPECT_EQ(admission.message.rfind(std::string(admission_error_text(error)) + ": ", 0), 0u)
      << admission.message;
}

}  // namespace phalanx::node
