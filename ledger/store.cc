// Store: opening, genesis initialisation and block commits. Reads live in snapshot.cc.
#include "ledger/store.h"

#include <algorithm>

#include "ledger/store_records.h"

namespace phalanx::ledger {

namespace {

// apply_block's view of the state inside the commit's write transaction (so a block sees the
// writes of the blocks before it in the same commit_blocks call).
class TxnAccountReader final : public AccountReader {
 public:
  TxnAccountReader(const lmdb::Txn& txn, const Databases& databases)
      : txn_(txn), databases_(databases) {}

  Result<std::optional<Account>> account(const Address& address) const override {
    return records::read_account(txn_, databases_.accounts, address);
  }

  Result<bool> tx_indexed(const Hash& tx_hash) const override {
    auto value = lmdb::get(txn_, databases_.txs, tx_hash);
    if (!value) return value.status();
    return value->has_value();
  }

 private:
  const lmdb::Txn& txn_;
  const Databases& databases_;
};

Result<Databases> open_databases(const lmdb::Txn& txn) {
  Databases d;
  const std::pair<const char*, MDB_dbi*> all[] = {{"blocks", &d.blocks},
                                                  {"block_hashes", &d.block_hashes},
                                                  {"certificates", &d.certificates},
                                                  {"txs", &d.txs},
                                                  {"accounts", &d.accounts},
                                                  {"tree", &d.tree},
                                                  {"tree_pending", &d.tree_pending},
                                                  {"state_roots", &d.state_roots},
                                                  {"meta", &d.meta},
                                                  {"consensus", &d.consensus}};
  for (const auto& [name, dbi] : all) {
    auto opened = lmdb::open_database(txn, name, true);
    if (!opened) return opened.status();
    *dbi = *opened;
  }
  return d;
}

}  // namespace

Store::Store(lmdb::Env env, std::unique_ptr<TreeFlusher> tree_flusher, const Genesis& genesis,
             const StoreOptions& options)
    : env_(std::move(env)),
      tree_flusher_(std::move(tree_flusher)),
      genesis_(genesis),
      total_supply_(genesis.total_supply()),
      options_(options) {}

Store::~Store() {
  PHALANX_ASSERT_MSG(open_snapshots_.load() == 0, "a Snapshot outlived its Store");
}

Result<std::unique_ptr<Store>> Store::open(const std::string& dir, const Genesis& genesis,
                                           const StoreOptions& options) {
  if (options.state_roots_kept == 0) return Status::error("state_roots_kept must be >= 1");
  lmdb::EnvOptions env_options;
  env_options.map_size_bytes = options.map_size_bytes;
  env_options.readers_max = options.readers_max;
  auto env = lmdb::Env::open(dir, env_options);
  if (!env) return env.status();
  PHALANX_ASSERT_MSG((env->flags() & lmdb::kNotDurableFlags) == 0, "the store must commit durably");
  lmdb::EnvOptions tree_options = env_options;
  tree_options.readers_max = 16;  // the flusher's and audits'
  auto tree_flusher = TreeFlusher::open(dir + "/tree", tree_options);
  if (!tree_flusher) return Status::error("store " + dir + ": " + tree_flusher.message());
  std::unique_ptr<Store> store(
      new Store(std::move(env).value(), std::move(tree_flusher).value(), genesis, options));
  Status status = store->initialise_or_check();
  if (!status) return Status::error("store " + dir + ": " + status.message());
  return store;
}

Status Store::initialise_or_check() {
  auto txn = lmdb::Txn::begin(env_, false);
  if (!txn) return txn.status();
  auto databases = open_databases(*txn);
  if (!databases) return databases.status();
  databases_ = *databases;
  tree_ = std::make_unique<TreeCache>(
      std::move(tree_flusher_),
      TreeDatabases{databases_.tree_pending, databases_.meta, databases_.tree}, options_.tree_cache);
  const Hash fingerprint = genesis_fingerprint(genesis_);
  auto stored = lmdb::get(*txn, databases_.meta, as_span(records::kGenesisFingerprint));
  if (!stored) return stored.status();
  if (!stored->has_value()) {
    PHALANX_RETURN_IF_ERROR(write_genesis(*txn));
  } else {
    auto format = records::meta_u64(*txn, databases_.meta, records::kFormat);
    if (!format) return format.status();
    if (*format != records::kFormatVersion && *format != records::kFormatVersionTreeInLedger &&
        *format != records::kFormatVersionTreeInPlace) {
      return Status::error("unsupported store format " + std::to_string(*format));
    }
    auto stored_fingerprint = records::decode_hash(**stored, records::kGenesisFingerprint);
    if (!stored_fingerprint) return stored_fingerprint.status();
    if (*stored_fingerprint != fingerprint) {
      return Status::error("initialised with a different genesis (chain id '" + genesis_.chain_id +
                           "' given); refusing to open");
    }
  }
  auto genesis_hash = records::meta_hash(*txn, databases_.meta, records::kGenesisHash);
  if (!genesis_hash) return genesis_hash.status();
  genesis_hash_ = *genesis_hash;
  auto height = records::meta_u64(*txn, databases_.meta, records::kHeight);
  if (!height) return height.status();
  auto root = lmdb::get(*txn, databases_.state_roots, lmdb::u64_key(*height));
  if (!root) return root.status();
  if (!root->has_value()) return Status::error("no state root stored for the tip (corrupt store)");
  auto tip_root = records::decode_hash(**root, "tip state root");
  if (!tip_root) return tip_root.status();
  // Formats 1 and 2 kept the tree in the ledger: recover() moves it to its own environment.
  PHALANX_RETURN_IF_ERROR(tree_->recover(*txn, *height, *tip_root));
  PHALANX_RETURN_IF_ERROR(lmdb::put(*txn, databases_.meta, as_span(records::kFormat),
                                    records::encode_u64(records::kFormatVersion)));
  Status committed = txn->commit();
  if (!committed) {
    tree_->aborted();
    return committed;
  }
  tree_->committed(*height);
  height_.store(*height, std::memory_order_release);
  return Status::ok();
}

Status Store::write_genesis(const lmdb::Txn& txn) {
  const Block block = genesis_block(genesis_);
  const Hash hash = block_hash(block.header);
  const auto height_key = lmdb::u64_key(0);
  PHALANX_RETURN_IF_ERROR(lmdb::put(txn, databases_.blocks, height_key, encode_block(block)));
  PHALANX_RETURN_IF_ERROR(lmdb::put(txn, databases_.block_hashes, hash, height_key));
  std::map<Address, Account> accounts;
  for (const Allocation& allocation : genesis_.allocations) {
    accounts[allocation.address] = Account{allocation.balance, 0};
  }
  auto updates = write_accounts(txn, accounts);
  if (!updates) return updates.status();
  auto root = tree_->write_genesis(txn, *updates);
  if (!root) return root.status();
  PHALANX_ASSERT_MSG(*root == block.header.state_root, "stored genesis root differs");
  PHALANX_RETURN_IF_ERROR(lmdb::put(txn, databases_.state_roots, height_key, *root));
  const MDB_dbi meta = databases_.meta;
  PHALANX_RETURN_IF_ERROR(lmdb::put(txn, meta, as_span(records::kFormat),
                                    records::encode_u64(records::kFormatVersion)));
  PHALANX_RETURN_IF_ERROR(
      lmdb::put(txn, meta, as_span(records::kGenesisFingerprint), genesis_fingerprint(genesis_)));
  PHALANX_RETURN_IF_ERROR(lmdb::put(txn, meta, as_span(records::kGenesisHash), hash));
  return write_tip(txn, Tip{0, hash, 0});
}

Status Store::write_tip(const lmdb::Txn& txn, const Tip& tip) const {
  const MDB_dbi meta = databases_.meta;
  PHALANX_RETURN_IF_ERROR(
      lmdb::put(txn, meta, as_span(records::kHeight), records::encode_u64(tip.height)));
  PHALANX_RETURN_IF_ERROR(lmdb::put(txn, meta, as_span(records::kTipHash), tip.hash));
  return lmdb::put(txn, meta, as_span(records::kBurned), records::encode_u64(tip.fees_burned));
}

Result<std::vector<TreeUpdate>> Store::write_accounts(const lmdb::Txn& txn,
                                                      const std::map<Address, Account>& accounts) {
  std::vector<TreeUpdate> updates;
  updates.reserve(accounts.size());
  for (const auto& [address, account] : accounts) {
    PHALANX_RETURN_IF_ERROR(lmdb::put(txn, databases_.accounts, address.bytes,
                                      records::encode_account_record(account)));
    updates.push_back({account_key(address), account_value_hash(account)});
  }
  std::sort(updates.begin(), updates.end(),
            [](const TreeUpdate& a, const TreeUpdate& b) { return a.key < b.key; });
  return updates;
}

Status Store::check_extends(const Tip& tip, const Block& block) const {
  const BlockHeader& header = block.header;
  if (header.chain_id != genesis_.chain_id) {
    return Status::error("block chain id '" + header.chain_id + "' is not '" + genesis_.chain_id +
                         "'");
  }
  if (header.height != tip.height + 1) {
    return Status::error("block height " + std::to_string(header.height) +
                         " does not extend the tip at height " + std::to_string(tip.height));
  }
  if (header.prev_hash != tip.hash) {
    return Status::error("block " + std::to_string(header.height) +
                         " prev_hash does not match the tip's hash");
  }
  if (block.transactions.size() > genesis_.block_limits.txs_max ||
      header.tx_count != block.transactions.size()) {
    return Status::error("block " + std::to_string(header.height) + " has a bad transaction count");
  }
  if (header.tx_root != merkle_root(transaction_hashes(block))) {
    return Status::error("block " + std::to_string(header.height) + " tx_root mismatch");
  }
  return Status::ok();
}

Result<ExecutedBlock> Store::commit_block_in_txn(const lmdb::Txn& txn, Tip* tip, const Block& block,
                                                 const CommitCertificate& certificate) {
  PHALANX_RETURN_IF_ERROR(check_extends(*tip, block));
  const Bytes block_bytes = encode_block(block);
  if (block_bytes.size() > genesis_.block_limits.bytes_max) {
    return Status::error("block " + std::to_string(block.header.height) + " exceeds " +
                         std::to_string(genesis_.block_limits.bytes_max) + " bytes");
  }
  const Bytes certificate_bytes = encode_certificate(certificate);
  auto decoded = decode_certificate(certificate_bytes, genesis_.n());
  if (!decoded) {
    return Status::error("block " + std::to_string(block.header.height) +
                         " certificate is malformed: " + decoded.message());
  }
  auto outcome = apply_block(TxnAccountReader(txn, databases_), block);
  if (!outcome) return outcome.status();

  ExecutedBlock executed;
  executed.height = block.header.height;
  executed.block_hash = block_hash(block.header);
  const auto height_key = lmdb::u64_key(executed.height);
  PHALANX_RETURN_IF_ERROR(lmdb::put_new(txn, databases_.blocks, height_key, block_bytes));
  PHALANX_RETURN_IF_ERROR(
      lmdb::put_new(txn, databases_.block_hashes, executed.block_hash, height_key));
  PHALANX_RETURN_IF_ERROR(
      lmdb::put_new(txn, databases_.certificates, height_key, certificate_bytes));
  for (uint32_t index = 0; index < outcome->txs.size(); ++index) {
    const TxOutcome& tx = outcome->txs[index];
    if (!tx.indexed()) continue;
    const Bytes record = records::encode_tx_record({executed.height, index, tx.error});
    PHALANX_RETURN_IF_ERROR(lmdb::put_new(txn, databases_.txs, tx.hash, record));
  }
  auto updates = write_accounts(txn, outcome->accounts);
  if (!updates) return updates.status();
  auto root = tree_->apply(*updates);
  if (!root) return root.status();
  executed.state_root = *root;
  PHALANX_RETURN_IF_ERROR(lmdb::put(txn, databases_.state_roots, height_key, *root));
  if (executed.height >= options_.state_roots_kept) {
    const auto expired = lmdb::u64_key(executed.height - options_.state_roots_kept);
    PHALANX_RETURN_IF_ERROR(lmdb::erase(txn, databases_.state_roots, expired));
  }
  PHALANX_ASSERT(tip->fees_burned + outcome->fees_burned <= total_supply_);
  *tip = Tip{executed.height, executed.block_hash, tip->fees_burned + outcome->fees_burned};
  PHALANX_RETURN_IF_ERROR(write_tip(txn, *tip));
  executed.outcome = std::move(outcome).value();
  return executed;
}

Result<ExecutedBlock> Store::commit_block(const Block& block,
                                          const CommitCertificate& certificate) {
  const CertifiedBlock one[] = {{block, certificate}};
  auto executed = commit_blocks(one);
  if (!executed) return executed.status();
  return std::move(executed->front());
}

Result<std::vector<ExecutedBlock>> Store::commit_blocks(std::span<const CertifiedBlock> blocks) {
  if (blocks.empty()) return std::vector<ExecutedBlock>();  // nothing to write
  if (blocks.size() > kCommitBlocksMax) {
    return Status::error("cannot commit " + std::to_string(blocks.size()) +
                         " blocks at once (max " + std::to_string(kCommitBlocksMax) + ")");
  }
  auto txn = lmdb::Txn::begin(env_, false);
  if (!txn) return txn.status();
  Tip tip;
  auto height = records::meta_u64(*txn, databases_.meta, records::kHeight);
  if (!height) return height.status();
  auto hash = records::meta_hash(*txn, databases_.meta, records::kTipHash);
  if (!hash) return hash.status();
  auto burned = records::meta_u64(*txn, databases_.meta, records::kBurned);
  if (!burned) return burned.status();
  tip = Tip{*height, *hash, *burned};
  auto executed = commit_in_txn(*txn, blocks, &tip);
  Status committed = executed.status();
  if (committed) committed = txn->commit();
  if (!committed) {  // the transaction aborts (or LMDB aborted it): nothing is written
    tree_->aborted();
    return committed;
  }
  tree_->committed(tip.height);
  height_.store(tip.height, std::memory_order_release);
  return executed;
}

Result<std::vector<ExecutedBlock>> Store::commit_in_txn(const lmdb::Txn& txn,
                                                        std::span<const CertifiedBlock> blocks,
                                                        Tip* tip) {
  std::vector<ExecutedBlock> executed;
  executed.reserve(blocks.size());
  for (const CertifiedBlock& certified : blocks) {
    auto one = commit_block_in_txn(txn, tip, certified.block, certified.certificate);
    if (!one) return one.status();
    executed.push_back(std::move(one).value());
  }
  PHALANX_RETURN_IF_ERROR(tree_->finish(txn, tip->height));
  return executed;
}

Status Store::write_consensus(std::span<const ConsensusWrite> writes) {
  for (const ConsensusWrite& write : writes) {
    if (write.key.empty() || write.key.size() > kConsensusKeyBytesMax) {
      return Status::error("consensus key must be 1.." + std::to_string(kConsensusKeyBytesMax) +
                           " bytes, got " + std::to_string(write.key.size()));
    }
    if (write.value.size() > kConsensusValueBytesMax) {
      return Status::error("consensus value of " + std::to_string(write.value.size()) +
                           " bytes exceeds " + std::to_string(kConsensusValueBytesMax));
    }
  }
  auto txn = lmdb::Txn::begin(env_, false);
  if (!txn) return txn.status();
  for (const ConsensusWrite& write : writes) {
    const ByteSpan key = as_span(write.key);
    if (write.type == ConsensusWrite::Type::kPut) {
      PHALANX_RETURN_IF_ERROR(lmdb::put(*txn, databases_.consensus, key, write.value));
      continue;
    }
    auto present = lmdb::get(*txn, databases_.consensus, key);
    if (!present) return present.status();
    if (present->has_value()) PHALANX_RETURN_IF_ERROR(lmdb::erase(*txn, databases_.consensus, key));
  }
  return txn->commit();
}

}  // namespace phalanx::ledger
