// State transition: transfers, nonces, replays, overflow, insufficient funds, failed txs
// charging nothing, and supply conservation over thousands of seeded random transactions.
#include "ledger/state.h"

#include <gtest/gtest.h>

#include "tests/testutil/keys.h"
#include "tests/testutil/rng.h"

namespace phalanx::ledger {
namespace {

constexpr char kStateChain[] = "phalanx-test";

using testutil::Rng;

// Named apart from tests/ledger/store_fixture.h's kChain, key() and address(): the files of
// one test executable share a unity unit, where a same-named helper here would silently
// replace the fixture's in the store tests (it did: TxIndexIsWriteOnce signed for this chain).
using testutil::key_of;
Address user_address(uint8_t i) { return crypto::address_of(key_of(i).public_key()); }

Genesis test_genesis(std::vector<std::pair<uint8_t, uint64_t>> balances) {
  Genesis genesis;
  genesis.chain_id = kStateChain;
  genesis.genesis_time_ms = 1764000000000;
  for (uint8_t i = 100; i < 104; ++i) {
    genesis.validators.push_back({key_of(i).public_key(), "tcp://127.0.0.1:" + std::to_string(i)});
  }
  for (const auto& [who, balance] : balances)
    genesis.allocations.push_back({user_address(who), balance});
  return genesis;
}

Block make_block(uint64_t height, std::vector<SignedTransaction> txs) {
  Block block;
  block.header.chain_id = kStateChain;
  block.header.height = height;
  block.transactions = std::move(txs);
  block.header.tx_count = static_cast<uint32_t>(block.transactions.size());
  block.header.tx_root = merkle_root(transaction_hashes(block));
  return block;
}

SignedTransaction transfer(uint8_t from, uint8_t to, uint64_t amount, uint64_t fee, uint64_t nonce,
                           const std::string& chain = kStateChain) {
  return make_transfer(key_of(from), chain, user_address(to), amount, fee, nonce);
}

// A transaction with arbitrary (possibly out-of-range) fields, as a buggy caller might build.
SignedTransaction raw_transfer(uint8_t from, uint8_t to, uint64_t amount, uint64_t fee,
                               uint64_t nonce) {
  SignedTransaction signed_tx = transfer(from, to, 1, 0, nonce);
  signed_tx.tx.amount = amount;
  signed_tx.tx.fee = fee;
  signed_tx.hash = crypto::sha256(as_span(std::to_string(amount) + "/" + std::to_string(fee)));
  return signed_tx;
}

std::vector<TxError> errors(const BlockOutcome& outcome) {
  std::vector<TxError> out;
  for (const TxOutcome& tx : outcome.txs) out.push_back(tx.error);
  return out;
}

uint64_t total(const MemoryState& state) {
  uint64_t sum = state.fees_burned();
  for (const auto& [who, account] : state.accounts()) sum += account.balance;
  return sum;
}

TEST(StateTest, TransferMovesFundsBurnsFeeAndAdvancesNonce) {
  MemoryState state(test_genesis({{1, 1000}, {2, 500}}));
  const BlockOutcome outcome = state.execute(make_block(1, {transfer(1, 2, 300, 7, 0)}));
  EXPECT_EQ(errors(outcome), std::vector<TxError>{TxError::kNone});
  EXPECT_EQ(outcome.fees_burned, 7u);
  EXPECT_EQ(outcome.committed_count(), 1u);
  EXPECT_EQ((*state.account(user_address(1)))->balance, 693u);
  EXPECT_EQ((*state.account(user_address(1)))->nonce, 1u);
  EXPECT_EQ((*state.account(user_address(2)))->balance, 800u);
  EXPECT_EQ((*state.account(user_address(2)))->nonce, 0u);
  EXPECT_EQ(total(state), 1500u);
  EXPECT_EQ(outcome.accounts.size(), 2u);
}

TEST(StateTest, TransferToNewAccountCreatesIt) {
  MemoryState state(test_genesis({{1, 1000}}));
  state.execute(make_block(1, {transfer(1, 9, 10, 1, 0)}));
  EXPECT_EQ(**state.account(user_address(9)), (Account{10, 0}));
}

TEST(StateTest, SelfTransferOnlyPaysTheFee) {
  MemoryState state(test_genesis({{1, 1000}}));
  const BlockOutcome outcome = state.execute(make_block(1, {transfer(1, 1, 400, 3, 0)}));
  EXPECT_EQ(errors(outcome), std::vector<TxError>{TxError::kNone});
  EXPECT_EQ(**state.account(user_address(1)), (Account{997, 1}));
}

TEST(StateTest, NoncesMustBeUsedInOrder) {
  MemoryState state(test_genesis({{1, 1000}, {2, 0}}));
  const BlockOutcome first = state.execute(make_block(
      1, {
             transfer(1, 2, 1, 0, 1),  // gap: nonce 0 unused
             transfer(1, 2, 1, 0, 0),
             transfer(1, 2, 2, 0, 0),  // a different tx reusing nonce 0
             transfer(1, 2, 1, 0, 1),  // the first tx again: now in order, but already indexed
             transfer(1, 2, 3, 0, 1),
         }));
  EXPECT_EQ(errors(first),
            (std::vector<TxError>{TxError::kNonceGap, TxError::kNone, TxError::kNonceUsed,
                                  TxError::kDuplicate, TxError::kNone}));
  EXPECT_EQ(**state.account(user_address(1)), (Account{996, 2}));
}

TEST(StateTest, ReplaysAreDuplicatesAndChangeNothing) {
  MemoryState state(test_genesis({{1, 1000}}));
  const SignedTransaction tx = transfer(1, 2, 100, 5, 0);
  state.execute(make_block(1, {tx}));
  const Hash root = state.state_root();
  const BlockOutcome replay = state.execute(make_block(2, {tx}));
  EXPECT_EQ(errors(replay), std::vector<TxError>{TxError::kDuplicate});
  EXPECT_FALSE(replay.txs[0].indexed());
  EXPECT_TRUE(replay.accounts.empty());
  EXPECT_EQ(replay.fees_burned, 0u);
  EXPECT_EQ(state.state_root(), root);
}

TEST(StateTest, WrongChainIdFails) {
  MemoryState state(test_genesis({{1, 1000}}));
  const BlockOutcome outcome =
      state.execute(make_block(1, {transfer(1, 2, 100, 5, 0, "other-chain")}));
  EXPECT_EQ(errors(outcome), std::vector<TxError>{TxError::kWrongChainId});
  EXPECT_TRUE(outcome.txs[0].indexed());  // failed txs are indexed too (write-once)
  EXPECT_EQ(**state.account(user_address(1)), (Account{1000, 0}));
}

TEST(StateTest, InsufficientBalanceCountsTheFeeAndChargesNothing) {
  MemoryState state(test_genesis({{1, 1000}}));
  const Hash root = state.state_root();
  const BlockOutcome outcome = state.execute(make_block(1, {transfer(1, 2, 996, 5, 0)}));
  EXPECT_EQ(errors(outcome), std::vector<TxError>{TxError::kInsufficientBalance});
  EXPECT_TRUE(outcome.accounts.empty());
  EXPECT_EQ(outcome.fees_burned, 0u);
  EXPECT_EQ(state.state_root(), root);
  // Exactly the balance is enough.
  const BlockOutcome exact = state.execute(make_block(2, {transfer(1, 2, 995, 5, 0)}));
  EXPECT_EQ(errors(exact), std::vector<TxError>{TxError::kNone});
  EXPECT_EQ(**state.account(user_address(1)), (Account{0, 1}));
}

TEST(StateTest, LaterTransactionsSeeEarlierOnesInTheSameBlock) {
  MemoryState state(test_genesis({{1, 1000}}));
  const BlockOutcome outcome =
      state.execute(make_block(1, {
                                      transfer(1, 2, 600, 0, 0),
                                      transfer(2, 3, 550, 10, 0),  // 2 spends what it just received
                                      transfer(1, 3, 401, 0, 1),   // 1 has 400 left
                                  }));
  EXPECT_EQ(errors(outcome),
            (std::vector<TxError>{TxError::kNone, TxError::kNone, TxError::kInsufficientBalance}));
  EXPECT_EQ(**state.account(user_address(2)), (Account{40, 1}));
  EXPECT_EQ(**state.account(user_address(3)), (Account{550, 0}));
  EXPECT_EQ(total(state), 1000u);
}

TEST(StateTest, OutOfRangeAmountsFailWithoutWrapping) {
  MemoryState state(test_genesis({{1, kAmountMax}}));
  const BlockOutcome outcome =
      state.execute(make_block(1, {
                                      raw_transfer(1, 2, 0, 0, 0),
                                      raw_transfer(1, 2, kAmountMax + 1, 0, 0),
                                      raw_transfer(1, 2, 1, kAmountMax + 1, 0),
                                      raw_transfer(1, 2, UINT64_MAX, UINT64_MAX, 0),
                                  }));
  for (const TxOutcome& tx : outcome.txs) EXPECT_EQ(tx.error, TxError::kAmountOverflow);
  EXPECT_EQ(**state.account(user_address(1)), (Account{kAmountMax, 0}));
}

// A reader with arbitrary contents, including states a conserved ledger never reaches.
class FakeReader final : public AccountReader {
 public:
  std::map<Address, Account> accounts;
  bool fail = false;
  Result<std::optional<Account>> account(const Address& who) const override {
    if (fail) return Status::error("disk on fire");
    auto it = accounts.find(who);
    return it == accounts.end() ? std::optional<Account>() : std::optional<Account>(it->second);
  }
  Result<bool> tx_indexed(const Hash&) const override { return false; }
};

TEST(StateTest, RecipientBalanceOverflowFails) {
  FakeReader reader;
  reader.accounts[user_address(1)] = Account{100, 0};
  reader.accounts[user_address(2)] = Account{kAmountMax - 5, 0};
  auto outcome = apply_block(reader, make_block(1, {transfer(1, 2, 6, 0, 0)}));
  ASSERT_TRUE(outcome.is_ok());
  EXPECT_EQ(errors(*outcome), std::vector<TxError>{TxError::kAmountOverflow});
  EXPECT_TRUE(outcome->accounts.empty());
}

TEST(StateTest, ExhaustedNonceIsUsedNotWrapped) {
  FakeReader reader;
  reader.accounts[user_address(1)] = Account{100, UINT64_MAX};
  auto outcome = apply_block(reader, make_block(1, {transfer(1, 2, 1, 0, UINT64_MAX)}));
  ASSERT_TRUE(outcome.is_ok());
  EXPECT_EQ(errors(*outcome), std::vector<TxError>{TxError::kNonceUsed});
}

TEST(StateTest, ReaderErrorsPropagate) {
  FakeReader reader;
  reader.fail = true;
  auto outcome = apply_block(reader, make_block(1, {transfer(1, 2, 1, 0, 0)}));
  ASSERT_FALSE(outcome.is_ok());
  EXPECT_NE(outcome.message().find("disk on fire"), std::string::npos);
}

TEST(StateTest, ErrorMessagesAreDistinct) {
  std::set<std::string_view> messages;
  for (uint8_t code = 0; code <= kTxErrorMax; ++code) {
    messages.insert(tx_error_message(static_cast<TxError>(code)));
  }
  EXPECT_EQ(messages.size(), kTxErrorMax + 1u);
}

TEST(StateTest, GenesisBlockCarriesTheAllocationsRoot) {
  const Genesis genesis = test_genesis({{1, 1000}, {2, 500}});
  const Block block = genesis_block(genesis);
  EXPECT_EQ(block.header.height, 0u);
  EXPECT_EQ(block.header.prev_hash, Hash{});
  EXPECT_EQ(block.header.timestamp_ms, genesis.genesis_time_ms);
  EXPECT_TRUE(block.transactions.empty());
  EXPECT_EQ(block.header.state_root,
            compute_state_root({{user_address(1), {1000, 0}}, {user_address(2), {500, 0}}}));
}

TEST(StateTest, GenesisFingerprintCoversEveryField) {
  const Genesis base = test_genesis({{1, 1000}});
  std::vector<Genesis> variants(8, base);
  variants[0].chain_id = "other";
  variants[1].genesis_time_ms += 1;
  variants[2].pipeline_depth += 1;
  variants[3].checkpoint_interval += 1;
  variants[4].block_limits.txs_max += 1;
  variants[5].validators[0].p2p = "tcp://127.0.0.1:1";
  variants[6].allocations[0].balance += 1;
  variants[7].allocations.push_back({user_address(2), 1});
  std::set<Hash> fingerprints = {genesis_fingerprint(base)};
  for (const Genesis& variant : variants) fingerprints.insert(genesis_fingerprint(variant));
  EXPECT_EQ(fingerprints.size(), variants.size() + 1);
}

// Thousands of random transfers, many of them invalid: at every height the supply is
// conserved, failed txs change nothing, and two replicas agree on the state root.
TEST(StateTest, SupplyConservedOverThousandsOfRandomTransactions) {
  constexpr uint8_t kAccounts = 8;
  std::vector<std::pair<uint8_t, uint64_t>> balances;
  for (uint8_t i = 1; i <= kAccounts; ++i) balances.push_back({i, 10000u * i});
  const Genesis genesis = test_genesis(balances);
  MemoryState state(genesis), replica(genesis);
  const uint64_t supply = genesis.total_supply();
  Rng rng(424242);
  std::vector<uint64_t> next_nonce(kAccounts + 1, 0);
  std::vector<SignedTransaction> history;
  uint64_t committed = 0;
  for (uint64_t height = 1; height <= 60; ++height) {
    std::vector<SignedTransaction> txs;
    for (int i = 0; i < 50; ++i) {
      const uint8_t from = static_cast<uint8_t>(1 + rng.below(kAccounts));
      const uint8_t to = static_cast<uint8_t>(1 + rng.below(kAccounts + 2));  // some new
      const uint64_t roll = rng.below(20);
      if (roll == 0 && !history.empty()) {  // replay an old transaction
        txs.push_back(history[rng.below(history.size())]);
        continue;
      }
      uint64_t nonce = next_nonce[from];
      if (roll == 1) nonce += 1 + rng.below(3);                          // gap
      if (roll == 2 && nonce > 0) nonce -= 1;                            // reuse
      const uint64_t amount = 1 + rng.below(roll == 3 ? 200000 : 3000);  // sometimes too much
      txs.push_back(transfer(from, to, amount, rng.below(20), nonce));
      next_nonce[from] = std::max(next_nonce[from], nonce + 1);  // optimistic; may desync
    }
    const Block block = make_block(height, txs);
    const BlockOutcome outcome = state.execute(block);
    const BlockOutcome replica_outcome = replica.execute(block);
    for (size_t i = 0; i < outcome.txs.size(); ++i) {
      EXPECT_EQ(outcome.txs[i].error, replica_outcome.txs[i].error);
      committed += outcome.txs[i].committed();
    }
    for (uint8_t i = 1; i <= kAccounts; ++i) {  // resync the generator with reality
      next_nonce[i] = (*state.account(user_address(i))).value_or(Account{}).nonce;
    }
    history.insert(history.end(), txs.begin(), txs.end());
    ASSERT_EQ(total(state), supply) << "height " << height;
    ASSERT_EQ(state.state_root(), replica.state_root());
  }
  EXPECT_GT(committed, 1000u);
  EXPECT_LT(committed, 3000u);  // the invalid ones really failed
  EXPECT_GT(state.fees_burned(), 0u);
}

}  // namespace
}  // namespace phalanx::ledger
