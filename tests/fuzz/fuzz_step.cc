// libFuzzer target for the consensus core's step path: the input is a short script of
// messages delivered to one replica (tests/fuzz/step_harness.h), each optionally re-signed
// with its claimed sender's key so the fuzzer gets past signature checks, with clock ticks
// between them. Any assertion, sanitizer report or endless Ready loop is a finding.
//
//   input  := record*            (at most kFuzzScriptRecordsMax; the rest is ignored)
//   record := control:u8 length:u16be message:length
//   control bit 0: re-sign the message; bits 1..7: advance the clock by that many x 100 ms
//                  after delivering it
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/step_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  phalanx::fuzz::StepHarness harness;
  harness.run_script(phalanx::ByteSpan(data, size));
  return 0;
}
