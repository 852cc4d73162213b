// The fixed inputs behind the test vectors in docs/encoding.md. Changing anything here
// changes the documented vectors: the tests assert the exact hex printed in the doc.
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "ledger/block.h"

namespace phalanx::ledger::testing {

inline crypto::Seed seed_of(uint8_t first) {
  crypto::Seed seed{};
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(first + i);
  return seed;
}

// Sender seed 000102..1f; recipient = address of the key with seed 202122..3f.
inline crypto::SecretKey vector_sender() { return crypto::SecretKey::from_seed(seed_of(0x00)); }
inline Address vector_recipient() {
  return crypto::address_of(crypto::SecretKey::from_seed(seed_of(0x20)).public_key());
}

inline SignedTransaction vector_transfer() {
  return make_transfer(vector_sender(), "phalanx-test", vector_recipient(), 1000, 10, 7);
}

// height 1, prev_hash aa..aa, timestamp 1764000000000, proposer 1, view 0, state_root bb..bb,
// one transaction: vector_transfer().
inline Block vector_block() {
  Block block;
  BlockHeader& header = block.header;
  header.chain_id = "phalanx-test";
  header.height = 1;
  header.prev_hash.fill(0xaa);
  header.timestamp_ms = 1764000000000;
  header.proposer = 1;
  header.view = 0;
  header.state_root.fill(0xbb);
  block.transactions.push_back(vector_transfer());
  header.tx_count = 1;
  header.tx_root = merkle_root(transaction_hashes(block));
  return block;
}

// The documented vectors (docs/encoding.md quotes each verbatim; encoding_docs_test.cc checks).
namespace vectors {

constexpr std::string_view kSenderPublicKey =
    "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
constexpr std::string_view kSenderAddress = "phx1cnz6qfrct0k6xgqqq42e4nzmn7zz5wvq5wsegy";
constexpr std::string_view kRecipientAddress = "phx1hqfnkwar4rj9xgdq364lk92fdu7dpe7nksr2q7";
constexpr std::string_view kSigningMessage =
    "0d7068616c616e782f74782f76310c7068616c616e782d74657374010c7068616c616e782d7465737403a107"
    "bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8b8133b3ba3a8e45321a08eabfb1549"
    "6f3cd0e7d300000000000003e8000000000000000a0000000000000007";
constexpr std::string_view kTransaction =
    "010c7068616c616e782d7465737403a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc86641255"
    "31b8b8133b3ba3a8e45321a08eabfb15496f3cd0e7d300000000000003e8000000000000000a000000000000"
    "00076d5dfe536c0ea6d21c301a43a24a4dadbaa4dfd38fd65d9b42ca02dc6f484a42448411e893d68ed8596b"
    "13f60f5683e4b6b820e2e55e8a225624e4f1f8231f0c";
constexpr std::string_view kTransactionHash =
    "f648102286d7239db24250d608a5efff4bc39d5d1b94be6b97f88997e6afc284";
constexpr std::string_view kTxRoot =
    "6a0e58ad4b9d974b42b6fa37a7400bd7bfc38ba393bc0d570ab1ececc58b625d";
constexpr std::string_view kHeader =
    "010c7068616c616e782d746573740000000000000001aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaa0000019ab697e8000000000100000000000000006a0e58ad4b9d974b42b6fa37a740"
    "0bd7bfc38ba393bc0d570ab1ececc58b625dbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    "bbbbbbbbbbbb00000001";
constexpr std::string_view kBlockHash =
    "a1c6e065b5ec31615673fd86491f32f2ac1e5ff72833f004ecfa029bdf4b00a9";
// Merkle roots of the leaves SHA-256(0x00), SHA-256(0x01), ...
constexpr std::string_view kMerkleRoot0 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kMerkleRoot1 =
    "d9de27625445003d8a9739a851e3ff8d41c0683630b4d63a88327a6aaa37c409";
constexpr std::string_view kMerkleRoot2 =
    "604d540f09268b91672ab011394d5266ccd7d4484d0d109411a55848126a1b2c";
constexpr std::string_view kMerkleRoot3 =
    "d1f13800048f5909d4043fc0c152f6643280cba608b672715e56ce159a20629f";
constexpr std::string_view kMerkleRoot5 =
    "6b313b611b40676b9e1dfd70c4503f2379f88f0f1c2740fb7e1cacc32c113465";
// The block is the header, then tx_len 0x009a (154), then the transaction.
constexpr std::string_view kTxLength = "009a";

}  // namespace vectors
}  // namespace phalanx::ledger::testing
