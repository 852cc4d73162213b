// `phalanx-bench run`: one load run against a running testnet, measured from the chain.
//
//   1. reads DIR/testnet.json; asks every running node for its status (chain id, fee, view);
//   2. the bound: the all-core Ed25519 verify rate (given, or measured after waiting for an
//      idle machine), divided by n;
//   3. derives the accounts, checks the K senders are funded, pre-signs the transfers;
//   4. submits for warmup_s + duration_s (the steady window is the last duration_s), then
//      drains: waits until every accepted transfer is committed, or drain_timeout_s;
//   5. asks getTransaction for every transfer sent (the committed count over the window, to
//      compare with the getBlock count the watcher made), and reports.
// Thread-safety: run_load() is called from one thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/load/submitter.h"
#include "crypto/status.h"

namespace phalanx::bench {

struct RunOptions {
  std::string testnet_dir;
  std::string name;  // scenario label in the report
  double duration_s = 60;
  double warmup_s = 5;
  double drain_timeout_s = 30;
  uint32_t senders = 64;
  uint32_t accounts = 100000 - 1;
  uint64_t seed = 1;
  size_t txs = 0;          // 0: enough for the run at the offered rate (max: the bound)
  double verify_rate = 0;  // 0: measure it
  double idle_timeout_s = 30;
  double kill_primary_after_s = -1;  // < 0: never; else seconds into the window
  uint64_t stop_after_blocks = 0;    // 0: never; else stop sending after this many blocks
  int poll_us = 1000;
  double stall_timeout_s = 30;  // give up when no block commits this long with work in flight
  bool progress = true;
  LoadOptions load;
};

// The run's report (see bench/README.md for the fields); an error when the run could not be
// made (testnet unreachable, senders unfunded, ...).
Result<nlohmann::json> run_load(const RunOptions& options);

}  // namespace phalanx::bench
