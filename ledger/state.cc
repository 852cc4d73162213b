#include "ledger/state.h"

#include <algorithm>
#include <string>

namespace phalanx::ledger {

namespace {

// The block's view of the accounts: its own writes over the reader's state. Remembers each
// touched account's balance before the block so supply conservation can be asserted.
class StateOverlay {
 public:
  explicit StateOverlay(const AccountReader& base) : base_(base) {}

  Result<Account> account(const Address& address) {
    if (auto it = changed_.find(address); it != changed_.end()) return it->second;
    if (auto it = read_.find(address); it != read_.end()) return it->second;
    auto stored = base_.account(address);
    if (!stored) return stored.status();
    const Account account = stored->value_or(Account{});
    read_.emplace(address, account);
    return account;
  }

  // REQUIRES: account(address) was read first.
  void set(const Address& address, const Account& account) {
    PHALANX_ASSERT(read_.count(address) == 1);
    changed_[address] = account;
  }

  // sum(balances before) == sum(balances after) + burned, over the touched accounts.
  void assert_conserved(uint64_t burned) const {
    unsigned __int128 before = 0;
    unsigned __int128 after = burned;
    for (const auto& [address, account] : changed_) {
      before += read_.at(address).balance;
      after += account.balance;
    }
    PHALANX_ASSERT_MSG(before == after, "block execution created or destroyed funds");
  }

  std::map<Address, Account> take_changed() { return std::move(changed_); }

 private:
  const AccountReader& base_;
  std::map<Address, Account> read_;     // state before the block
  std::map<Address, Account> changed_;  // state after the block's committed txs
};

// Rules 2-6 of state.h for one non-duplicate transaction; applies it when it passes.
Result<TxError> execute_transfer(StateOverlay& overlay, const std::string& chain_id,
                                 const Transaction& tx, uint64_t* fees_burned) {
  if (tx.chain_id != chain_id) return TxError::kWrongChainId;
  if (tx.amount == 0 || tx.amount > kAmountMax || tx.fee > kAmountMax) {
    return TxError::kAmountOverflow;
  }
  const Address from = sender_address(tx);
  auto sender_read = overlay.account(from);
  if (!sender_read) return sender_read.status();
  Account sender = *sender_read;
  // A nonce of 2^64-1 cannot advance: treat every nonce as used rather than wrap.
  if (tx.nonce < sender.nonce || sender.nonce == UINT64_MAX) return TxError::kNonceUsed;
  if (tx.nonce > sender.nonce) return TxError::kNonceGap;
  const uint64_t cost = tx.amount + tx.fee;  // both <= 2^53-1: no overflow
  if (sender.balance < cost) return TxError::kInsufficientBalance;

  sender.balance -= cost;
  sender.nonce += 1;
  if (tx.recipient == from) {
    sender.balance += tx.amount;
  } else {
    auto recipient_read = overlay.account(tx.recipient);
    if (!recipient_read) return recipient_read.status();
    Account recipient = *recipient_read;
    if (recipient.balance > kAmountMax - tx.amount) return TxError::kAmountOverflow;
    recipient.balance += tx.amount;
    overlay.set(tx.recipient, recipient);
  }
  overlay.set(from, sender);
  *fees_burned += tx.fee;
  return TxError::kNone;
}

}  // namespace

Bytes encode_account(const Account& account) {
  Writer writer;
  writer.u64(account.balance);
  writer.u64(account.nonce);
  return writer.take();
}

Hash account_key(const Address& address) { return crypto::sha256(address.bytes); }

Hash account_value_hash(const Account& account) { return crypto::sha256(encode_account(account)); }

std::string_view tx_error_message(TxError error) {
  switch (error) {
    case TxError::kNone:
      return "none";
    case TxError::kDuplicate:
      return "duplicate transaction";
    case TxError::kWrongChainId:
      return "wrong chain id";
    case TxError::kAmountOverflow:
      return "amount out of range or balance overflow";
    case TxError::kNonceUsed:
      return "nonce already used";
    case TxError::kNonceGap:
      return "nonce gap: an earlier nonce has not been used yet";
    case TxError::kInsufficientBalance:
      return "insufficient balance for amount plus fee";
  }
  PHALANX_ASSERT_MSG(false, "unknown TxError");
  return "";
}

uint64_t BlockOutcome::committed_count() const {
  return static_cast<uint64_t>(
      std::count_if(txs.begin(), txs.end(), [](const TxOutcome& tx) { return tx.committed(); }));
}

Result<BlockOutcome> apply_block(const AccountReader& reader, const Block& block) {
  StateOverlay overlay(reader);
  BlockOutcome outcome;
  outcome.txs.reserve(block.transactions.size());
  std::set<Hash> seen;
  for (const SignedTransaction& signed_tx : block.transactions) {
    TxOutcome tx_outcome{signed_tx.hash, TxError::kNone};
    auto indexed = reader.tx_indexed(signed_tx.hash);
    if (!indexed) return indexed.status();
    if (*indexed || !seen.insert(signed_tx.hash).second) {
      tx_outcome.error = TxError::kDuplicate;
    } else {
      auto error =
          execute_transfer(overlay, block.header.chain_id, signed_tx.tx, &outcome.fees_burned);
      if (!error) return error.status();
      tx_outcome.error = *error;
    }
    outcome.txs.push_back(tx_outcome);
  }
  overlay.assert_conserved(outcome.fees_burned);
  outcome.accounts = overlay.take_changed();
  return outcome;
}

MemoryState::MemoryState(const Genesis& genesis) {
  for (const Allocation& allocation : genesis.allocations) {
    accounts_[allocation.address] = Account{allocation.balance, 0};
  }
}

Result<std::optional<Account>> MemoryState::account(const Address& address) const {
  auto it = accounts_.find(address);
  if (it == accounts_.end()) return std::optional<Account>();
  return std::optional<Account>(it->second);
}

Result<bool> MemoryState::tx_indexed(const Hash& tx_hash) const {
  return tx_index_.count(tx_hash) == 1;
}

BlockOutcome MemoryState::execute(const Block& block) {
  auto outcome = apply_block(*this, block);
  PHALANX_ASSERT_MSG(outcome.is_ok(), "MemoryState reads cannot fail");
  for (const TxOutcome& tx : outcome->txs) {
    if (tx.indexed()) tx_index_.insert(tx.hash);
  }
  for (const auto& [address, account] : outcome->accounts) accounts_[address] = account;
  fees_burned_ += outcome->fees_burned;
  return std::move(outcome).value();
}

Hash MemoryState::state_root() const { return compute_state_root(accounts_); }

Hash compute_state_root(const std::map<Address, Account>& accounts) {
  std::vector<TreeUpdate> updates;
  updates.reserve(accounts.size());
  for (const auto& [address, account] : accounts) {
    updates.push_back({account_key(address), account_value_hash(account)});
  }
  std::sort(updates.begin(), updates.end(),
            [](const TreeUpdate& a, const TreeUpdate& b) { return a.key < b.key; });
  MemoryNodeStore nodes;
  StateTree tree(nodes);
  Hash root{};
  for (size_t first = 0; first < updates.size(); first += kTreeUpdatesMax) {
    const size_t count = std::min(kTreeUpdatesMax, updates.size() - first);
    auto applied = tree.apply(std::span<const TreeUpdate>(updates).subspan(first, count));
    PHALANX_ASSERT_MSG(applied.is_ok(), "an in-memory tree cannot fail");
    root = *applied;
  }
  return root;
}

Block genesis_block(const Genesis& genesis) {
  MemoryState state(genesis);
  Block block;
  block.header.chain_id = genesis.chain_id;
  block.header.height = 0;
  block.header.timestamp_ms = genesis.genesis_time_ms;
  block.header.tx_root = merkle_root({});
  block.header.state_root = state.state_root();
  block.header.tx_count = 0;
  return block;
}

Hash genesis_fingerprint(const Genesis& genesis) {
  Writer writer;
  writer.short_string("phalanx/genesis/v1");
  writer.short_string(genesis.chain_id);
  writer.u64(genesis.genesis_time_ms);
  writer.u32(genesis.pipeline_depth);
  writer.u32(genesis.checkpoint_interval);
  writer.u32(genesis.block_limits.txs_max);
  writer.u32(genesis.block_limits.bytes_max);
  writer.u32(static_cast<uint32_t>(genesis.validators.size()));
  for (const Validator& validator : genesis.validators) {
    writer.fixed(validator.public_key);
    writer.var_bytes(as_span(validator.p2p));
  }
  writer.u32(static_cast<uint32_t>(genesis.allocations.size()));
  for (const Allocation& allocation : genesis.allocations) {
    writer.fixed(allocation.address.bytes);
    writer.u64(allocation.balance);
  }
  return crypto::sha256(writer.data());
}

}  // namespace phalanx::ledger
