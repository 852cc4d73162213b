// libFuzzer targets for the decoders that read untrusted bytes: a transaction (RPC, gossip),
// a block (PRE-PREPARE, catch-up), a commit certificate and a consensus message envelope.
// One binary, the decoder picked by PHALANX_FUZZ_TARGET at compile time (tests/fuzz/
// CMakeLists.txt builds one executable per target). Every accepted input must re-encode to
// the same bytes (the encodings are canonical), so a decoder that accepts two spellings of
// one value fails here too. Allocation bounds are enforced by libFuzzer's -malloc_limit_mb.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "consensus/codec.h"
#include "crypto/bytes.h"
#include "ledger/block.h"
#include "ledger/transaction.h"

namespace {

using phalanx::ByteSpan;

[[noreturn]] void fail(const char* what) {
  __builtin_printf("fuzz: %s\n", what);
  std::abort();
}

const phalanx::ledger::BlockLimits& limits() {
  static const phalanx::ledger::BlockLimits value{};
  return value;
}

[[maybe_unused]] void fuzz_transaction(ByteSpan input) {
  auto signed_tx = phalanx::ledger::parse_signed_transaction(input);
  if (!signed_tx) return;
  const phalanx::Bytes again = phalanx::ledger::encode_transaction(signed_tx->tx);
  if (phalanx::Bytes(input.begin(), input.end()) != again) fail("transaction not canonical");
}

[[maybe_unused]] void fuzz_block(ByteSpan input) {
  auto block = phalanx::ledger::decode_block(input, limits());
  if (!block) return;
  if (phalanx::Bytes(input.begin(), input.end()) != phalanx::ledger::encode_block(*block)) {
    fail("block not canonical");
  }
}

[[maybe_unused]] void fuzz_certificate(ByteSpan input) {
  auto certificate = phalanx::ledger::decode_certificate(input, 1024);
  if (!certificate) return;
  if (phalanx::Bytes(input.begin(), input.end()) !=
      phalanx::ledger::encode_certificate(*certificate)) {
    fail("certificate not canonical");
  }
}

[[maybe_unused]] void fuzz_message(ByteSpan input) {
  auto message = phalanx::consensus::decode_message(input, limits());
  if (!message) return;
  if (phalanx::Bytes(input.begin(), input.end()) != phalanx::consensus::encode_message(*message)) {
    fail("message not canonical");
  }
  (void)phalanx::consensus::signed_body(*message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteSpan input(data, size);
#if PHALANX_FUZZ_TARGET == 1
  fuzz_transaction(input);
#elif PHALANX_FUZZ_TARGET == 2
  fuzz_block(input);
#elif PHALANX_FUZZ_TARGET == 3
  fuzz_certificate(input);
#elif PHALANX_FUZZ_TARGET == 4
  fuzz_message(input);
#else
#error "PHALANX_FUZZ_TARGET must be 1..4"
#endif
  return 0;
}
