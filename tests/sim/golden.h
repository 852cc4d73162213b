// Golden traces (etcd raft's interaction tests): hand-scripted runs of a few SimNodes whose
// every delivery, drop, crash and tick is chosen by the script, not by a seed, written as a
// readable trace and compared byte for byte with a file under tests/sim/testdata/. A change
// in protocol behaviour shows up as a diff a reviewer can read; an intended change is
// accepted by rewriting the file (phalanx-sim --golden NAME --rewrite-golden, or
// PHALANX_REWRITE_GOLDEN=1 when running sim_tests).
//
//   view_change   4 replicas. Replica 0 (primary of view 0) proposes height 1; its
//                 PREPAREs reach only replicas 1 and 2, so exactly those two prepare it;
//                 every COMMIT is lost, so nobody commits. Replica 0 crashes. The backups'
//                 view-change timers fire; replica 1 (primary of view 1) re-proposes the
//                 prepared block in its NEW-VIEW, and replicas 1, 2 and 3 commit the same
//                 block hash at height 1 in view 1.
//
// STATUS messages are not delivered in these scripts (they only repeat what the trace shows).
// Thread-safety: none; each call builds its own cluster.
#pragma once

#include <string>
#include <vector>

#include "crypto/status.h"

namespace phalanx::sim {

struct GoldenRun {
  std::string trace;
  // What the script checks on top of the trace (empty: all held), e.g. "replica 3 committed
  // a different hash at height 1".
  std::vector<std::string> failures;
};

std::vector<std::string> golden_names();
// REQUIRES: name is one of golden_names().
GoldenRun run_golden(const std::string& name);
// testdata/<name>.golden under `directory`.
std::string golden_path(const std::string& directory, const std::string& name);
Result<std::string> read_golden(const std::string& path);
Status write_golden(const std::string& path, const std::string& text);

}  // namespace phalanx::sim
