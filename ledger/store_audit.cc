// Store::check_consistency: the full audit used by tests after crashes and available to
// operators. O(accounts) time and memory.
#include <string>

#include "ledger/store.h"
#include "ledger/store_records.h"

namespace phalanx::ledger {

namespace {

Status check_tip_block(const Snapshot& snapshot) {
  const uint64_t height = snapshot.height();
  auto block = snapshot.block(height);
  if (!block) return block.status();
  if (!block->has_value()) return Status::error("tip block " + std::to_string(height) + " missing");
  if ((*block)->header.height != height || block_hash((*block)->header) != snapshot.tip_hash()) {
    return Status::error("tip block " + std::to_string(height) + " does not match the tip hash");
  }
  auto indexed = snapshot.block_height(snapshot.tip_hash());
  if (!indexed) return indexed.status();
  if (*indexed != std::optional<uint64_t>(height)) {
    return Status::error("block hash index does not map the tip to its height");
  }
  auto above = snapshot.block(height + 1);
  if (!above) return above.status();
  if (above->has_value()) return Status::error("a block exists above the tip height");
  if (height == 0) return Status::ok();
  auto certificate = snapshot.certificate(height);
  if (!certificate) return certificate.status();
  if (!certificate->has_value()) return Status::error("tip certificate missing");
  return Status::ok();
}

}  // namespace

Status Store::check_consistency() const {
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto checked = check_snapshot();
    if (!checked) return checked.status();
    if (*checked) return Status::ok();
  }
  return Status::error("the state tree kept being flushed past the audited height; retry");
}

Result<bool> Store::check_snapshot() const {
  auto snapshot = this->snapshot();
  if (!snapshot) return snapshot.status();
  PHALANX_RETURN_IF_ERROR(check_tip_block(*snapshot));

  std::map<Address, Account> accounts;
  unsigned __int128 balances = 0;
  PHALANX_RETURN_IF_ERROR(lmdb::for_each(snapshot->txn_, databases_.accounts,
                                         [&](ByteSpan key, ByteSpan value) -> Status {
                                           Address address;
                                           if (key.size() != address.bytes.size())
                                             return Status::error("corrupt account key");
                                           std::copy(key.begin(), key.end(), address.bytes.begin());
                                           auto account = records::decode_account_record(value);
                                           if (!account) return account.status();
                                           balances += account->balance;
                                           accounts.emplace(address, *account);
                                           return Status::ok();
                                         }));
  if (balances + snapshot->fees_burned() != genesis_.total_supply()) {
    return Status::error("supply not conserved: balances + burned fees != genesis supply " +
                         std::to_string(genesis_.total_supply()));
  }
  const Hash recomputed = compute_state_root(accounts);
  const MemNodeReader nodes = snapshot->tree_nodes();
  auto tree_root = StateTree(static_cast<const NodeReader&>(nodes)).root_hash();
  if (!tree_root) return tree_root.status();
  if (*tree_root != recomputed) {
    return Status::error("stored state tree root differs from the root of the accounts");
  }
  auto stored_root = snapshot->state_root(snapshot->height());
  if (!stored_root) return stored_root.status();
  if (*stored_root != std::optional<Hash>(recomputed)) {
    return Status::error("stored state root of the tip height differs from the accounts");
  }
  // And what the next open rebuilds from LMDB is that tree too.
  return tree_->audit(snapshot->txn_, snapshot->height(), recomputed);
}

}  // namespace phalanx::ledger
