#include "consensus/restore.h"

#include <utility>

#include "consensus/codec.h"

namespace phalanx::consensus {

namespace {

using BlockPtr = std::shared_ptr<const ledger::Block>;

// A stored pre-prepare must be the one its key names, and its block must hash to its digest.
Result<BlockPtr> check_pre_prepare(const Message& message, const RecordKey& key,
                                   const Config& config) {
  if (message.kind != MessageKind::kPrePrepare) return Status::error("not a pre-prepare");
  if (message.height != key.height || message.view != key.view) {
    return Status::error("pre-prepare for height " + std::to_string(message.height) + " view " +
                         std::to_string(message.view) + " stored under another key");
  }
  auto block = ledger::decode_block(message.block, config.block_limits);
  if (!block) return Status::error("stored block: " + block.message());
  if (ledger::block_hash(block->header) != message.digest) {
    return Status::error("stored block does not hash to the pre-prepare digest");
  }
  return BlockPtr(std::make_shared<const ledger::Block>(std::move(block).value()));
}

Status check_vote_body(const VoteRecord& record, const RecordKey& key) {
  Reader reader(record.body);
  uint64_t first = 0;
  uint64_t second = 0;
  PHALANX_RETURN_IF_ERROR(reader.u64(&first));
  if (key.kind == MessageKind::kCheckpoint) {
    if (first != key.height || key.view != 0) return Status::error("body does not match key");
    return Status::ok();
  }
  PHALANX_RETURN_IF_ERROR(reader.u64(&second));
  if (first != key.view || second != key.height) return Status::error("body does not match key");
  return Status::ok();
}

Status parse_one(const Config& config, const RecordKey& key, ByteSpan value,
                 PersistedState* state) {
  switch (key.type) {
    case RecordKey::Type::kView: {
      auto view = decode_view(value);
      if (!view) return view.status();
      state->view = *view;
      return Status::ok();
    }
    case RecordKey::Type::kCheckpointProof: {
      auto proof = decode_checkpoint_proof(value, config.n());
      if (!proof) return proof.status();
      if (proof->height == 0 || proof->height % config.checkpoint_interval != 0) {
        return Status::error("stable checkpoint at height " + std::to_string(proof->height) +
                             " is not a multiple of the checkpoint interval");
      }
      state->stable_proof = std::move(proof).value();
      return Status::ok();
    }
    case RecordKey::Type::kNewView: {
      auto message = decode_message(value, config.block_limits);
      if (!message) return message.status();
      if (message->kind != MessageKind::kNewView) return Status::error("not a new-view message");
      state->new_view = std::move(message).value();
      return Status::ok();
    }
    case RecordKey::Type::kVote: {
      auto record = decode_vote_record(key.kind, value);
      if (!record) return record.status();
      PHALANX_RETURN_IF_ERROR(check_vote_body(*record, key));
      state->votes.push_back({key, std::move(record).value()});
      return Status::ok();
    }
    case RecordKey::Type::kAccept: {
      auto message = decode_message(value, config.block_limits);
      if (!message) return message.status();
      auto block = check_pre_prepare(*message, key, config);
      if (!block) return block.status();
      state->accepted.push_back({key, std::move(message).value(), std::move(block).value()});
      return Status::ok();
    }
    case RecordKey::Type::kPrepared: {
      auto certificate = decode_prepared(value, config.block_limits, config.n());
      if (!certificate) return certificate.status();
      auto block = check_pre_prepare(certificate->pre_prepare, key, config);
      if (!block) return block.status();
      state->prepared.push_back({key, std::move(certificate).value(), std::move(block).value()});
      return Status::ok();
    }
  }
  return Status::error("unknown record type");
}

}  // namespace

Result<PersistedState> parse_persisted(const Config& config,
                                       const std::map<std::string, Bytes>& persisted) {
  PersistedState state;
  for (const auto& [raw_key, value] : persisted) {
    auto key = parse_record_key(raw_key);
    if (!key) return key.status();
    Status parsed = parse_one(config, *key, value, &state);
    if (!parsed) return Status::error("consensus record '" + raw_key + "': " + parsed.message());
    const bool indexed = key->type == RecordKey::Type::kVote ||
                         key->type == RecordKey::Type::kAccept ||
                         key->type == RecordKey::Type::kPrepared;
    if (indexed) state.indexed_keys.emplace_back(key->height, raw_key);
  }
  return state;
}

}  // namespace phalanx::consensus
