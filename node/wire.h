// The node wire envelope: every frame one validator sends another over the transport
// (node/transport.h). The transport authenticates the sender and bounds the frame size;
// this layer names what the frame carries and decodes it strictly, on the transport's I/O
// thread, before anything reaches the event loop or the consensus core.
//
//   frame     := kind:u8 body
//   kind 1    consensus message:  body := consensus envelope (consensus/codec.h), at most
//                                         message_bytes_max(block limits) bytes
//   kind 2    transaction batch:  body := count:u16 (1..wire_tx_batch_txs_max)
//                                         count x (tx_len:u16 transaction)
//                                         at most wire_tx_batch_bytes_max bytes
//   every other kind is rejected. STATUS, catch-up requests and responses and NEW-VIEW
//   requests are consensus messages (kind 1); message_bytes_max covers the largest, a
//   catch-up response (a whole block and its commit certificate).
//
// Integers are big-endian (crypto/bytes.h). Decoding rejects unknown kinds, empty or
// oversized batches, transactions that do not decode (ledger/transaction.h, strict), and
// trailing bytes. Transaction signatures are not checked here (the verification pool does).
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "consensus/types.h"
#include "crypto/status.h"
#include "ledger/transaction.h"

namespace phalanx::node {

enum class WireKind : uint8_t {
  kConsensus = 1,
  kTxBatch = 2,
};

inline constexpr size_t wire_tx_batch_txs_max = 2048;
inline constexpr size_t wire_tx_batch_bytes_max = size_t{512} << 10;
// What a gossip batch may hold in transaction bytes so its frame always fits the bounds
// above (each transaction is at least wire_tx_bytes_min bytes long).
inline constexpr size_t wire_gossip_tx_bytes_max = size_t{256} << 10;
inline constexpr size_t wire_tx_bytes_min = 1 + 1 + 1 + 32 + 20 + 8 + 8 + 8 + 64;
static_assert(wire_gossip_tx_bytes_max / wire_tx_bytes_min <= wire_tx_batch_txs_max);
static_assert(2 + wire_gossip_tx_bytes_max + 2 * wire_tx_batch_txs_max <= wire_tx_batch_bytes_max);

// The largest frame a node with these block limits sends or accepts (the transport's
// frame_bytes_max).
size_t wire_frame_bytes_max(const ledger::BlockLimits& limits);

Bytes encode_consensus_frame(const consensus::Message& message);
// REQUIRES: 1 <= txs.size() <= wire_tx_batch_txs_max and the body within
// wire_tx_batch_bytes_max (true for a batch of at most wire_gossip_tx_bytes_max tx bytes).
Bytes encode_tx_batch_frame(std::span<const ledger::SignedTransaction> txs);

struct WireFrame {
  WireKind kind = WireKind::kConsensus;
  consensus::Message message;                  // kConsensus
  std::vector<ledger::SignedTransaction> txs;  // kTxBatch, each decoded and hashed
};

Result<WireFrame> decode_wire_frame(ByteSpan frame, const ledger::BlockLimits& limits);

}  // namespace phalanx::node
