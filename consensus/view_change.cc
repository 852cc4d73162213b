#include "consensus/view_change.h"

#include <map>
#include <set>
#include <string>
#include <utility>

#include "consensus/codec.h"
#include "consensus/quorum.h"

namespace phalanx::consensus {

namespace {

constexpr size_t kSignatureEntryBytes = 4 + 64;
constexpr size_t kCheckpointFixedBytes = 8 + 32 + 32 + 4;
constexpr size_t kPreparedFixedBytes = 8 + 8 + 32 + 64 + 4;
constexpr size_t kReproposalBytes = 8 + 32 + 64;

void write_signatures(Writer& writer, const std::vector<ValidatorSignature>& signatures) {
  writer.u32(static_cast<uint32_t>(signatures.size()));
  for (const ValidatorSignature& signature : signatures) {
    writer.u32(signature.validator);
    writer.fixed(signature.signature);
  }
}

// Strictly increasing validator indexes below n.
Status read_signatures(Reader& reader, uint32_t n, std::vector<ValidatorSignature>* out) {
  uint32_t count = 0;
  PHALANX_RETURN_IF_ERROR(reader.u32(&count));
  PHALANX_RETURN_IF_ERROR(reader.count(count, n, kSignatureEntryBytes));
  out->resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    PHALANX_RETURN_IF_ERROR(reader.u32(&(*out)[i].validator));
    PHALANX_RETURN_IF_ERROR(reader.fixed(&(*out)[i].signature));
    if ((*out)[i].validator >= n || (i > 0 && (*out)[i].validator <= (*out)[i - 1].validator)) {
      return Status::error("signature list is not strictly increasing validator indexes");
    }
  }
  return Status::ok();
}

Status read_prepared(Reader& reader, uint32_t n, PreparedProof* proof) {
  PHALANX_RETURN_IF_ERROR(reader.u64(&proof->height));
  PHALANX_RETURN_IF_ERROR(reader.u64(&proof->view));
  PHALANX_RETURN_IF_ERROR(reader.fixed(&proof->digest));
  PHALANX_RETURN_IF_ERROR(reader.fixed(&proof->pre_prepare_signature));
  return read_signatures(reader, n, &proof->prepares);
}

Status verify_prepared(const Config& config, Verifier& verifier, uint64_t new_view,
                       const PreparedProof& proof) {
  if (proof.view >= new_view) return Status::error("prepared proof from a view not below");
  const uint32_t primary = config.primary_of(proof.view);
  const Bytes body = vote_body(proof.view, proof.height, proof.digest);
  if (!verifier.verify(primary, crypto::Domain::kPrePrepare, body, proof.pre_prepare_signature)) {
    return Status::error("prepared proof has a bad pre-prepare signature");
  }
  if (proof.prepares.size() + 1 < quorum_size(config)) {
    return Status::error("prepared proof has fewer than q-1 prepares");
  }
  for (const ValidatorSignature& prepare : proof.prepares) {
    if (prepare.validator == primary) return Status::error("prepared proof counts the primary");
    if (!verifier.verify(prepare.validator, crypto::Domain::kPrepare, body, prepare.signature)) {
      return Status::error("prepared proof has a bad prepare signature");
    }
  }
  return Status::ok();
}

Result<SignedViewChange> read_signed_view_change(Reader& reader, const Config& config) {
  SignedViewChange signed_view_change;
  PHALANX_RETURN_IF_ERROR(reader.u32(&signed_view_change.from));
  PHALANX_RETURN_IF_ERROR(
      reader.var_bytes(view_change_bytes_max(config), &signed_view_change.body));
  PHALANX_RETURN_IF_ERROR(reader.fixed(&signed_view_change.signature));
  if (signed_view_change.from >= config.n()) {
    return Status::error("view change from a non-validator");
  }
  return signed_view_change;
}

}  // namespace

Status verify_checkpoint(const Config& config, Verifier& verifier, const CheckpointProof& proof) {
  if (proof.height == 0) {
    if (!proof.signatures.empty()) return Status::error("genesis checkpoint carries signatures");
    return Status::ok();
  }
  if (proof.height % config.checkpoint_interval != 0) {
    return Status::error("checkpoint height is not a multiple of the checkpoint interval");
  }
  if (proof.signatures.size() < quorum_size(config)) {
    return Status::error("checkpoint proof has fewer than a quorum of signatures");
  }
  const Bytes body = checkpoint_body(proof.height, proof.block_hash, proof.state_root);
  for (const ValidatorSignature& signature : proof.signatures) {
    if (!verifier.verify(signature.validator, crypto::Domain::kCheckpoint, body,
                         signature.signature)) {
      return Status::error("checkpoint proof has a bad signature");
    }
  }
  return Status::ok();
}

void write_checkpoint(Writer& writer, const CheckpointProof& proof) {
  writer.u64(proof.height);
  writer.fixed(proof.block_hash);
  writer.fixed(proof.state_root);
  write_signatures(writer, proof.signatures);
}

Status read_checkpoint(Reader& reader, uint32_t n, CheckpointProof* proof) {
  PHALANX_RETURN_IF_ERROR(reader.u64(&proof->height));
  PHALANX_RETURN_IF_ERROR(reader.fixed(&proof->block_hash));
  PHALANX_RETURN_IF_ERROR(reader.fixed(&proof->state_root));
  return read_signatures(reader, n, &proof->signatures);
}

size_t checkpoint_bytes_max(uint32_t n) {
  return kCheckpointFixedBytes + static_cast<size_t>(n) * kSignatureEntryBytes;
}

size_t view_change_bytes_max(const Config& config) {
  const size_t signatures = static_cast<size_t>(config.n()) * kSignatureEntryBytes;
  return 8 + kCheckpointFixedBytes + signatures + 4 +
         static_cast<size_t>(config.log_window) * (kPreparedFixedBytes + signatures);
}

size_t new_view_bytes_max(const Config& config) {
  return 8 + 4 + static_cast<size_t>(config.n()) * (4 + 4 + view_change_bytes_max(config) + 64) +
         4 + static_cast<size_t>(config.log_window) * kReproposalBytes;
}

Bytes encode_view_change(const ViewChange& view_change) {
  Writer writer;
  writer.u64(view_change.view);
  write_checkpoint(writer, view_change.checkpoint);
  writer.u32(static_cast<uint32_t>(view_change.prepared.size()));
  for (const PreparedProof& proof : view_change.prepared) {
    writer.u64(proof.height);
    writer.u64(proof.view);
    writer.fixed(proof.digest);
    writer.fixed(proof.pre_prepare_signature);
    write_signatures(writer, proof.prepares);
  }
  return writer.take();
}

Result<ViewChange> decode_view_change(ByteSpan bytes, const Config& config) {
  if (bytes.size() > view_change_bytes_max(config)) {
    return Status::error("view change larger than " +
                         std::to_string(view_change_bytes_max(config)));
  }
  Reader reader(bytes);
  ViewChange view_change;
  PHALANX_RETURN_IF_ERROR(reader.u64(&view_change.view));
  PHALANX_RETURN_IF_ERROR(read_checkpoint(reader, config.n(), &view_change.checkpoint));
  uint32_t count = 0;
  PHALANX_RETURN_IF_ERROR(reader.u32(&count));
  PHALANX_RETURN_IF_ERROR(reader.count(count, config.log_window, kPreparedFixedBytes));
  view_change.prepared.resize(count);
  const uint64_t low = view_change.checkpoint.height;
  for (uint32_t i = 0; i < count; ++i) {
    PreparedProof& proof = view_change.prepared[i];
    PHALANX_RETURN_IF_ERROR(read_prepared(reader, config.n(), &proof));
    const uint64_t previous = i == 0 ? low : view_change.prepared[i - 1].height;
    if (proof.height <= previous || proof.height > low + config.log_window) {
      return Status::error("prepared proofs are not increasing heights inside the window");
    }
  }
  PHALANX_RETURN_IF_ERROR(reader.finish());
  return view_change;
}

Bytes encode_new_view(const NewView& new_view) {
  Writer writer;
  writer.u64(new_view.view);
  writer.u32(static_cast<uint32_t>(new_view.view_changes.size()));
  for (const SignedViewChange& view_change : new_view.view_changes) {
    writer.u32(view_change.from);
    writer.var_bytes(view_change.body);
    writer.fixed(view_change.signature);
  }
  writer.u32(static_cast<uint32_t>(new_view.reproposals.size()));
  for (const Reproposal& reproposal : new_view.reproposals) {
    writer.u64(reproposal.height);
    writer.fixed(reproposal.digest);
    writer.fixed(reproposal.signature);
  }
  return writer.take();
}

Result<NewView> decode_new_view(ByteSpan bytes, const Config& config) {
  if (bytes.size() > new_view_bytes_max(config)) {
    return Status::error("new view larger than " + std::to_string(new_view_bytes_max(config)));
  }
  Reader reader(bytes);
  NewView new_view;
  PHALANX_RETURN_IF_ERROR(reader.u64(&new_view.view));
  uint32_t count = 0;
  PHALANX_RETURN_IF_ERROR(reader.u32(&count));
  PHALANX_RETURN_IF_ERROR(reader.count(count, config.n(), 4 + 4 + 64));
  for (uint32_t i = 0; i < count; ++i) {
    auto view_change = read_signed_view_change(reader, config);
    if (!view_change) return view_change.status();
    if (i > 0 && view_change->from <= new_view.view_changes.back().from) {
      return Status::error("new view's view changes are not from increasing senders");
    }
    new_view.view_changes.push_back(std::move(view_change).value());
  }
  PHALANX_RETURN_IF_ERROR(reader.u32(&count));
  PHALANX_RETURN_IF_ERROR(reader.count(count, config.log_window, kReproposalBytes));
  new_view.reproposals.resize(count);
  for (Reproposal& reproposal : new_view.reproposals) {
    PHALANX_RETURN_IF_ERROR(reader.u64(&reproposal.height));
    PHALANX_RETURN_IF_ERROR(reader.fixed(&reproposal.digest));
    PHALANX_RETURN_IF_ERROR(reader.fixed(&reproposal.signature));
  }
  PHALANX_RETURN_IF_ERROR(reader.finish());
  return new_view;
}

Status verify_view_change(const Config& config, Verifier& verifier, const ViewChange& view_change) {
  PHALANX_RETURN_IF_ERROR(verify_checkpoint(config, verifier, view_change.checkpoint));
  for (const PreparedProof& proof : view_change.prepared) {
    PHALANX_RETURN_IF_ERROR(verify_prepared(config, verifier, view_change.view, proof));
  }
  return Status::ok();
}

Result<Derivation> derive_new_view(const Config& config,
                                   const std::vector<ViewChange>& view_changes) {
  Derivation derivation;
  for (const ViewChange& view_change : view_changes) {
    if (view_change.checkpoint.height > derivation.base.height) {
      derivation.base = view_change.checkpoint;
    }
  }
  // Per height, the proof from the highest view (PBFT §4.4's selection rule).
  std::map<uint64_t, const PreparedProof*> chosen;
  for (const ViewChange& view_change : view_changes) {
    for (const PreparedProof& proof : view_change.prepared) {
      if (proof.height <= derivation.base.height) continue;
      auto [it, inserted] = chosen.try_emplace(proof.height, &proof);
      if (!inserted && proof.view > it->second->view) it->second = &proof;
    }
  }
  uint64_t expected = derivation.base.height + 1;
  for (const auto& [height, proof] : chosen) {
    if (height != expected) {
      return Status::error("prepared proofs leave a gap at height " + std::to_string(expected));
    }
    if (height > derivation.base.height + config.log_window) {
      return Status::error("prepared proof above the log window of the base checkpoint");
    }
    derivation.reproposals.emplace_back(height, proof->digest);
    ++expected;
  }
  return derivation;
}

Result<Derivation> verify_new_view(const Config& config, Verifier& verifier,
                                   const NewView& new_view) {
  if (new_view.view_changes.size() < quorum_size(config)) {
    return Status::error("new view holds fewer than a quorum of view changes");
  }
  std::vector<ViewChange> view_changes;
  for (const SignedViewChange& signed_view_change : new_view.view_changes) {
    if (!verifier.verify(signed_view_change.from, crypto::Domain::kViewChange,
                         signed_view_change.body, signed_view_change.signature)) {
      return Status::error("new view holds a badly signed view change");
    }
    auto view_change = decode_view_change(signed_view_change.body, config);
    if (!view_change) return Status::error("new view's view change: " + view_change.message());
    if (view_change->view != new_view.view) {
      return Status::error("new view holds a view change for another view");
    }
    PHALANX_RETURN_IF_ERROR(verify_view_change(config, verifier, *view_change));
    view_changes.push_back(std::move(view_change).value());
  }
  auto derivation = derive_new_view(config, view_changes);
  if (!derivation) return derivation.status();
  if (config.mutations.new_view_not_rederived) {
    derivation->reproposals.clear();
    for (const Reproposal& reproposal : new_view.reproposals) {
      derivation->reproposals.emplace_back(reproposal.height, reproposal.digest);
    }
  }
  if (derivation->reproposals.size() != new_view.reproposals.size()) {
    return Status::error("new view's re-proposals differ from the derived ones");
  }
  const uint32_t primary = config.primary_of(new_view.view);
  for (size_t i = 0; i < new_view.reproposals.size(); ++i) {
    const Reproposal& reproposal = new_view.reproposals[i];
    if (reproposal.height != derivation->reproposals[i].first ||
        reproposal.digest != derivation->reproposals[i].second) {
      return Status::error("new view's re-proposal at height " + std::to_string(reproposal.height) +
                           " differs from the derived one");
    }
    const Bytes body = vote_body(new_view.view, reproposal.height, reproposal.digest);
    if (!verifier.verify(primary, crypto::Domain::kPrePrepare, body, reproposal.signature)) {
      return Status::error("new view's re-proposal has a bad pre-prepare signature");
    }
  }
  return derivation;
}

}  // namespace phalanx::consensus
