#include "node/wire.h"

#include <algorithm>
#include <string>

#include "consensus/codec.h"

namespace phalanx::node {

namespace {

Result<std::vector<ledger::SignedTransaction>> decode_tx_batch(ByteSpan body) {
  if (body.size() > wire_tx_batch_bytes_max) {
    return Status::error("transaction batch of " + std::to_string(body.size()) + " bytes exceeds " +
                         std::to_string(wire_tx_batch_bytes_max));
  }
  Reader reader(body);
  uint16_t count = 0;
  PHALANX_RETURN_IF_ERROR(reader.u16(&count));
  if (count == 0) return Status::error("empty transaction batch");
  PHALANX_RETURN_IF_ERROR(reader.count(count, wire_tx_batch_txs_max, 2 + wire_tx_bytes_min));
  std::vector<ledger::SignedTransaction> txs;
  txs.reserve(count);
  for (uint16_t i = 0; i < count; ++i) {
    uint16_t length = 0;
    PHALANX_RETURN_IF_ERROR(reader.u16(&length));
    if (length > ledger::kTransactionBytesMax) {
      return Status::error("transaction " + std::to_string(i) + " of the batch is " +
                           std::to_string(length) + " bytes long, above " +
                           std::to_string(ledger::kTransactionBytesMax));
    }
    ByteSpan bytes;
    PHALANX_RETURN_IF_ERROR(reader.span(length, &bytes));
    auto tx = ledger::parse_signed_transaction(bytes);
    if (!tx) return Status::error("transaction " + std::to_string(i) + ": " + tx.message());
    txs.push_back(std::move(tx).value());
  }
  PHALANX_RETURN_IF_ERROR(reader.finish());
  return txs;
}

}  // namespace

size_t wire_frame_bytes_max(const ledger::BlockLimits& limits) {
  return 1 + std::max(consensus::message_bytes_max(limits), wire_tx_batch_bytes_max);
}

Bytes encode_consensus_frame(const consensus::Message& message) {
  const Bytes envelope = consensus::encode_message(message);
  Bytes frame;
  frame.reserve(1 + envelope.size());
  frame.push_back(static_cast<uint8_t>(WireKind::kConsensus));
  frame.insert(frame.end(), envelope.begin(), envelope.end());
  return frame;
}

Bytes encode_tx_batch_frame(std::span<const ledger::SignedTransaction> txs) {
  PHALANX_ASSERT(!txs.empty() && txs.size() <= wire_tx_batch_txs_max);
  Writer writer;
  writer.u8(static_cast<uint8_t>(WireKind::kTxBatch));
  writer.u16(static_cast<uint16_t>(txs.size()));
  for (const ledger::SignedTransaction& tx : txs) {
    PHALANX_ASSERT(tx.bytes.size() <= ledger::kTransactionBytesMax);
    writer.u16(static_cast<uint16_t>(tx.bytes.size()));
    writer.bytes(tx.bytes);
  }
  PHALANX_ASSERT(writer.data().size() - 1 <= wire_tx_batch_bytes_max);
  return writer.take();
}

Result<WireFrame> decode_wire_frame(ByteSpan frame, const ledger::BlockLimits& limits) {
  if (frame.empty()) return Status::error("empty frame");
  if (frame.size() > wire_frame_bytes_max(limits)) {
    return Status::error("frame of " + std::to_string(frame.size()) + " bytes exceeds " +
                         std::to_string(wire_frame_bytes_max(limits)));
  }
  const ByteSpan body = frame.subspan(1);
  WireFrame decoded;
  switch (frame[0]) {
    case static_cast<uint8_t>(WireKind::kConsensus): {
      auto message = consensus::decode_message(body, limits);
      if (!message) return Status::error("consensus message: " + message.message());
      decoded.kind = WireKind::kConsensus;
      decoded.message = std::move(message).value();
      return decoded;
    }
    case static_cast<uint8_t>(WireKind::kTxBatch): {
      auto txs = decode_tx_batch(body);
      if (!txs) return Status::error("transaction batch: " + txs.message());
      decoded.kind = WireKind::kTxBatch;
      decoded.txs = std::move(txs).value();
      return decoded;
    }
    default:
      return Status::error("unknown frame kind " + std::to_string(frame[0]));
  }
}

}  // namespace phalanx::node
