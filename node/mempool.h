// node::Mempool: the transactions this node has accepted but not yet seen committed. It owns
// them (decoded, with their bytes and hashes) and five views over them: by arrival (block
// building and gossip), by hash (duplicates, lookups), by sender and nonce (per-sender order,
// pending nonce, balance cover), by fee (eviction when full) and, for those waiting behind a
// nonce gap, by when they started waiting (expiry).
//
// Admission (admit) checks, in order, each failure a distinct AdmissionError:
//   duplicate (hash pending, or already in a block), chain id, fee >= min_fee,
//   nonce >= the sender's next committed nonce and <= next + nonce_gap_max, no other pending
//   tx with that nonce, at most sender_txs_max pending per sender, balance >= amount + fee of
//   this tx plus all of the sender's pending txs, room (see below), and last the signature
//   (the most expensive check runs only for a tx that would otherwise be admitted).
// Nonces may have gaps (a later nonce can arrive by gossip before an earlier one); a tx is
// only proposed once its predecessor is committed or in the same block (never across
// uncommitted blocks: see eligible() in mempool_batch.cc).
//
// Bounds: txs_max, bytes_max, sender_txs_max, nonce_gap_max. When full, a new tx that can
// execute (no nonce gap before it) first evicts txs waiting behind a gap, newest first,
// whatever their fee; then any new tx evicts the lowest-fee tx (newest first among equal
// fees) if it pays strictly more, else it is refused with "mempool full". A tx that leaves
// without being committed takes the sender's later-nonce txs with it, since they can no
// longer execute.
//
// Expiry: a tx behind a nonce gap can only leave by eviction when the pool is full, so an
// abandoned one (its sender never sends the missing nonce) would stay for good. One that has
// waited behind a gap for gapped_ttl_ms leaves, with the sender's later nonces, when the
// caller next calls expire_gapped(now_ms) (the event loop: every tick). The waiting txs are
// kept ordered by when they started waiting, so a call costs O(log size) per tx it drops.
//
// In flight: take_batch() marks what it returns as proposed; mark_in_flight() does the same
// for another primary's proposal. In-flight txs are not proposed again and not evicted for
// room; release_*() makes them eligible again (after a view change).
//
// The caller reports every committed block through on_block_committed(); the mempool then
// drops the included txs and re-checks the senders whose accounts changed.
//
// Thread-safety: none. The node's event loop owns the mempool; it starts no threads, takes
// no locks and reads no clock. Signatures are checked by the SignatureVerifier the caller
// passes (the SignatureCache, or the outcome of a VerifyPool batch).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "ledger/state.h"
#include "node/mempool_error.h"

namespace phalanx::node {

using crypto::Address;
using crypto::Hash;

struct MempoolOptions {
  std::string chain_id;
  uint64_t min_fee = 0;
  uint64_t nonce_gap_max = 256;  // a nonce may be this far past the next committed nonce
  size_t txs_max = 50'000;
  size_t bytes_max = size_t{16} << 20;  // sum of encoded tx sizes
  size_t sender_txs_max = 256;
  // How long a tx may wait behind a nonce gap (not executable) before expire_gapped() drops
  // it. Counted from when it started waiting, on the clock expire_gapped() is given.
  uint64_t gapped_ttl_ms = 600'000;
};

// Whether the tx still has to be gossiped. Validators form a full mesh and the node that
// first accepts a tx sends it to every peer, so a tx received from a peer is not relayed.
enum class TxOrigin { kClient, kPeer };

// True iff the tx's signature is valid. Called at most once per admit.
using SignatureVerifier = std::function<bool(const ledger::SignedTransaction&)>;

struct DroppedTx {
  Hash hash{};
  AdmissionError reason = AdmissionError::kNone;
};

struct Admission {
  AdmissionError error = AdmissionError::kNone;
  std::string message;             // for a person; empty when admitted
  std::vector<DroppedTx> dropped;  // txs that left during this call (evicted for room, ...)
  bool admitted() const { return error == AdmissionError::kNone; }
};

struct CommitReport {
  size_t included = 0;             // pending txs that the block included
  std::vector<DroppedTx> dropped;  // pending txs that can no longer execute
};

class Mempool {
 public:
  // REQUIRES: valid chain id; txs_max, bytes_max, sender_txs_max >= 1.
  explicit Mempool(MempoolOptions options);

  // `accounts` is the committed state. A storage failure gives kInternal.
  Admission admit(ledger::SignedTransaction tx, const ledger::AccountReader& accounts,
                  const SignatureVerifier& verify_signature, TxOrigin origin = TxOrigin::kClient);

  // Up to txs_max txs whose encoded sizes add up to at most bytes_max, oldest arrival first,
  // each sender's txs in nonce order with no gap after its committed nonce: a sender whose
  // next nonce is in another uncommitted block has nothing eligible. Marks them in flight. The
  // caller reserves room for the block header and per-tx length prefixes.
  std::vector<ledger::SignedTransaction> take_batch(size_t txs_max, size_t bytes_max);
  // Marks the pending txs among `tx_hashes` as proposed (another primary's block).
  void mark_in_flight(std::span<const Hash> tx_hashes);
  // The txs of blocks consensus committed, before the ledger executes them. Such a block is
  // final and executes before any later one, so the next nonce of each of its senders may go
  // into the next block without waiting for the ledger (take_batch). They stay in flight.
  void mark_committed(std::span<const Hash> tx_hashes);
  void release_in_flight(std::span<const Hash> tx_hashes);
  void release_all_in_flight();

  // After each committed block, in height order. `included` lists every tx of the block,
  // committed or failed. The first form re-checks every pending sender; the second only
  // `changed_accounts` (e.g. the keys of ledger::BlockOutcome::accounts) and the senders of
  // the included txs, which is exact because an account changes only through a committed
  // tx. Errors only when `accounts` fails; the mempool stays consistent.
  Result<CommitReport> on_block_committed(std::span<const Hash> included,
                                          const ledger::AccountReader& accounts);
  Result<CommitReport> on_block_committed(std::span<const Hash> included,
                                          std::span<const Address> changed_accounts,
                                          const ledger::AccountReader& accounts);

  // Client-originated txs not gossiped yet, oldest first, encoded sizes adding up to at most
  // bytes_max. Each tx is returned by this call at most once.
  std::vector<ledger::SignedTransaction> take_gossip_batch(size_t bytes_max);
  // Makes every pending client-originated tx due for gossip again (take_gossip_batch
  // returns it once more); returns how many. For a new link to a peer: what was gossiped
  // on a link that died, or while the peer was unreachable, never arrived. O(size).
  size_t requeue_client_gossip();
  // Gossip repair for frames lost to full queues: each sender's tx at its next committed
  // nonce, if a client gave it to us, it is not in a block and it was already at the head at
  // the previous call, is due for gossip again; returns how many. Called every few seconds:
  // a tx only this node holds would otherwise wedge its sender's later nonces until this
  // node is primary. O(senders).
  size_t requeue_stale_heads();

  // Drops every idle tx that has waited behind a nonce gap for at least gapped_ttl_ms, with
  // the sender's later nonces (which wait behind the same gap), and returns their hashes.
  // `now_ms` is the caller's clock (the event loop's, each tick): the mempool reads none, and
  // a tx is stamped with the latest `now_ms` given when it starts waiting (before the first
  // call, with the first call's). A clock going back is ignored. Amortised O(log size) per tx
  // dropped, O(1) when none is due.
  std::vector<Hash> expire_gapped(uint64_t now_ms);

  // The nonce the sender's next tx should carry: `committed_nonce` advanced past every
  // consecutive pending nonce.
  uint64_t pending_nonce(const Address& sender, uint64_t committed_nonce) const;
  // The pending tx with this hash, or nullptr. Invalidated by any non-const call.
  const ledger::SignedTransaction* find(const Hash& tx_hash) const;
  bool contains(const Hash& tx_hash) const { return by_hash_.contains(tx_hash); }

  // True when some sender's lowest pending nonce is its next committed nonce: a tx the next
  // block can carry, so a correct primary has something to order. Txs waiting behind a
  // nonce gap do not count (no primary can propose them, so they must not start view
  // changes). O(1): a count of such senders is kept as the mempool changes.
  bool has_executable() const { return executable_senders_ > 0; }
  size_t size() const { return entries_.size(); }
  size_t bytes() const { return bytes_; }
  size_t in_flight() const { return entries_.size() - idle_.size(); }
  size_t sender_count() const { return senders_.size(); }
  size_t gossip_backlog() const { return gossip_.size(); }
  // Idle txs waiting behind a nonce gap (the candidates for expire_gapped).
  size_t gapped_waiting() const { return gapped_by_time_.size(); }
  const MempoolOptions& options() const { return options_; }

  // Asserts that every index agrees with the entries. O(size): for tests.
  void check_invariants() const;

 private:
  using Arrival = uint64_t;  // admission order; unique, never reused

  struct Entry {
    ledger::SignedTransaction tx;
    Address sender;
    uint64_t cost = 0;  // amount + fee; each <= 2^53-1, so no overflow
    bool in_flight = false;
    bool committed = false;  // in a block consensus committed, not executed yet (mark_committed)
    TxOrigin origin = TxOrigin::kClient;
    bool stale_head = false;  // seen at the head of its sender by requeue_stale_heads()
    // Behind a nonce gap (an earlier nonce of the sender is neither committed nor pending
    // and executable) since this time on the expiry clock; empty while executable.
    std::optional<uint64_t> gapped_since_ms;
  };
  struct Sender {
    ledger::Account account;               // committed state, as last read
    std::map<uint64_t, Arrival> by_nonce;  // pending txs in nonce order
    uint64_t cost = 0;                     // sum of their costs; <= account.balance
    // One past the highest nonce of this sender in a block consensus committed that the
    // ledger has not executed yet (mark_committed); 0 when none is. Recomputed from the
    // entries still marked whenever the sender is re-checked against a newer state, so a
    // committed tx that failed at execution does not leave its successors eligible.
    uint64_t committed_next = 0;
  };
  // Whether the sender's lowest pending nonce is its next committed nonce.
  static bool executable(const Sender& sender) {
    return !sender.by_nonce.empty() && sender.by_nonce.begin()->first == sender.account.nonce;
  }

  // Admission steps (mempool.cc).
  Admission check_static(const ledger::SignedTransaction& tx) const;
  // `sender` is the tx's sender address (derived once per admission).
  Admission check_sender(const ledger::SignedTransaction& tx, const Address& sender,
                         const ledger::Account& account, uint64_t cost) const;
  Admission plan_room(const ledger::SignedTransaction& tx, const Address& sender,
                      const ledger::Account& account, std::vector<Arrival>* victims) const;
  // Whether the tx's nonce is the sender's next or follows its pending run without a gap.
  bool can_execute(const ledger::SignedTransaction& tx, const Address& sender,
                   const ledger::Account& account) const;
  // Idle txs waiting behind a missing nonce, as a max-heap of arrivals (newest on top). O(size).
  std::vector<Arrival> gapped_heap() const;
  void make_room(size_t tx_bytes, const std::vector<Arrival>& victims,
                 std::vector<DroppedTx>* dropped);
  void insert(ledger::SignedTransaction tx, const Address& sender, const ledger::Account& account,
              TxOrigin origin);
  Result<ledger::Account> read_account(const Address& address,
                                       const ledger::AccountReader& accounts) const;
  bool fits(size_t tx_count, size_t tx_bytes) const;

  // Removal (mempool.cc). Erasing an executable tx leaves its successors waiting behind a
  // gap: kNow marks them so at once; kByCaller leaves that to the caller's refresh_gaps() of
  // the sender (a commit re-checks every sender it erased from anyway, and walking the
  // successors twice per sender and block was the largest part of a commit).
  enum class GapUpdate { kNow, kByCaller };
  void erase(Arrival arrival, GapUpdate gaps = GapUpdate::kNow);
  // Removes `arrival` and the sender's later nonces, reporting each with `reason`.
  void erase_with_dependents(Arrival arrival, AdmissionError reason,
                             std::vector<DroppedTx>* dropped);
  // Applies the sender's new committed state: drops used nonces and what the balance no
  // longer covers (mempool_batch.cc).
  void recheck_sender(const Address& address, const ledger::Account& account,
                      std::vector<DroppedTx>* dropped);
  Result<CommitReport> commit(std::span<const Hash> included, std::set<Address> to_recheck,
                              const ledger::AccountReader& accounts);

  // Block building (mempool_batch.cc).
  struct BatchBuilder;
  bool eligible(const Entry& entry, const BatchBuilder& builder) const;
  // Adds the tx to the batch and marks it in flight; false if it does not fit.
  bool take_one(Arrival arrival, BatchBuilder* builder);
  // Adds the sender's next nonces that arrived before `arrival` (the scan passed them while
  // their predecessor was missing); false once the batch is full.
  bool take_earlier_successors(Arrival arrival, BatchBuilder* builder);
  void set_in_flight(Arrival arrival, bool in_flight);

  // Gap tracking for expiry (mempool_expiry.cc).
  void set_gapped(Arrival arrival, bool gapped);
  // After inserting `arrival`: whether it waits behind a gap, and the successors it frees.
  void note_inserted_gap(Arrival arrival);
  // After erasing the executable tx at `nonce`: its successors now wait behind it (until the
  // commit that erased it re-reads the sender, or for good if that read failed).
  void note_erased_gap(const Sender& sender, uint64_t nonce);
  // After the sender's committed state changed: every one of its txs again.
  void refresh_gaps(const Address& address);
  void check_gap_invariants() const;

  // Up to this many entries are reserved up front (txs_max is configurable).
  static constexpr size_t kEntriesReservedMax = 1 << 16;

  MempoolOptions options_;
  // By arrival, in no order: everything ordered by arrival goes through idle_, gossip_ and
  // the senders' nonce maps, and a hash map makes each of the several lookups an admission,
  // a proposal or a commit makes per transaction O(1). Arrivals are this node's own counter,
  // so std::hash (identity) spreads them evenly and no peer can choose them.
  std::unordered_map<Arrival, Entry> entries_;
  std::unordered_map<Hash, Arrival, crypto::HashHasher> by_hash_;
  // In no order: nothing iterates it for an ordered result (block building follows idle_).
  std::unordered_map<Address, Sender, crypto::AddressHasher> senders_;
  std::set<Arrival> idle_;  // not in flight: candidates for blocks
  // Idle txs, first to evict first: lowest fee, then newest (highest arrival).
  struct EvictionOrder {
    bool operator()(const std::pair<uint64_t, Arrival>& a,
                    const std::pair<uint64_t, Arrival>& b) const {
      return a.first != b.first ? a.first < b.first : a.second > b.second;
    }
  };
  std::set<std::pair<uint64_t, Arrival>, EvictionOrder> eviction_;
  std::set<Arrival> gossip_;  // client txs not yet gossiped
  // Idle txs behind a nonce gap, by (when they started waiting, arrival): oldest first.
  std::set<std::pair<uint64_t, Arrival>> gapped_by_time_;
  uint64_t clock_ms_ = 0;  // the latest now_ms given to expire_gapped()
  bool clock_started_ = false;
  uint64_t clock_start_ms_ = 0;  // the first now_ms: the stamp of txs that waited before it
  Arrival next_arrival_ = 0;
  size_t bytes_ = 0;
  size_t executable_senders_ = 0;  // senders for which executable() holds
};

}  // namespace phalanx::node
