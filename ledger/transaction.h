// Transfers: the only transaction kind. Byte layout (canonical, big-endian integers):
//
//   transaction := version:u8 (= 1)
//                  chain_id_len:u8 chain_id (1..64 bytes of [a-z0-9._-])
//                  sender_public_key:32
//                  recipient_address:20
//                  amount:u64   (1 .. 2^53-1)
//                  fee:u64      (0 .. 2^53-1)
//                  nonce:u64
//                  signature:64
//
//   signed bytes := signing_message(Domain::kTransaction, chain_id, transaction minus signature)
//   tx hash      := SHA-256(all transaction bytes, signature included)
//
// Decoding is strict: unknown version, out-of-range amounts, a bad chain id, truncation
// and trailing bytes are rejected. Test vectors: docs/encoding.md.
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "crypto/address.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"

namespace phalanx::ledger {

using crypto::Address;
using crypto::Hash;
using crypto::PublicKey;
using crypto::Signature;

// Every amount, fee and balance is at most this (genesis refuses a larger supply), so any
// sum of two of them fits in u64 and every value is exact in a JSON double.
constexpr uint64_t kAmountMax = (uint64_t{1} << 53) - 1;
constexpr uint8_t kTransactionVersion = 1;
constexpr size_t kTransactionBytesMax = 1 + 1 + 64 + 32 + 20 + 8 + 8 + 8 + 64;

struct Transaction {
  std::string chain_id;
  PublicKey sender{};
  Address recipient;
  uint64_t amount = 0;
  uint64_t fee = 0;
  uint64_t nonce = 0;
  Signature signature{};
};

// A decoded transaction together with its exact bytes and hash (computed once).
struct SignedTransaction {
  Transaction tx;
  Bytes bytes;
  Hash hash{};
};

Bytes encode_transaction(const Transaction& tx);
// The bytes the signature covers (domain tag and chain id included).
Bytes transaction_signing_message(const Transaction& tx);
Result<Transaction> decode_transaction(ByteSpan bytes);
// Decodes and hashes; does NOT verify the signature (callers use a verified-signature cache).
Result<SignedTransaction> parse_signed_transaction(ByteSpan bytes);
bool verify_transaction_signature(const Transaction& tx);

// Builds and signs a transfer. REQUIRES: valid chain id, 1 <= amount <= kAmountMax,
// fee <= kAmountMax.
SignedTransaction make_transfer(const crypto::SecretKey& key, const std::string& chain_id,
                                const Address& recipient, uint64_t amount, uint64_t fee,
                                uint64_t nonce);

inline Address sender_address(const Transaction& tx) { return crypto::address_of(tx.sender); }

}  // namespace phalanx::ledger
