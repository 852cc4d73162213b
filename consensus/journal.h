// consensus::Journal: the replica's pending durable writes and the index of the live keys
// it has written, by height, so a stable checkpoint can erase every record at or below it
// (PBFT §4.3: the log below a stable checkpoint is discarded, on disk as in memory).
// Keys without a height ("view", "checkpoint") are overwritten in place and never indexed.
// Thread-safety: none; owned by one Replica.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "consensus/types.h"

namespace phalanx::consensus {

class Journal {
 public:
  // A record that belongs to `height` and is erased when a checkpoint at or above it
  // becomes stable.
  void put_at(uint64_t height, std::string key, Bytes value);
  // A record overwritten in place (view, checkpoint proof).
  void put(std::string key, Bytes value);
  // Indexes a key found in storage at restart (no write).
  void track(uint64_t height, std::string key);
  // Emits an erase for every indexed key at heights <= height.
  void erase_through(uint64_t height);

  bool has_pending() const { return !pending_.empty(); }
  std::vector<PersistOp> take_pending();
  size_t live_keys() const;

 private:
  std::vector<PersistOp> pending_;
  std::map<uint64_t, std::set<std::string>> keys_by_height_;
};

}  // namespace phalanx::consensus
