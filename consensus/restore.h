// Reading the replica's durable records back at restart (records.h has the layout).
// parse_persisted() decodes and cross-checks every record (key against contents, block
// against digest) and returns them as values; Replica applies them. Damaged records are a
// Status error naming the key, so a node can refuse to start instead of running on a
// state it cannot trust.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consensus/records.h"
#include "consensus/types.h"

namespace phalanx::consensus {

struct PersistedVote {
  RecordKey key;
  VoteRecord record;
};

struct PersistedPrePrepare {
  RecordKey key;
  Message pre_prepare;
  std::shared_ptr<const ledger::Block> block;
};

struct PersistedPrepared {
  RecordKey key;
  PreparedCertificate certificate;
  std::shared_ptr<const ledger::Block> block;
};

struct PersistedState {
  std::optional<uint64_t> view;
  std::optional<CheckpointProof> stable_proof;
  std::optional<Message> new_view;  // the NEW-VIEW last entered (checked at restore)
  std::vector<PersistedVote> votes;
  std::vector<PersistedPrePrepare> accepted;
  std::vector<PersistedPrepared> prepared;
  // Every height-indexed key with its height, for later garbage collection.
  std::vector<std::pair<uint64_t, std::string>> indexed_keys;
};

Result<PersistedState> parse_persisted(const Config& config,
                                       const std::map<std::string, Bytes>& persisted);

}  // namespace phalanx::consensus
