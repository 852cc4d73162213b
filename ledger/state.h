// The state transition: accounts, and the pure, deterministic function that executes a
// committed block against them. No I/O: the caller supplies an AccountReader (the LMDB
// store, or MemoryState in tests and simulations) and writes the returned outcome itself.
//
// Rules, checked per transaction in block order (the first failing rule names the error):
//   1. duplicate      its hash is already in the tx index, or appeared earlier in this block
//   2. chain id       tx.chain_id must equal the block's chain id
//   3. amount         1 <= amount <= 2^53-1 and fee <= 2^53-1
//   4. nonce          tx.nonce must equal the sender's next nonce (nonces start at 0):
//                     smaller is "nonce already used", larger is "nonce gap"
//   5. balance        amount + fee <= sender balance
//   6. overflow       the recipient's new balance must stay <= 2^53-1
// A transaction that passes is committed: the sender pays amount + fee and its nonce
// advances by one; the recipient gains amount (a self-transfer only pays the fee). A failed
// transaction changes no account and charges no fee. Every transaction except a duplicate
// enters the write-once tx index with its outcome, so a hash is never executed twice.
//
// Fees are BURNED: no account receives them. The ledger tracks the total burned, and at
// every height  sum(balances) + burned fees = genesis supply  (asserted per block on the
// accounts the block touched, checked globally by Store::check_consistency).
//
// Signatures are NOT checked here: the node verifies them before it proposes or prepares a
// block, and a committed block carries a quorum certificate.
//
//   account_bytes := balance:u64 nonce:u64         (big-endian; hashed into the state tree)
//   account key   := SHA-256(address bytes)         value hash := SHA-256(account_bytes)
//
// Thread-safety: value types and pure functions; a StateOverlay or MemoryState is used by one
// thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "ledger/genesis.h"
#include "ledger/state_tree.h"

namespace phalanx::ledger {

struct Account {
  uint64_t balance = 0;
  uint64_t nonce = 0;  // the nonce this account's next transaction must carry
  bool operator==(const Account&) const = default;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(balance, nonce);
  }
};

Bytes encode_account(const Account& account);
Hash account_key(const Address& address);
Hash account_value_hash(const Account& account);

enum class TxError : uint8_t {
  kNone = 0,
  kDuplicate = 1,
  kWrongChainId = 2,
  kAmountOverflow = 3,
  kNonceUsed = 4,
  kNonceGap = 5,
  kInsufficientBalance = 6,
};
constexpr uint8_t kTxErrorMax = 6;

// A short sentence a person understands, e.g. "nonce already used".
std::string_view tx_error_message(TxError error);

struct TxOutcome {
  Hash hash{};
  TxError error = TxError::kNone;
  bool committed() const { return error == TxError::kNone; }
  // Whether this transaction enters the tx index (every one but a duplicate).
  bool indexed() const { return error != TxError::kDuplicate; }
};

struct BlockOutcome {
  std::vector<TxOutcome> txs;           // one per transaction, in block order
  std::map<Address, Account> accounts;  // new state of every account a committed tx changed
  uint64_t fees_burned = 0;             // fees this block burned
  uint64_t committed_count() const;
};

// What apply_block reads.
class AccountReader {
 public:
  virtual ~AccountReader() = default;
  // nullopt for an address that was never written.
  virtual Result<std::optional<Account>> account(const Address& address) const = 0;
  virtual Result<bool> tx_indexed(const Hash& tx_hash) const = 0;
};

// Executes `block` against `reader`. Errors only when the reader fails (a storage error);
// bad transactions are outcomes, never errors.
Result<BlockOutcome> apply_block(const AccountReader& reader, const Block& block);

// Accounts and tx index in memory: tests, simulations, the genesis computation.
class MemoryState final : public AccountReader {
 public:
  MemoryState() = default;
  explicit MemoryState(const Genesis& genesis);

  Result<std::optional<Account>> account(const Address& address) const override;
  Result<bool> tx_indexed(const Hash& tx_hash) const override;

  // Executes the block and keeps its outcome.
  BlockOutcome execute(const Block& block);
  Hash state_root() const;
  const std::map<Address, Account>& accounts() const { return accounts_; }
  uint64_t fees_burned() const { return fees_burned_; }

 private:
  std::map<Address, Account> accounts_;
  std::set<Hash> tx_index_;
  uint64_t fees_burned_ = 0;
};

// The state root of a set of accounts, computed from scratch.
Hash compute_state_root(const std::map<Address, Account>& accounts);

// Block 0: height 0, zero prev_hash, the genesis time, no transactions, and the state root
// of the genesis allocations.
Block genesis_block(const Genesis& genesis);
// SHA-256 over every field of the genesis document: two data directories share a chain only
// if they share this fingerprint.
Hash genesis_fingerprint(const Genesis& genesis);

}  // namespace phalanx::ledger
