// Random state-tree batches for the tree tests (mem_tree_test.cc, mem_tree_lmdb_test.cc).
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "ledger/state_tree.h"
#include "tests/testutil/rng.h"

namespace phalanx::ledger {

// A random batch over `known` keys: inserts, updates, deletes of present and absent keys,
// and keys sharing long prefixes (deep nodes that later collapse).
inline std::vector<TreeUpdate> random_batch(testutil::Rng& rng, std::vector<Hash>* known,
                                            uint64_t size) {
  std::map<Hash, std::optional<Hash>> batch;
  for (uint64_t i = 0; i < size; ++i) {
    const uint64_t kind = rng.below(12);
    if (kind < 5 || known->empty()) {
      Hash key = rng.hash();
      if (kind == 0 && !known->empty()) {  // a near neighbour of a known key
        key = (*known)[rng.below(known->size())];
        key[31] ^= static_cast<uint8_t>(1 + rng.below(255));
      }
      known->push_back(key);
      batch[key] = rng.hash();
    } else if (kind < 10) {
      batch[(*known)[rng.below(known->size())]] =
          kind < 8 ? std::optional<Hash>(rng.hash()) : std::nullopt;
    } else {
      batch[rng.hash()] = std::nullopt;
    }
  }
  std::vector<TreeUpdate> updates;
  for (const auto& [key, value] : batch) updates.push_back({key, value});
  return updates;
}

}  // namespace phalanx::ledger
