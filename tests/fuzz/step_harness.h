// A one-replica harness for fuzzing consensus::Replica::step(): replica 1 of a 4-validator
// chain with fixed keys, fed decoded messages, its Readies drained by a toy caller (every
// validation passes, every committed block executes to H(previous root || block hash)).
// The fuzzer may ask for a message to be re-signed with its claimed sender's real key, so it
// can reach the paths behind signature checks (a Byzantine validator holds its own key).
// Shared by the step fuzz target and the corpus generator, which must agree on keys and
// genesis. Thread-safety: none.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "consensus/replica.h"
#include "crypto/ed25519.h"

namespace phalanx::fuzz {

using crypto::Hash;

inline constexpr const char* kFuzzChainId = "phalanx-fuzz";
inline constexpr uint32_t kFuzzValidators = 4;
inline constexpr uint32_t kFuzzSelf = 1;
inline constexpr uint64_t kFuzzGenesisMs = 1'700'000'000'000;
inline constexpr size_t kFuzzScriptRecordsMax = 64;

class StepHarness {
 public:
  StepHarness();
  // Re-signs `message` as validator message.from (if it is one) over its signed body; an
  // unsigned kind (BLOCK-REQUEST, ...) is left as it is.
  void resign(consensus::Message* message) const;
  void step(const consensus::Message& message);
  void tick(uint64_t advance_ms);
  // Runs a fuzz_step script (format in tests/fuzz/fuzz_step.cc).
  void run_script(ByteSpan script);
  uint64_t committed_height() const { return replica_->committed_height(); }
  bool view_changing() const { return replica_->view_changing(); }
  consensus::Config config() const;
  const crypto::SecretKey& key(uint32_t index) const { return keys_[index]; }
  Hash genesis_hash() const;

 private:
  void drain();

  std::vector<crypto::SecretKey> keys_;
  std::unique_ptr<consensus::Replica> replica_;
  uint64_t now_ms_ = kFuzzGenesisMs + 1000;
  Hash last_root_{};
};

}  // namespace phalanx::fuzz
