// Block, header and commit-certificate encodings (grammar in block.h, vectors in
// docs/encoding.md). Every count read from the wire is bounded by a named limit and by the
// bytes actually left (Reader::count) before anything is reserved, so a short input that
// claims 2^32-1 transactions or signatures is refused without allocating.
//
//   certificate := view:u64 count:u32 count x (validator:u32 signature:64)
//                  validator indexes strictly increasing, each < validators_max
#include "ledger/block.h"

#include <algorithm>

#include "crypto/domain.h"

namespace phalanx::ledger {
namespace {

// The smallest transaction: a one-byte chain id.
constexpr size_t kTransactionBytesMin = 1 + 1 + 1 + 32 + 20 + 8 + 8 + 8 + 64;
constexpr size_t kBlockTxBytesMin = 2 + kTransactionBytesMin;  // tx_len:u16 + transaction
constexpr size_t kCommitSignatureBytes = 4 + 64;
// Certificates are checked against the validator count, and never exceed this.
constexpr uint32_t kCertificateSignaturesMax = 1u << 16;

void write_header(const BlockHeader& header, Writer* writer) {
  writer->u8(kBlockVersion);
  writer->short_string(header.chain_id);
  writer->u64(header.height);
  writer->fixed(header.prev_hash);
  writer->u64(header.timestamp_ms);
  writer->u32(header.proposer);
  writer->u64(header.view);
  writer->fixed(header.tx_root);
  writer->fixed(header.state_root);
  writer->u32(header.tx_count);
}

Status read_header(Reader* reader, BlockHeader* header) {
  uint8_t version = 0;
  PHALANX_RETURN_IF_ERROR(reader->u8(&version));
  if (version != kBlockVersion) {
    return Status::error("unsupported block version " + std::to_string(version));
  }
  PHALANX_RETURN_IF_ERROR(reader->short_string(crypto::kChainIdBytesMax, &header->chain_id));
  Status chain = crypto::validate_chain_id(header->chain_id);
  if (!chain) return Status::error("block " + chain.message());
  PHALANX_RETURN_IF_ERROR(reader->u64(&header->height));
  PHALANX_RETURN_IF_ERROR(reader->fixed(&header->prev_hash));
  PHALANX_RETURN_IF_ERROR(reader->u64(&header->timestamp_ms));
  PHALANX_RETURN_IF_ERROR(reader->u32(&header->proposer));
  PHALANX_RETURN_IF_ERROR(reader->u64(&header->view));
  PHALANX_RETURN_IF_ERROR(reader->fixed(&header->tx_root));
  PHALANX_RETURN_IF_ERROR(reader->fixed(&header->state_root));
  return reader->u32(&header->tx_count);
}

Status read_transactions(Reader* reader, const BlockLimits& limits, Block* block) {
  const uint32_t count = block->header.tx_count;
  Status bounded = reader->count(count, limits.txs_max, kBlockTxBytesMin);
  if (!bounded) return Status::error("block tx_count: " + bounded.message());
  block->transactions.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint16_t length = 0;
    ByteSpan bytes;
    PHALANX_RETURN_IF_ERROR(reader->u16(&length));
    PHALANX_RETURN_IF_ERROR(reader->span(length, &bytes));
    auto tx = parse_signed_transaction(bytes);
    if (!tx) return Status::error("block transaction " + std::to_string(i) + ": " + tx.message());
    block->transactions.push_back(std::move(*tx));
  }
  return Status::ok();
}

// Combines the hashes of one tree level pairwise; an odd last node moves up unchanged. Going
// bottom-up this way gives exactly RFC 6962's split at the largest power of two below n.
std::vector<Hash> next_level(const std::vector<Hash>& level) {
  std::vector<Hash> parents;
  parents.reserve((level.size() + 1) / 2);
  for (size_t i = 0; i + 1 < level.size(); i += 2) {
    std::array<uint8_t, 1 + 2 * sizeof(Hash)> node{};
    node[0] = 0x01;
    std::copy(level[i].begin(), level[i].end(), node.begin() + 1);
    std::copy(level[i + 1].begin(), level[i + 1].end(), node.begin() + 1 + sizeof(Hash));
    parents.push_back(crypto::sha256(node));
  }
  if (level.size() % 2 == 1) parents.push_back(level.back());
  return parents;
}

}  // namespace

Bytes encode_header(const BlockHeader& header) {
  Writer writer;
  write_header(header, &writer);
  return writer.take();
}

Hash block_hash(const BlockHeader& header) { return crypto::sha256(encode_header(header)); }

Bytes encode_block(const Block& block) {
  PHALANX_ASSERT(block.header.tx_count == block.transactions.size());
  Writer writer;
  write_header(block.header, &writer);
  for (const SignedTransaction& tx : block.transactions) {
    PHALANX_ASSERT(tx.bytes.size() <= kTransactionBytesMax);
    writer.u16(static_cast<uint16_t>(tx.bytes.size()));
    writer.bytes(tx.bytes);
  }
  return writer.take();
}

Result<BlockHeader> decode_header(ByteSpan bytes) {
  if (bytes.size() > kBlockHeaderBytesMax) {
    return Status::error("block header of " + std::to_string(bytes.size()) +
                         " bytes exceeds the maximum " + std::to_string(kBlockHeaderBytesMax));
  }
  Reader reader(bytes);
  BlockHeader header;
  PHALANX_RETURN_IF_ERROR(read_header(&reader, &header));
  PHALANX_RETURN_IF_ERROR(reader.finish());
  return header;
}

Result<Block> decode_block(ByteSpan bytes, const BlockLimits& limits) {
  if (bytes.size() > limits.bytes_max) {
    return Status::error("block of " + std::to_string(bytes.size()) +
                         " bytes exceeds the maximum " + std::to_string(limits.bytes_max));
  }
  Reader reader(bytes);
  Block block;
  PHALANX_RETURN_IF_ERROR(read_header(&reader, &block.header));
  PHALANX_RETURN_IF_ERROR(read_transactions(&reader, limits, &block));
  PHALANX_RETURN_IF_ERROR(reader.finish());
  if (merkle_root(transaction_hashes(block)) != block.header.tx_root) {
    return Status::error("block tx_root does not match its transactions");
  }
  return block;
}

Result<SignedTransaction> decode_block_transaction(ByteSpan bytes, uint32_t index,
                                                   const BlockLimits& limits) {
  if (bytes.size() > limits.bytes_max) {
    return Status::error("block of " + std::to_string(bytes.size()) +
                         " bytes exceeds the maximum " + std::to_string(limits.bytes_max));
  }
  Reader reader(bytes);
  BlockHeader header;
  PHALANX_RETURN_IF_ERROR(read_header(&reader, &header));
  Status bounded = reader.count(header.tx_count, limits.txs_max, kBlockTxBytesMin);
  if (!bounded) return Status::error("block tx_count: " + bounded.message());
  if (index >= header.tx_count) {
    return Status::error("block has " + std::to_string(header.tx_count) +
                         " transactions, no index " + std::to_string(index));
  }
  for (uint32_t i = 0;; ++i) {
    uint16_t length = 0;
    ByteSpan tx_bytes;
    PHALANX_RETURN_IF_ERROR(reader.u16(&length));
    PHALANX_RETURN_IF_ERROR(reader.span(length, &tx_bytes));
    if (i < index) continue;
    auto tx = parse_signed_transaction(tx_bytes);
    if (!tx) return Status::error("block transaction " + std::to_string(i) + ": " + tx.message());
    return std::move(tx).value();
  }
}

Hash merkle_root(const std::vector<Hash>& leaves) {
  if (leaves.empty()) return crypto::sha256(ByteSpan());
  std::vector<Hash> level;
  level.reserve(leaves.size());
  for (const Hash& leaf : leaves) {
    std::array<uint8_t, 1 + sizeof(Hash)> prefixed{};  // 0x00 || leaf
    std::copy(leaf.begin(), leaf.end(), prefixed.begin() + 1);
    level.push_back(crypto::sha256(prefixed));
  }
  while (level.size() > 1) level = next_level(level);
  return level.front();
}

std::vector<Hash> transaction_hashes(const Block& block) {
  std::vector<Hash> hashes;
  hashes.reserve(block.transactions.size());
  for (const SignedTransaction& tx : block.transactions) hashes.push_back(tx.hash);
  return hashes;
}

Bytes encode_certificate(const CommitCertificate& certificate) {
  PHALANX_ASSERT(certificate.signatures.size() <= kCertificateSignaturesMax);
  Writer writer;
  writer.u64(certificate.view);
  writer.u32(static_cast<uint32_t>(certificate.signatures.size()));
  for (size_t i = 0; i < certificate.signatures.size(); ++i) {
    const CommitSignature& entry = certificate.signatures[i];
    PHALANX_ASSERT_MSG(i == 0 || certificate.signatures[i - 1].validator < entry.validator,
                       "certificate validators must be strictly increasing");
    writer.u32(entry.validator);
    writer.fixed(entry.signature);
  }
  return writer.take();
}

Result<CommitCertificate> decode_certificate(ByteSpan bytes, uint32_t validators_max) {
  Reader reader(bytes);
  CommitCertificate certificate;
  uint32_t count = 0;
  PHALANX_RETURN_IF_ERROR(reader.u64(&certificate.view));
  PHALANX_RETURN_IF_ERROR(reader.u32(&count));
  const size_t count_max = std::min(validators_max, kCertificateSignaturesMax);
  Status bounded = reader.count(count, count_max, kCommitSignatureBytes);
  if (!bounded) return Status::error("certificate signature count: " + bounded.message());
  certificate.signatures.resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    CommitSignature& entry = certificate.signatures[i];
    PHALANX_RETURN_IF_ERROR(reader.u32(&entry.validator));
    if (entry.validator >= validators_max) {
      return Status::error("certificate validator index " + std::to_string(entry.validator) +
                           " is out of range (" + std::to_string(validators_max) + " validators)");
    }
    if (i > 0 && entry.validator <= certificate.signatures[i - 1].validator) {
      return Status::error("certificate validator indexes are not strictly increasing");
    }
    PHALANX_RETURN_IF_ERROR(reader.fixed(&entry.signature));
  }
  PHALANX_RETURN_IF_ERROR(reader.finish());
  return certificate;
}

}  // namespace phalanx::ledger
