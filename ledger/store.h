// The ledger's durable store: one LMDB environment per node holding the committed chain,
// the executed state and the consensus core's persisted records, and beside it (in `tree/`)
// the state tree's nodes in an environment of their own (ledger/tree_flusher.h).
//
// Named databases (integers big-endian, so heights sort numerically):
//   blocks        height:u64 -> encode_block(block)
//   block_hashes  block_hash:32 -> height:u64
//   certificates  height:u64 -> encode_certificate(commit certificate)   (none for genesis)
//   txs           tx_hash:32 -> height:u64 index:u32 error:u8           (write-once)
//   accounts      address:20 -> cereal(Account)
//   tree          empty (formats 1 and 2 kept the tree's nodes here, at meta "tree_height";
//                 opening such a store moves them to `tree/`)
//   tree_pending  height:u64 -> the tree updates of a commit not yet flushed to `tree/`
//   state_roots   height:u64 -> state root after executing that height (the last
//                 StoreOptions::state_roots_kept heights)
//   meta          "format" u64 | "genesis_fingerprint" 32 | "genesis_hash" 32 |
//                 "height" u64 | "tip_hash" 32 | "burned" u64
//   consensus     key -> value, written only through write_consensus()
//
// Durability and atomicity: the environment never uses MDB_NOSYNC, MDB_NOMETASYNC,
// MDB_MAPASYNC or MDB_WRITEMAP (asserted after open), so every commit is durable when it
// returns. Committing a block -- block, certificate, tx index, accounts, state tree updates,
// state root and metadata -- is ONE write transaction: after a crash the store is at the last
// committed height with everything that belongs to it, or at the one before. The state tree's
// nodes are written back every few commits (ledger/tree_cache.h); between flushes each commit
// stores the tree updates it applied, and opening the store rebuilds the nodes from them.
//
// Thread-safety: any thread may read (each Snapshot is an MDB read transaction on a fixed
// committed state and never blocks the writer); commits and consensus writes are serialised
// by LMDB's writer lock and are meant to come from one thread. A Snapshot is used by one
// thread at a time and must be destroyed before its Store.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ledger/genesis.h"
#include "ledger/lmdb.h"
#include "ledger/state.h"
#include "ledger/tree_cache.h"

namespace phalanx::ledger {

struct StoreOptions {
  uint64_t map_size_bytes = uint64_t{64} << 30;  // sparse file; grows as written
  uint32_t readers_max = 126;                    // concurrent snapshots
  uint64_t state_roots_kept = 1024;              // heights whose state root stays readable
  TreeCacheOptions tree_cache;                   // how often the state tree's nodes are written
};

// Most blocks one commit_blocks() call may carry.
constexpr size_t kCommitBlocksMax = 1024;
constexpr size_t kConsensusKeyBytesMax = 256;
constexpr size_t kConsensusValueBytesMax = size_t{8} << 20;

struct CertifiedBlock {
  Block block;
  CommitCertificate certificate;
};

// What committing one block produced.
struct ExecutedBlock {
  uint64_t height = 0;
  Hash block_hash{};
  Hash state_root{};  // after executing this block
  BlockOutcome outcome;
};

// Where a transaction landed and how it ended.
struct TxRecord {
  uint64_t height = 0;
  uint32_t index = 0;
  TxError error = TxError::kNone;
  bool committed() const { return error == TxError::kNone; }
  bool operator==(const TxRecord&) const = default;
};

// An account with a proof of it (or of its absence) against the state root.
struct AccountProof {
  Hash state_root{};
  std::optional<Account> account;  // nullopt: never written
  TreeProof proof;
  bool verify(const Address& address) const;
};

struct ConsensusWrite {
  enum class Type : uint8_t { kPut, kErase };
  Type type = Type::kPut;
  std::string key;
  Bytes value;
};

struct Databases {
  MDB_dbi blocks = 0, block_hashes = 0, certificates = 0, txs = 0, accounts = 0, tree = 0,
          tree_pending = 0, state_roots = 0, meta = 0, consensus = 0;
};

// A read-only view of one committed height.
class Snapshot {
 public:
  Snapshot(Snapshot&& other) noexcept;
  Snapshot& operator=(Snapshot&&) = delete;
  ~Snapshot();

  uint64_t height() const { return height_; }
  uint64_t fees_burned() const { return fees_burned_; }
  const Hash& tip_hash() const { return tip_hash_; }

  Result<std::optional<Bytes>> block_bytes(uint64_t height) const;
  Result<std::optional<Block>> block(uint64_t height) const;
  // Transaction `index` of block `height` (ledger/block.h decode_block_transaction): for
  // looking up one transaction without decoding its whole block. nullopt: no such block.
  Result<std::optional<SignedTransaction>> block_transaction(uint64_t height, uint32_t index) const;
  // nullopt for genesis and beyond the tip.
  Result<std::optional<CommitCertificate>> certificate(uint64_t height) const;
  Result<std::optional<uint64_t>> block_height(const Hash& block_hash) const;
  Result<std::optional<TxRecord>> transaction(const Hash& tx_hash) const;
  // A zero account for an address never written.
  Result<Account> account(const Address& address) const;
  // nullopt beyond the tip or older than the kept window.
  Result<std::optional<Hash>> state_root(uint64_t height) const;
  // height -> root for the last `count` heights up to the tip (fewer near genesis).
  Result<std::map<uint64_t, Hash>> recent_state_roots(uint64_t count) const;
  Result<AccountProof> prove(const Address& address) const;

 private:
  friend class Store;
  Snapshot(lmdb::Txn txn, const Databases* databases, const Genesis* genesis,
           std::atomic<int64_t>* open_count);
  Status load_tip();
  // The state tree as of this snapshot's height.
  MemNodeReader tree_nodes() const {
    PHALANX_ASSERT_MSG(tree_version_ != nullptr, "Snapshot used after a move");
    return MemNodeReader(tree_version_);
  }

  lmdb::Txn txn_;
  const Databases* databases_;
  const Genesis* genesis_;
  std::atomic<int64_t>* open_count_;
  uint64_t height_ = 0;
  uint64_t fees_burned_ = 0;
  Hash tip_hash_{};
  std::shared_ptr<const TreeVersion> tree_version_;
};

class Store {
 public:
  // Opens `dir` (creating it), initialising it from `genesis` on first use; refuses a
  // directory initialised with a different genesis.
  static Result<std::unique_ptr<Store>> open(const std::string& dir, const Genesis& genesis,
                                             const StoreOptions& options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const Genesis& genesis() const { return genesis_; }
  const Hash& genesis_hash() const { return genesis_hash_; }
  uint64_t height() const { return height_.load(std::memory_order_acquire); }

  // Executes and durably stores the next block. Rejected, with nothing written, unless the
  // block extends the tip (height, prev_hash, chain id) within the block limits with a
  // matching tx_root and a well-formed certificate. The certificate's signatures are not
  // checked here: consensus verified them.
  Result<ExecutedBlock> commit_block(const Block& block, const CommitCertificate& certificate);
  // Several consecutive blocks in one transaction (catch-up): all or nothing.
  // REQUIRES: blocks.size() <= kCommitBlocksMax (else an error).
  Result<std::vector<ExecutedBlock>> commit_blocks(std::span<const CertifiedBlock> blocks);

  Result<Snapshot> snapshot() const;
  // Reads on a fresh snapshot each.
  Result<std::optional<Block>> block(uint64_t height) const;
  Result<std::optional<CommitCertificate>> certificate(uint64_t height) const;
  Result<std::optional<uint64_t>> block_height(const Hash& block_hash) const;
  Result<std::optional<TxRecord>> transaction(const Hash& tx_hash) const;
  Result<Account> account(const Address& address) const;
  Result<std::optional<Hash>> state_root(uint64_t height) const;
  Result<uint64_t> fees_burned() const;
  Result<AccountProof> prove(const Address& address) const;

  // Applies put/erase records in order, durably, in one transaction. Erasing an absent key
  // is a no-op. Keys are 1..kConsensusKeyBytesMax bytes, values at most
  // kConsensusValueBytesMax.
  Status write_consensus(std::span<const ConsensusWrite> writes);
  Result<std::map<std::string, Bytes>> consensus_entries() const;

  // Full audit, O(accounts): the tip block, its hash index and certificate are present;
  // sum(balances) + burned == genesis supply; the state root recomputed from the accounts
  // equals both the stored tree's root and the stored root of the tip height.
  Status check_consistency() const;

  // The state tree's write-back cache (tests and the benchmark).
  const TreeCache& tree_cache() const { return *tree_; }
  TreeCache& tree_cache() { return *tree_; }

 private:
  struct Tip {
    uint64_t height = 0;
    Hash hash{};
    uint64_t fees_burned = 0;
  };
  Store(lmdb::Env env, std::unique_ptr<TreeFlusher> tree_flusher, const Genesis& genesis,
        const StoreOptions& options);
  Status initialise_or_check();
  Status write_genesis(const lmdb::Txn& txn);
  Result<ExecutedBlock> commit_block_in_txn(const lmdb::Txn& txn, Tip* tip, const Block& block,
                                            const CommitCertificate& certificate);
  Status check_extends(const Tip& tip, const Block& block) const;
  // check_consistency on one snapshot; false: the state tree was flushed past the snapshot's
  // height meanwhile (retake it).
  Result<bool> check_snapshot() const;
  // Writes the accounts; returns their state tree updates, sorted by key.
  Result<std::vector<TreeUpdate>> write_accounts(const lmdb::Txn& txn,
                                                 const std::map<Address, Account>& accounts);
  Status write_tip(const lmdb::Txn& txn, const Tip& tip) const;
  Result<std::vector<ExecutedBlock>> commit_in_txn(const lmdb::Txn& txn,
                                                   std::span<const CertifiedBlock> blocks,
                                                   Tip* tip);

  lmdb::Env env_;
  std::unique_ptr<TreeFlusher> tree_flusher_;  // until tree_ takes it
  Genesis genesis_;
  uint64_t total_supply_;  // of genesis_: a sum over every allocation, computed once
  StoreOptions options_;
  Databases databases_;
  std::unique_ptr<TreeCache> tree_;  // created once the databases are open
  Hash genesis_hash_{};
  std::atomic<uint64_t> height_{0};
  mutable std::atomic<int64_t> open_snapshots_{0};
};

}  // namespace phalanx::ledger
