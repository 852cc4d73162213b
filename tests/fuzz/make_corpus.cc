// phalanx-fuzz-corpus DIR: writes the seed inputs checked in under tests/fuzz/corpus/ — one
// valid instance of each encoding (so the fuzzer starts from inputs that reach deep into the
// decoders) and step scripts that drive replica 1 of the fuzz harness through a committed
// height. Regenerate after an encoding change: build with -DPHALANX_FUZZ=ON, then
//   build-asan/bin/phalanx-fuzz-corpus tests/fuzz/corpus
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "consensus/codec.h"
#include "crypto/hash.h"
#include "ledger/block.h"
#include "ledger/transaction.h"
#include "tests/fuzz/step_harness.h"

namespace phalanx::fuzz {
namespace {

void write(const std::string& dir, const std::string& name, const Bytes& bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

ledger::Block first_block(const StepHarness& harness) {
  const crypto::SecretKey client = crypto::SecretKey::from_seed(crypto::Seed{0xc1});
  ledger::Block block;
  block.header.chain_id = kFuzzChainId;
  block.header.height = 1;
  block.header.prev_hash = harness.genesis_hash();
  block.header.timestamp_ms = kFuzzGenesisMs + 500;
  block.header.proposer = 0;
  block.header.state_root = harness.config().genesis_state_root;
  for (uint64_t nonce = 0; nonce < 2; ++nonce) {
    block.transactions.push_back(ledger::make_transfer(
        client, kFuzzChainId, crypto::address_of(harness.key(2).public_key()), 5, 1, nonce));
  }
  block.header.tx_root = ledger::merkle_root(ledger::transaction_hashes(block));
  block.header.tx_count = static_cast<uint32_t>(block.transactions.size());
  return block;
}

consensus::Message vote(consensus::MessageKind kind, uint32_t from, const Hash& digest) {
  consensus::Message message;
  message.kind = kind;
  message.from = from;
  message.height = 1;
  message.digest = digest;
  return message;
}

void append_record(Bytes* script, uint8_t control, const consensus::Message& message) {
  const Bytes encoded = consensus::encode_message(message);
  script->push_back(control);
  script->push_back(static_cast<uint8_t>(encoded.size() >> 8));
  script->push_back(static_cast<uint8_t>(encoded.size()));
  script->insert(script->end(), encoded.begin(), encoded.end());
}

void write_all(const std::string& root) {
  StepHarness harness;
  const ledger::Block block = first_block(harness);
  const Hash digest = ledger::block_hash(block.header);
  write(root + "/fuzz_transaction", "transfer", block.transactions[0].bytes);
  write(root + "/fuzz_block", "two-transfers", ledger::encode_block(block));
  ledger::CommitCertificate certificate{0, {}};
  for (uint32_t v : {0u, 2u, 3u}) certificate.signatures.push_back({v, crypto::Signature{}});
  write(root + "/fuzz_certificate", "three", ledger::encode_certificate(certificate));

  consensus::Message pre_prepare = vote(consensus::MessageKind::kPrePrepare, 0, digest);
  pre_prepare.block = ledger::encode_block(block);
  consensus::Message checkpoint = vote(consensus::MessageKind::kCheckpoint, 2, digest);
  checkpoint.state_root = harness.config().genesis_state_root;
  const consensus::Message messages[] = {
      pre_prepare, vote(consensus::MessageKind::kPrepare, 2, digest),
      vote(consensus::MessageKind::kCommit, 3, digest), checkpoint};
  for (const auto& message : messages) {
    write(root + "/fuzz_message", std::string(consensus::kind_name(message.kind)),
          consensus::encode_message(message));
  }
  // Height 1 prepared and committed at replica 1: PRE-PREPARE, two PREPAREs, three COMMITs.
  Bytes script;
  append_record(&script, 1, pre_prepare);
  for (uint32_t from : {2u, 3u}) {
    append_record(&script, 1, vote(consensus::MessageKind::kPrepare, from, digest));
  }
  for (uint32_t from : {0u, 2u, 3u}) {
    append_record(&script, 1, vote(consensus::MessageKind::kCommit, from, digest));
  }
  write(root + "/fuzz_step", "commit-height-1", script);
  StepHarness check;  // the seed must do what it says, or the fuzzer starts from nothing
  check.run_script(script);
  if (check.committed_height() != 1) {
    std::fprintf(stderr, "phalanx-fuzz-corpus: the commit script did not commit height 1\n");
    std::exit(1);
  }
  Bytes stalled;  // only the PRE-PREPARE, then the clock runs: the view-change timer fires
  append_record(&stalled, 1 | (1 << 1), pre_prepare);
  stalled.insert(stalled.end(), {30 << 1, 0, 0});  // no message (fails to decode), 3 s pass
  write(root + "/fuzz_step", "view-change-timeout", stalled);
  StepHarness stalled_check;
  stalled_check.run_script(stalled);
  if (!stalled_check.view_changing()) {
    std::fprintf(stderr, "phalanx-fuzz-corpus: the stalled script did not start a view change\n");
    std::exit(1);
  }
}

}  // namespace
}  // namespace phalanx::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: phalanx-fuzz-corpus DIR\n");
    return 2;
  }
  phalanx::fuzz::write_all(argv[1]);
  return 0;
}
