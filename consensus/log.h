// consensus::Log: the replica's message log inside the watermarks (PBFT §4.2, §4.3): for
// each height in (stable, stable + L] the accepted PRE-PREPARE with its block and where the
// height stands (awaiting its PREPARE conditions, prepared, committed, handed to the caller),
// plus the PREPARE and COMMIT tallies. Everything at or below the stable checkpoint is
// discarded (garbage collection, §4.3), so the log never holds more than L heights.
// Thread-safety: none; owned by one Replica.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "consensus/quorum.h"
#include "consensus/types.h"

namespace phalanx::consensus {

enum class Validation : uint8_t {
  kNotRequested,
  kPending,  // a ValidationRequest is out; waiting for on_validated
  kValid,
};

struct Entry {
  uint64_t view = 0;
  Hash digest{};
  Message pre_prepare;  // as accepted, block bytes included (retransmission, certificates)
  ledger::BlockHeader header;
  // The decoded block, released once it is output (the caller then owns its copy).
  std::shared_ptr<const ledger::Block> block;
  std::vector<Hash> tx_hashes_sorted;  // for the duplicate check; kept after output until GC
  // A PREPARE condition failed for good (or SafetyRules refused): this replica never
  // prepares the proposal. The digest stays accepted so no other one is accepted instead.
  bool rejected = false;
  bool duplicates_checked = false;
  Validation validation = Validation::kNotRequested;
  std::optional<Message> own_prepare;
  std::optional<Message> own_commit;
  bool prepared = false;
  bool commit_ready = false;  // committed: waiting only for lower heights to be output
  bool output = false;        // handed to the caller in Ready::committed (or executed)
  // A NEW-VIEW re-proposed this digest and the block is not here yet: header, block and
  // pre_prepare.block are empty until a peer sends the body (replica_view.cc).
  bool body_missing = false;
  // The pre-prepare's "accept/" record is in the journal (replica_normal.cc, accept()).
  bool accept_recorded = false;
};

class Log {
 public:
  explicit Log(uint32_t window) : window_(window) {}

  uint64_t low() const { return stable_; }
  uint64_t high() const { return stable_ + window_; }
  // PBFT §4.2: only sequence numbers between the watermarks h < n <= H are accepted.
  bool in_window(uint64_t height) const { return height > low() && height <= high(); }

  Entry* find(uint64_t height);
  const Entry* find(uint64_t height) const;
  // REQUIRES: in_window(height) and no entry at height.
  Entry& insert(uint64_t height, Entry entry);
  // Drops the entry at `height` (a new view replaces it, PBFT §4.4); votes stay in the tallies.
  void erase(uint64_t height) { entries_.erase(height); }
  std::map<uint64_t, Entry>& entries() { return entries_; }
  const std::map<uint64_t, Entry>& entries() const { return entries_; }

  VoteTally& prepares() { return prepares_; }
  VoteTally& commits() { return commits_; }
  const VoteTally& prepares() const { return prepares_; }
  const VoteTally& commits() const { return commits_; }

  // Moves the low watermark to `stable` and discards everything at or below it.
  void collect_garbage(uint64_t stable);

  // True when a tx of `entry` (at `height`) is repeated inside its block or appears in an
  // accepted, not rejected block at a lower height, in flight or committed.
  bool has_duplicate_tx(uint64_t height, const Entry& entry) const;
  // True when `tx_hash` is in any accepted, not rejected, not yet output block.
  bool tx_in_flight(const Hash& tx_hash) const;

  void check_invariants() const;

 private:
  uint32_t window_;
  uint64_t stable_ = 0;
  std::map<uint64_t, Entry> entries_;
  VoteTally prepares_;
  VoteTally commits_;
};

// The sorted tx hashes of a block.
std::vector<Hash> sorted_tx_hashes(const ledger::Block& block);
// A log entry for an accepted PRE-PREPARE and its decoded block.
Entry make_entry(Message pre_prepare, std::shared_ptr<const ledger::Block> block);

}  // namespace phalanx::consensus
