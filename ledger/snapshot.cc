// Store reads: Snapshot (one MDB read transaction) and the Store's one-shot read helpers.
// The full consistency audit lives in store_audit.cc.
#include <string>
#include <utility>

#include "ledger/store.h"
#include "ledger/store_records.h"

namespace phalanx::ledger {

bool AccountProof::verify(const Address& address) const {
  std::optional<Hash> value_hash;
  if (account.has_value()) value_hash = account_value_hash(*account);
  return verify_proof(state_root, account_key(address), value_hash, proof);
}

Snapshot::Snapshot(lmdb::Txn txn, const Databases* databases, const Genesis* genesis,
                   std::atomic<int64_t>* open_count)
    : txn_(std::move(txn)), databases_(databases), genesis_(genesis), open_count_(open_count) {
  open_count_->fetch_add(1);
}

Snapshot::Snapshot(Snapshot&& other) noexcept
    : txn_(std::move(other.txn_)),
      databases_(other.databases_),
      genesis_(other.genesis_),
      open_count_(other.open_count_),
      height_(other.height_),
      fees_burned_(other.fees_burned_),
      tip_hash_(other.tip_hash_),
      tree_version_(std::move(other.tree_version_)) {
  other.open_count_ = nullptr;
}

Snapshot::~Snapshot() {
  if (open_count_ != nullptr) open_count_->fetch_sub(1);
}

Status Snapshot::load_tip() {
  auto height = records::meta_u64(txn_, databases_->meta, records::kHeight);
  if (!height) return height.status();
  auto burned = records::meta_u64(txn_, databases_->meta, records::kBurned);
  if (!burned) return burned.status();
  auto tip = records::meta_hash(txn_, databases_->meta, records::kTipHash);
  if (!tip) return tip.status();
  height_ = *height;
  fees_burned_ = *burned;
  tip_hash_ = *tip;
  return Status::ok();
}

Result<std::optional<Bytes>> Snapshot::block_bytes(uint64_t height) const {
  auto value = lmdb::get(txn_, databases_->blocks, lmdb::u64_key(height));
  if (!value) return value.status();
  if (!value->has_value()) return std::optional<Bytes>();
  return std::optional<Bytes>(Bytes((*value)->begin(), (*value)->end()));
}

Result<std::optional<Block>> Snapshot::block(uint64_t height) const {
  auto value = lmdb::get(txn_, databases_->blocks, lmdb::u64_key(height));
  if (!value) return value.status();
  if (!value->has_value()) return std::optional<Block>();
  auto block = decode_block(**value, genesis_->block_limits);
  if (!block) {
    return Status::error("corrupt block " + std::to_string(height) + ": " + block.message());
  }
  return std::optional<Block>(std::move(block).value());
}

Result<std::optional<SignedTransaction>> Snapshot::block_transaction(uint64_t height,
                                                                     uint32_t index) const {
  auto value = lmdb::get(txn_, databases_->blocks, lmdb::u64_key(height));
  if (!value) return value.status();
  if (!value->has_value()) return std::optional<SignedTransaction>();
  auto tx = decode_block_transaction(**value, index, genesis_->block_limits);
  if (!tx) return Status::error("corrupt block " + std::to_string(height) + ": " + tx.message());
  return std::optional<SignedTransaction>(std::move(tx).value());
}

Result<std::optional<CommitCertificate>> Snapshot::certificate(uint64_t height) const {
  auto value = lmdb::get(txn_, databases_->certificates, lmdb::u64_key(height));
  if (!value) return value.status();
  if (!value->has_value()) return std::optional<CommitCertificate>();
  auto certificate = decode_certificate(**value, genesis_->n());
  if (!certificate) {
    return Status::error("corrupt certificate " + std::to_string(height) + ": " +
                         certificate.message());
  }
  return std::optional<CommitCertificate>(std::move(certificate).value());
}

Result<std::optional<uint64_t>> Snapshot::block_height(const Hash& block_hash) const {
  auto value = lmdb::get(txn_, databases_->block_hashes, block_hash);
  if (!value) return value.status();
  if (!value->has_value()) return std::optional<uint64_t>();
  auto height = records::decode_u64(**value, "block hash index");
  if (!height) return height.status();
  return std::optional<uint64_t>(*height);
}

Result<std::optional<TxRecord>> Snapshot::transaction(const Hash& tx_hash) const {
  auto value = lmdb::get(txn_, databases_->txs, tx_hash);
  if (!value) return value.status();
  if (!value->has_value()) return std::optional<TxRecord>();
  auto record = records::decode_tx_record(**value);
  if (!record) {
    return Status::error("corrupt tx record " + crypto::to_hex(tx_hash) + ": " + record.message());
  }
  return std::optional<TxRecord>(*record);
}

Result<Account> Snapshot::account(const Address& address) const {
  auto account = records::read_account(txn_, databases_->accounts, address);
  if (!account) return account.status();
  return account->value_or(Account{});
}

Result<std::optional<Hash>> Snapshot::state_root(uint64_t height) const {
  auto value = lmdb::get(txn_, databases_->state_roots, lmdb::u64_key(height));
  if (!value) return value.status();
  if (!value->has_value()) return std::optional<Hash>();
  auto root = records::decode_hash(**value, "state root");
  if (!root) return root.status();
  return std::optional<Hash>(*root);
}

Result<std::map<uint64_t, Hash>> Snapshot::recent_state_roots(uint64_t count) const {
  std::map<uint64_t, Hash> roots;
  for (uint64_t i = 0; i < count && i <= height_; ++i) {
    auto root = state_root(height_ - i);
    if (!root) return root.status();
    if (!root->has_value()) break;  // older than the kept window
    roots[height_ - i] = **root;
  }
  return roots;
}

Result<AccountProof> Snapshot::prove(const Address& address) const {
  AccountProof result;
  auto account = records::read_account(txn_, databases_->accounts, address);
  if (!account) return account.status();
  result.account = *account;
  const MemNodeReader nodes = tree_nodes();
  const StateTree tree(static_cast<const NodeReader&>(nodes));
  auto root = tree.root_hash();
  if (!root) return root.status();
  result.state_root = *root;
  auto proof = tree.prove(account_key(address));
  if (!proof) return proof.status();
  result.proof = std::move(proof).value();
  return result;
}

Result<Snapshot> Store::snapshot() const {
  // A transaction begun several commits before the tree version is looked up finds its
  // version gone (only the last few are kept): the next one sees a newer tip. Each miss
  // needs several commits in between (or version_at's 1 s wait for a commit being
  // published, which committed() does at once).
  constexpr int kAttempts = 64;
  for (int attempt = 1;; ++attempt) {
    auto txn = lmdb::Txn::begin(env_, true);
    if (!txn) return txn.status();
    Snapshot snapshot(std::move(txn).value(), &databases_, &genesis_, &open_snapshots_);
    PHALANX_RETURN_IF_ERROR(snapshot.load_tip());
    snapshot.tree_version_ = tree_->version_at(snapshot.height());
    if (snapshot.tree_version_ != nullptr) return snapshot;
    if (attempt == kAttempts) {
      return Status::error("no state tree version for height " + std::to_string(snapshot.height()));
    }
  }
}

namespace {

// One-shot reads: open a snapshot, read, close it.
template <class Read>
auto with_snapshot(const Store& store, Read read)
    -> decltype(read(std::declval<const Snapshot&>())) {
  auto snapshot = store.snapshot();
  if (!snapshot) return snapshot.status();
  return read(*snapshot);
}

}  // namespace

Result<std::optional<Block>> Store::block(uint64_t height) const {
  return with_snapshot(*this, [&](const Snapshot& s) { return s.block(height); });
}
Result<std::optional<CommitCertificate>> Store::certificate(uint64_t height) const {
  return with_snapshot(*this, [&](const Snapshot& s) { return s.certificate(height); });
}
Result<std::optional<uint64_t>> Store::block_height(const Hash& block_hash) const {
  return with_snapshot(*this, [&](const Snapshot& s) { return s.block_height(block_hash); });
}
Result<std::optional<TxRecord>> Store::transaction(const Hash& tx_hash) const {
  return with_snapshot(*this, [&](const Snapshot& s) { return s.transaction(tx_hash); });
}
Result<Account> Store::account(const Address& address) const {
  return with_snapshot(*this, [&](const Snapshot& s) { return s.account(address); });
}
Result<std::optional<Hash>> Store::state_root(uint64_t height) const {
  return with_snapshot(*this, [&](const Snapshot& s) { return s.state_root(height); });
}
Result<uint64_t> Store::fees_burned() const {
  return with_snapshot(*this, [](const Snapshot& s) { return Result<uint64_t>(s.fees_burned()); });
}
Result<AccountProof> Store::prove(const Address& address) const {
  return with_snapshot(*this, [&](const Snapshot& s) { return s.prove(address); });
}

Result<std::map<std::string, Bytes>> Store::consensus_entries() const {
  auto txn = lmdb::Txn::begin(env_, true);
  if (!txn) return txn.status();
  std::map<std::string, Bytes> entries;
  PHALANX_RETURN_IF_ERROR(
      lmdb::for_each(*txn, databases_.consensus, [&](ByteSpan key, ByteSpan value) {
        entries.emplace(std::string(key.begin(), key.end()), Bytes(value.begin(), value.end()));
        return Status::ok();
      }));
  return entries;
}

}  // namespace phalanx::ledger
