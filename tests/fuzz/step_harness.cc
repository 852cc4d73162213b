#include "tests/fuzz/step_harness.h"

#include "consensus/codec.h"
#include "crypto/hash.h"

namespace phalanx::fuzz {
namespace {

crypto::Seed seed_for(uint32_t index) {
  crypto::Seed seed{};
  seed[0] = 0xf0;
  seed[1] = static_cast<uint8_t>(index);
  return seed;
}

Hash hash_of(std::string_view text) {
  return crypto::sha256(ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

// The kinds that carry a signature (consensus/types.h); consensus::domain_of asserts on the
// others. No default: a new kind must be placed here.
bool carries_signature(consensus::MessageKind kind) {
  switch (kind) {
    case consensus::MessageKind::kPrePrepare:
    case consensus::MessageKind::kPrepare:
    case consensus::MessageKind::kCommit:
    case consensus::MessageKind::kCheckpoint:
    case consensus::MessageKind::kViewChange:
    case consensus::MessageKind::kNewView:
    case consensus::MessageKind::kStatus:
      return true;
    case consensus::MessageKind::kBlockRequest:
    case consensus::MessageKind::kBlockResponse:
    case consensus::MessageKind::kCatchUpRequest:
    case consensus::MessageKind::kCatchUpResponse:
    case consensus::MessageKind::kNewViewRequest:
      return false;
  }
  return false;
}

}  // namespace

StepHarness::StepHarness() {
  for (uint32_t i = 0; i < kFuzzValidators; ++i) {
    keys_.push_back(crypto::SecretKey::from_seed(seed_for(i)));
  }
  last_root_ = hash_of("fuzz genesis state");
  consensus::ExecutedState executed;
  executed.block_hash = genesis_hash();
  executed.timestamp_ms = kFuzzGenesisMs;
  executed.state_roots[0] = last_root_;
  std::vector<crypto::PublicKey> validators;
  for (const auto& key : keys_) validators.push_back(key.public_key());
  replica_ = std::make_unique<consensus::Replica>(
      config(),
      std::make_unique<consensus::Ed25519Signer>(
          crypto::SecretKey::from_seed(keys_[kFuzzSelf].seed()), kFuzzChainId),
      std::make_unique<consensus::Ed25519Verifier>(validators, kFuzzChainId),
      std::map<std::string, Bytes>{}, executed, now_ms_);
  drain();
}

Hash StepHarness::genesis_hash() const { return hash_of("fuzz genesis block"); }

consensus::Config StepHarness::config() const {
  consensus::Config config;
  config.chain_id = kFuzzChainId;
  for (const auto& key : keys_) config.validators.push_back(key.public_key());
  config.self = kFuzzSelf;
  config.pipeline_depth = 2;
  config.checkpoint_interval = 2;
  config.log_window = 8;
  config.view_change_timeout_ms = 1000;
  config.genesis_hash = genesis_hash();
  config.genesis_state_root = hash_of("fuzz genesis state");
  config.genesis_time_ms = kFuzzGenesisMs;
  return config;
}

void StepHarness::resign(consensus::Message* message) const {
  if (message->from >= kFuzzValidators || !carries_signature(message->kind)) return;
  message->signature =
      crypto::sign_domain(keys_[message->from], consensus::domain_of(message->kind), kFuzzChainId,
                          consensus::signed_body(*message));
}

void StepHarness::step(const consensus::Message& message) {
  replica_->step(message);
  drain();
}

void StepHarness::tick(uint64_t advance_ms) {
  now_ms_ += advance_ms;
  replica_->tick(now_ms_);
  drain();
}

void StepHarness::run_script(ByteSpan script) {
  const ledger::BlockLimits limits{};
  size_t offset = 0;
  for (size_t record = 0; record < kFuzzScriptRecordsMax && script.size() - offset >= 3; ++record) {
    const uint8_t control = script[offset];
    const size_t length = (size_t{script[offset + 1]} << 8) | script[offset + 2];
    offset += 3;
    if (length > script.size() - offset) break;
    auto message = consensus::decode_message(script.subspan(offset, length), limits);
    offset += length;
    if (message) {
      if (control & 1) resign(&*message);
      step(*message);
    }
    if (control >> 1) tick(static_cast<uint64_t>(control >> 1) * 100);
  }
}

// The toy caller: bounded, since a replica that never stops producing Readies is a bug the
// fuzzer should report rather than hang on.
void StepHarness::drain() {
  for (int round = 0; replica_->has_ready(); ++round) {
    if (round == 10'000) __builtin_trap();
    consensus::Ready ready = replica_->ready();
    for (const auto& committed : ready.committed) {
      Bytes input(last_root_.begin(), last_root_.end());
      input.insert(input.end(), committed.hash.begin(), committed.hash.end());
      last_root_ = crypto::sha256(input);
      replica_->on_executed(committed.block.header.height, last_root_);
    }
    for (const auto& request : ready.validation_requests) {
      replica_->on_validated(request.height, request.digest, true);
    }
    replica_->advance(ready);
  }
}

}  // namespace phalanx::fuzz
