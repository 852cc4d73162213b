// Transfer encoding (grammar in transaction.h, vectors in docs/encoding.md).
#include "ledger/transaction.h"

#include "crypto/domain.h"

namespace phalanx::ledger {
namespace {

void write_unsigned_fields(const Transaction& tx, Writer* writer) {
  writer->u8(kTransactionVersion);
  writer->short_string(tx.chain_id);
  writer->fixed(tx.sender);
  writer->fixed(tx.recipient.bytes);
  writer->u64(tx.amount);
  writer->u64(tx.fee);
  writer->u64(tx.nonce);
}

Bytes unsigned_body(const Transaction& tx) {
  Writer writer;
  write_unsigned_fields(tx, &writer);
  return writer.take();
}

Status read_header_fields(Reader* reader, Transaction* tx) {
  uint8_t version = 0;
  PHALANX_RETURN_IF_ERROR(reader->u8(&version));
  if (version != kTransactionVersion) {
    return Status::error("unsupported transaction version " + std::to_string(version));
  }
  PHALANX_RETURN_IF_ERROR(reader->short_string(crypto::kChainIdBytesMax, &tx->chain_id));
  Status chain = crypto::validate_chain_id(tx->chain_id);
  if (!chain) return Status::error("transaction " + chain.message());
  PHALANX_RETURN_IF_ERROR(reader->fixed(&tx->sender));
  return reader->fixed(&tx->recipient.bytes);
}

Status read_value_fields(Reader* reader, Transaction* tx) {
  PHALANX_RETURN_IF_ERROR(reader->u64(&tx->amount));
  if (tx->amount == 0 || tx->amount > kAmountMax) {
    return Status::error("transaction amount " + std::to_string(tx->amount) +
                         " is outside 1..2^53-1");
  }
  PHALANX_RETURN_IF_ERROR(reader->u64(&tx->fee));
  if (tx->fee > kAmountMax) {
    return Status::error("transaction fee " + std::to_string(tx->fee) + " exceeds 2^53-1");
  }
  PHALANX_RETURN_IF_ERROR(reader->u64(&tx->nonce));
  return reader->fixed(&tx->signature);
}

}  // namespace

Bytes encode_transaction(const Transaction& tx) {
  Writer writer;
  write_unsigned_fields(tx, &writer);
  writer.fixed(tx.signature);
  return writer.take();
}

Bytes transaction_signing_message(const Transaction& tx) {
  return crypto::signing_message(crypto::Domain::kTransaction, tx.chain_id, unsigned_body(tx));
}

Result<Transaction> decode_transaction(ByteSpan bytes) {
  if (bytes.size() > kTransactionBytesMax) {
    return Status::error("transaction of " + std::to_string(bytes.size()) +
                         " bytes exceeds the maximum " + std::to_string(kTransactionBytesMax));
  }
  Reader reader(bytes);
  Transaction tx;
  PHALANX_RETURN_IF_ERROR(read_header_fields(&reader, &tx));
  PHALANX_RETURN_IF_ERROR(read_value_fields(&reader, &tx));
  PHALANX_RETURN_IF_ERROR(reader.finish());
  return tx;
}

Result<SignedTransaction> parse_signed_transaction(ByteSpan bytes) {
  auto tx = decode_transaction(bytes);
  if (!tx) return tx.status();
  SignedTransaction signed_tx;
  signed_tx.tx = std::move(*tx);
  signed_tx.bytes.assign(bytes.begin(), bytes.end());
  signed_tx.hash = crypto::sha256(bytes);
  return signed_tx;
}

bool verify_transaction_signature(const Transaction& tx) {
  if (!crypto::validate_chain_id(tx.chain_id).is_ok()) return false;
  return crypto::verify_domain(tx.sender, crypto::Domain::kTransaction, tx.chain_id,
                               unsigned_body(tx), tx.signature);
}

SignedTransaction make_transfer(const crypto::SecretKey& key, const std::string& chain_id,
                                const Address& recipient, uint64_t amount, uint64_t fee,
                                uint64_t nonce) {
  PHALANX_ASSERT(crypto::validate_chain_id(chain_id).is_ok());
  PHALANX_ASSERT(amount >= 1 && amount <= kAmountMax);
  PHALANX_ASSERT(fee <= kAmountMax);
  SignedTransaction signed_tx;
  Transaction& tx = signed_tx.tx;
  tx.chain_id = chain_id;
  tx.sender = key.public_key();
  tx.recipient = recipient;
  tx.amount = amount;
  tx.fee = fee;
  tx.nonce = nonce;
  tx.signature =
      crypto::sign_domain(key, crypto::Domain::kTransaction, chain_id, unsigned_body(tx));
  signed_tx.bytes = encode_transaction(tx);
  signed_tx.hash = crypto::sha256(signed_tx.bytes);
  return signed_tx;
}

}  // namespace phalanx::ledger
