// Building a signed transfer for `sign` and `send`: validates the flags, fills what the
// user left out from the node (chain id and minFee from getStatus, the nonce from
// getAccount and the nonce record), then unlocks the key — after the node was reached, so
// nobody types a password for a transfer that cannot be built.
//
// Nonce rule (contract "Wallet CLI"): without --nonce the nonce is the larger of the
// node's pendingNonce and one past the highest nonce this keystore sent from the key on
// this chain in the last 60 s (wallet/nonce_record.h).
// Thread-safety: as Context.
#pragma once

#include <string>
#include <vector>

#include "ledger/transaction.h"
#include "wallet/commands.h"
#include "wallet/nonce_record.h"

namespace phalanx::wallet {

struct TransferPlan {
  crypto::KeyInfo from;
  crypto::Address to;
  std::string chain_id;
  uint64_t amount = 0;
  uint64_t fee = 0;
  uint64_t nonce = 0;
  std::string record_path;         // the sender's nonce record
  std::vector<SentNonce> record;   // its entries, to extend after a send
  std::vector<std::string> notes;  // warnings for stderr
};

Checked<TransferPlan> plan_transfer(Context& context);

// Unlocks the sender and signs the planned transfer.
Checked<ledger::SignedTransaction> sign_transfer(Context& context, const TransferPlan& plan);

}  // namespace phalanx::wallet
