// Admission, insertion and removal. Block building, gossip and commits: mempool_batch.cc.
#include "node/mempool.h"

#include <algorithm>
#include <utility>

#include "crypto/domain.h"

namespace phalanx::node {
namespace {

Admission rejection(AdmissionError error, const std::string& detail) {
  Admission admission;
  admission.error = error;
  admission.message = std::string(admission_error_text(error)) + ": " + detail;
  return admission;
}

std::string hash_hex(const Hash& hash) { return crypto::to_hex(hash); }

}  // namespace

Mempool::Mempool(MempoolOptions options) : options_(std::move(options)) {
  PHALANX_ASSERT(crypto::validate_chain_id(options_.chain_id).is_ok());
  PHALANX_ASSERT(options_.txs_max >= 1);
  PHALANX_ASSERT(options_.bytes_max >= 1);
  PHALANX_ASSERT(options_.sender_txs_max >= 1);
  // Never rehashed while it fills up to its bound (a rehash touches every entry at once).
  entries_.reserve(std::min(options_.txs_max, kEntriesReservedMax));
  by_hash_.reserve(std::min(options_.txs_max, kEntriesReservedMax));
}

Admission Mempool::admit(ledger::SignedTransaction tx, const ledger::AccountReader& accounts,
                         const SignatureVerifier& verify_signature, TxOrigin origin) {
  Admission admission = check_static(tx);
  if (!admission.admitted()) return admission;
  Result<bool> indexed = accounts.tx_indexed(tx.hash);
  if (!indexed) {
    return rejection(AdmissionError::kInternal,
                     "cannot read the transaction index: " + indexed.message());
  }
  if (*indexed) {
    return rejection(AdmissionError::kDuplicate,
                     "transaction " + hash_hex(tx.hash) + " is already in a committed block");
  }
  const Address sender = ledger::sender_address(tx.tx);
  Result<ledger::Account> account = read_account(sender, accounts);
  if (!account) return rejection(AdmissionError::kInternal, account.message());
  std::vector<DroppedTx> dropped;
  // on_block_committed keeps every snapshot current; a stale one is brought up to date
  // rather than trusted.
  auto known = senders_.find(sender);
  if (known != senders_.end() && known->second.account != *account) {
    recheck_sender(sender, *account, &dropped);
  }
  std::vector<Arrival> victims;
  admission = check_sender(tx, sender, *account, tx.tx.amount + tx.tx.fee);
  if (admission.admitted()) admission = plan_room(tx, sender, *account, &victims);
  if (admission.admitted() && !verify_signature(tx)) {
    admission = rejection(AdmissionError::kBadSignature,
                          "the signature does not verify with the sender's public key");
  }
  if (admission.admitted()) {
    make_room(tx.bytes.size(), victims, &dropped);
    insert(std::move(tx), sender, *account, origin);
  }
  admission.dropped = std::move(dropped);
  return admission;
}

Admission Mempool::check_static(const ledger::SignedTransaction& tx) const {
  if (by_hash_.contains(tx.hash)) {
    return rejection(AdmissionError::kDuplicate,
                     "transaction " + hash_hex(tx.hash) + " is already pending");
  }
  if (tx.tx.chain_id != options_.chain_id) {
    return rejection(AdmissionError::kWrongChainId, "the transaction is for chain '" +
                                                        tx.tx.chain_id + "', this node runs '" +
                                                        options_.chain_id + "'");
  }
  if (tx.tx.fee < options_.min_fee) {
    return rejection(AdmissionError::kFeeBelowMinimum, "fee " + std::to_string(tx.tx.fee) +
                                                           " is below the minimum fee " +
                                                           std::to_string(options_.min_fee));
  }
  return Admission{};
}

Admission Mempool::check_sender(const ledger::SignedTransaction& tx, const Address& address,
                                const ledger::Account& account, uint64_t cost) const {
  const uint64_t nonce = tx.tx.nonce;
  if (nonce < account.nonce) {
    return rejection(AdmissionError::kNonceUsed, "nonce " + std::to_string(nonce) +
                                                     " is below the account's next nonce " +
                                                     std::to_string(account.nonce));
  }
  if (nonce - account.nonce > options_.nonce_gap_max) {
    return rejection(AdmissionError::kNonceTooFarAhead,
                     "nonce " + std::to_string(nonce) + " is more than " +
                         std::to_string(options_.nonce_gap_max) +
                         " past the account's next nonce " + std::to_string(account.nonce));
  }
  auto sender = senders_.find(address);
  const size_t pending = sender == senders_.end() ? 0 : sender->second.by_nonce.size();
  const uint64_t pending_cost = sender == senders_.end() ? 0 : sender->second.cost;
  if (sender != senders_.end()) {
    auto same_nonce = sender->second.by_nonce.find(nonce);
    if (same_nonce != sender->second.by_nonce.end()) {
      return rejection(AdmissionError::kNonceUsed,
                       "nonce " + std::to_string(nonce) + " is taken by pending transaction " +
                           hash_hex(entries_.at(same_nonce->second).tx.hash));
    }
  }
  if (pending >= options_.sender_txs_max) {
    return rejection(AdmissionError::kRateLimited, "this sender already has " +
                                                       std::to_string(pending) +
                                                       " pending transactions, the maximum");
  }
  if (pending_cost + cost > account.balance) {
    return rejection(AdmissionError::kInsufficientBalance,
                     "balance " + std::to_string(account.balance) +
                         " does not cover amount + fee " + std::to_string(cost) + " plus " +
                         std::to_string(pending_cost) + " for this sender's pending transactions");
  }
  return Admission{};
}

bool Mempool::fits(size_t tx_count, size_t tx_bytes) const {
  return entries_.size() + tx_count <= options_.txs_max && bytes_ + tx_bytes <= options_.bytes_max;
}

bool Mempool::can_execute(const ledger::SignedTransaction& tx, const Address& sender,
                          const ledger::Account& account) const {
  auto found = senders_.find(sender);
  if (found == senders_.end()) return tx.tx.nonce == account.nonce;
  uint64_t expected = account.nonce;  // the sender's pending nonces from here on, no gap
  for (auto it = found->second.by_nonce.lower_bound(expected);
       it != found->second.by_nonce.end() && it->first == expected; ++it) {
    ++expected;
  }
  return tx.tx.nonce <= expected;
}

std::vector<Mempool::Arrival> Mempool::gapped_heap() const {
  std::vector<Arrival> gapped;
  for (const auto& [address, sender] : senders_) {
    uint64_t expected = sender.account.nonce;
    bool gap = false;
    for (const auto& [nonce, arrival] : sender.by_nonce) {
      gap = gap || nonce != expected++;
      if (gap && !entries_.at(arrival).in_flight) gapped.push_back(arrival);
    }
  }
  std::make_heap(gapped.begin(), gapped.end());  // O(n): usually one victim is popped
  return gapped;
}

Admission Mempool::plan_room(const ledger::SignedTransaction& tx, const Address& sender,
                             const ledger::Account& account, std::vector<Arrival>* victims) const {
  const size_t tx_bytes = tx.bytes.size();
  if (fits(1, tx_bytes)) return Admission{};
  if (tx_bytes > options_.bytes_max) {
    return rejection(AdmissionError::kMempoolFull, "a transaction of " + std::to_string(tx_bytes) +
                                                       " bytes exceeds the mempool's " +
                                                       std::to_string(options_.bytes_max));
  }
  size_t freed_count = 0;
  size_t freed_bytes = 0;
  const auto take = [&](Arrival arrival) {
    victims->push_back(arrival);
    ++freed_count;
    freed_bytes += entries_.at(arrival).tx.bytes.size();
    return entries_.size() - freed_count + 1 <= options_.txs_max &&
           bytes_ - freed_bytes + tx_bytes <= options_.bytes_max;
  };
  // Txs behind a missing nonce can fill a pool for ever (a flood whose middle nonces were
  // refused): no primary can propose them, so they never leave, and every executable tx at
  // the lowest fee would be refused. An executable newcomer evicts them first, newest first,
  // whatever their fee; they take their later nonces with them.
  if (can_execute(tx, sender, account)) {
    std::vector<Arrival> gapped = gapped_heap();
    for (; !gapped.empty(); gapped.pop_back()) {
      std::pop_heap(gapped.begin(), gapped.end());  // the newest to the back
      if (take(gapped.back())) return Admission{};
    }
  }
  for (const auto& [fee, arrival] : eviction_) {
    if (fee >= tx.tx.fee) break;
    const Entry& victim = entries_.at(arrival);
    // The new tx would wait forever behind an evicted predecessor.
    if (victim.sender == sender && victim.tx.tx.nonce < tx.tx.nonce) continue;
    if (take(arrival)) return Admission{};
  }
  victims->clear();
  return rejection(AdmissionError::kMempoolFull,
                   std::to_string(entries_.size()) + " transactions (" + std::to_string(bytes_) +
                       " bytes) are pending and not enough of them pay a fee below " +
                       std::to_string(tx.tx.fee));
}

void Mempool::make_room(size_t tx_bytes, const std::vector<Arrival>& victims,
                        std::vector<DroppedTx>* dropped) {
  for (Arrival arrival : victims) {
    if (fits(1, tx_bytes)) break;
    // An earlier victim's dependents may already have taken this one.
    if (!entries_.contains(arrival)) continue;
    erase_with_dependents(arrival, AdmissionError::kMempoolFull, dropped);
  }
  PHALANX_ASSERT(fits(1, tx_bytes));
}

void Mempool::insert(ledger::SignedTransaction tx, const Address& sender,
                     const ledger::Account& account, TxOrigin origin) {
  const Arrival arrival = next_arrival_++;
  auto [sender_it, created] = senders_.try_emplace(sender);
  Sender& state = sender_it->second;
  if (created) state.account = account;
  PHALANX_ASSERT(state.account == account);
  const uint64_t cost = tx.tx.amount + tx.tx.fee;
  const bool was_executable = executable(state);
  const bool new_nonce = state.by_nonce.emplace(tx.tx.nonce, arrival).second;
  PHALANX_ASSERT(new_nonce);
  executable_senders_ = executable_senders_ + executable(state) - was_executable;
  state.cost += cost;
  PHALANX_ASSERT(state.cost <= account.balance);
  const bool new_hash = by_hash_.emplace(tx.hash, arrival).second;
  PHALANX_ASSERT(new_hash);
  idle_.insert(arrival);
  eviction_.emplace(tx.tx.fee, arrival);
  if (origin == TxOrigin::kClient) gossip_.insert(arrival);
  bytes_ += tx.bytes.size();
  entries_.emplace(arrival, Entry{std::move(tx), sender, cost, false, false, origin, false, std::nullopt});
  note_inserted_gap(arrival);
  PHALANX_ASSERT(fits(0, 0));
}

Result<ledger::Account> Mempool::read_account(const Address& address,
                                              const ledger::AccountReader& accounts) const {
  Result<std::optional<ledger::Account>> account = accounts.account(address);
  if (!account) {
    return Status::error("cannot read account " + crypto::format_address(address) + ": " +
                         account.message());
  }
  // An address never written has balance 0 and next nonce 0.
  return account->value_or(ledger::Account{});
}

void Mempool::erase(Arrival arrival, GapUpdate gaps) {
  auto it = entries_.find(arrival);
  PHALANX_ASSERT(it != entries_.end());
  const Entry& entry = it->second;
  size_t erased = by_hash_.erase(entry.tx.hash);
  if (!entry.in_flight) {
    erased += idle_.erase(arrival);
    erased += eviction_.erase({entry.tx.tx.fee, arrival});
    if (entry.gapped_since_ms) {
      const size_t unlisted = gapped_by_time_.erase({*entry.gapped_since_ms, arrival});
      PHALANX_ASSERT(unlisted == 1);
    }
  }
  gossip_.erase(arrival);
  auto sender = senders_.find(entry.sender);
  PHALANX_ASSERT(sender != senders_.end());
  const bool was_executable = executable(sender->second);
  erased += sender->second.by_nonce.erase(entry.tx.tx.nonce);
  PHALANX_ASSERT(erased == (entry.in_flight ? 2u : 4u));
  executable_senders_ = executable_senders_ + executable(sender->second) - was_executable;
  sender->second.cost -= entry.cost;
  const bool opens_gap = !entry.gapped_since_ms.has_value();
  const uint64_t nonce = entry.tx.tx.nonce;
  bytes_ -= entry.tx.bytes.size();
  entries_.erase(it);
  if (sender->second.by_nonce.empty()) {
    senders_.erase(sender);
  } else if (opens_gap && gaps == GapUpdate::kNow) {
    note_erased_gap(sender->second, nonce);
  }
}

void Mempool::erase_with_dependents(Arrival arrival, AdmissionError reason,
                                    std::vector<DroppedTx>* dropped) {
  const Entry& entry = entries_.at(arrival);
  const Sender& sender = senders_.at(entry.sender);
  std::vector<Arrival> doomed;
  for (auto it = sender.by_nonce.find(entry.tx.tx.nonce); it != sender.by_nonce.end(); ++it) {
    doomed.push_back(it->second);
    dropped->push_back(DroppedTx{entries_.at(it->second).tx.hash, reason});
  }
  // The highest nonce first: no erase leaves a successor behind to re-mark as gapped.
  for (auto victim = doomed.rbegin(); victim != doomed.rend(); ++victim) erase(*victim);
}

uint64_t Mempool::pending_nonce(const Address& sender, uint64_t committed_nonce) const {
  auto state = senders_.find(sender);
  if (state == senders_.end()) return committed_nonce;
  uint64_t next = committed_nonce;
  for (auto it = state->second.by_nonce.lower_bound(next);
       it != state->second.by_nonce.end() && it->first == next; ++it) {
    ++next;
  }
  return next;
}

const ledger::SignedTransaction* Mempool::find(const Hash& tx_hash) const {
  auto it = by_hash_.find(tx_hash);
  return it == by_hash_.end() ? nullptr : &entries_.at(it->second).tx;
}

}  // namespace phalanx::node
