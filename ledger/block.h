// Blocks. Byte layout (canonical, big-endian integers):
//
//   header := version:u8 (= 1)
//             chain_id_len:u8 chain_id
//             height:u64          consensus sequence number; genesis is 0
//             prev_hash:32        hash of block height-1 (zero for genesis)
//             timestamp_ms:u64    Unix ms, set by the proposer, >= the parent's
//             proposer:u32        0-based validator index
//             view:u64            view in which the block was first proposed
//             tx_root:32          merkle_root of the transaction hashes
//             state_root:32       state root after executing block height-W (W = genesis
//                                 pipeline depth; heights <= W carry genesis's root)
//             tx_count:u32
//   block  := header tx_count x (tx_len:u16 transaction)
//
//   block hash := SHA-256(header)    -- commits to the txs through tx_root and never
//                                       covers the commit certificate
//   merkle_root: RFC 6962 over tx hashes: leaf = H(0x00 || tx_hash),
//                node = H(0x01 || left || right), empty = H("").
//
// The commit certificate is stored beside the block: a quorum of COMMIT signatures from
// one view over (chain id, height, view, block hash); see consensus/.
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/transaction.h"

namespace phalanx::ledger {

constexpr uint8_t kBlockVersion = 1;
constexpr size_t kBlockHeaderBytesMax = 1 + 1 + 64 + 8 + 32 + 8 + 4 + 8 + 32 + 32 + 4;

struct BlockLimits {
  uint32_t txs_max = 4096;
  uint32_t bytes_max = 1 << 20;  // whole encoded block
};

struct BlockHeader {
  std::string chain_id;
  uint64_t height = 0;
  Hash prev_hash{};
  uint64_t timestamp_ms = 0;
  uint32_t proposer = 0;
  uint64_t view = 0;
  Hash tx_root{};
  Hash state_root{};
  uint32_t tx_count = 0;
};

struct Block {
  BlockHeader header;
  std::vector<SignedTransaction> transactions;
};

Bytes encode_header(const BlockHeader& header);
Hash block_hash(const BlockHeader& header);
Bytes encode_block(const Block& block);
// Strict: header fields, tx_count == number of txs, tx_root matches, every tx decodes,
// limits respected, no trailing bytes. Does NOT verify tx signatures.
Result<Block> decode_block(ByteSpan bytes, const BlockLimits& limits);
// Transaction `index` of an encoded block, without decoding (or hashing) the others: the
// header and every length prefix up to `index` are read with decode_block's bounds, the one
// transaction is parsed. The tx_root is not checked (the caller compares the parsed tx's hash
// with the one it looked up). Costs O(index) length reads and one transaction parse.
Result<SignedTransaction> decode_block_transaction(ByteSpan bytes, uint32_t index,
                                                   const BlockLimits& limits);
Result<BlockHeader> decode_header(ByteSpan bytes);

Hash merkle_root(const std::vector<Hash>& leaves);
std::vector<Hash> transaction_hashes(const Block& block);

struct CommitSignature {
  uint32_t validator = 0;
  Signature signature{};
};

// A quorum of COMMIT signatures from one view (verified by consensus/, stored by ledger/).
struct CommitCertificate {
  uint64_t view = 0;
  std::vector<CommitSignature> signatures;
};

Bytes encode_certificate(const CommitCertificate& certificate);
Result<CommitCertificate> decode_certificate(ByteSpan bytes, uint32_t validators_max);

}  // namespace phalanx::ledger
