// One simulated validator: a consensus::Replica plus what a node wraps around it —
// durable storage (a key/value map fed by Ready::to_persist), the executed ledger
// (SimLedger, durable), a volatile mempool, and the caller's Ready loop from replica.h:
// persist, then send, then apply, then hand validation requests out, then advance.
//
// A crash can be armed at a point inside that loop (before persisting, after persisting but
// before sending, after sending, in the middle of applying, after applying). When it fires
// the Replica and the mempool are gone; storage keeps exactly the ops of Readies that got
// past their persist step, the ledger the blocks applied. restart() rebuilds the Replica
// from those alone, as the node would after a power cut.
// Thread-safety: none; owned by one simulation.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consensus/replica.h"
#include "tests/sim/checker.h"
#include "tests/sim/keyring.h"
#include "tests/sim/sim_ledger.h"
#include "tests/sim/trace.h"

namespace phalanx::sim {

enum class CrashPoint : uint8_t {
  kBeforePersist,
  kAfterPersist,  // durable, but nothing sent
  kAfterSend,     // sent, nothing applied
  kDuringApply,   // some committed blocks applied, not all
  kAfterApply,
  kIdle,  // the fuse: armed, but no Ready came by in time; crashes between two events
};
constexpr uint32_t kCrashPoints = 5;  // the points a crash is armed at (kIdle is not one)
std::string_view crash_point_name(CrashPoint point);

// *sum += more, field by field.
void add_counters(consensus::Counters* sum, const consensus::Counters& more);

// What a node needs from the simulation around it.
class NodeHost {
 public:
  virtual ~NodeHost() = default;
  virtual uint64_t time_ms() const = 0;
  virtual void send(uint32_t from, const consensus::Outbound& outbound) = 0;
  virtual void request_validation(uint32_t node, uint64_t incarnation,
                                  const consensus::ValidationRequest& request) = 0;
  virtual void on_crashed(uint32_t node, CrashPoint point) = 0;
};

class Byzantine;

struct NodeSetup {
  consensus::Config config;              // config.self is this node
  const Byzantine* byzantine = nullptr;  // set for a Byzantine replica (its mempool censors)
  const Keyring* keyring = nullptr;
  uint32_t batch_txs_max = 1;
  uint64_t clock_offset_ms = 0;
  size_t persisted_keys_max = 0;       // more live records than this is a kBounds violation,
  size_t persisted_keys_per_view = 0;  // plus this per view entered since the last checkpoint
};

class SimNode {
 public:
  static constexpr uint32_t kReadyRoundsMax = 10'000;
  // Proposed blocks remembered for the duplicate-tx check, beyond the log window's worth.
  static constexpr size_t kInFlightBlocksSlack = 64;

  SimNode(NodeSetup setup, NodeHost* host, Checker* checker, Trace* trace);

  uint32_t id() const { return setup_.config.self; }
  bool up() const { return replica_ != nullptr; }
  uint64_t incarnation() const { return incarnation_; }
  const SimLedger& ledger() const { return ledger_; }
  const Mempool& mempool() const { return mempool_; }
  const std::map<std::string, Bytes>& storage() const { return storage_; }
  // REQUIRES: up().
  const consensus::Replica& replica() const { return *replica_; }

  // Builds the Replica from storage and the ledger. REQUIRES: !up().
  void start();
  // Arms a crash at `point`; `apply_index` picks the block for kDuringApply.
  void arm_crash(CrashPoint point, uint32_t apply_index);
  bool crash_armed() const { return armed_.has_value(); }
  void disarm_crash() { armed_.reset(); }
  // Crashes now, between two events. REQUIRES: up().
  void crash_now();

  // Events. REQUIRES: up().
  void step(const consensus::Message& message);
  void tick();
  void validated(uint64_t height, const crypto::Hash& digest, bool valid);
  // Hands txs to the mempool (a Byzantine censor drops some); skips executed ones.
  void submit(const std::vector<const ledger::SignedTransaction*>& txs);
  // The application's validity check beyond signatures, as the node's backend would do it:
  // no tx twice in the block, none already executed here or in an uncommitted ancestor.
  bool repeats_tx(const ledger::Block& block) const;

  // Counters summed over every incarnation, the current one included.
  consensus::Counters counters() const;
  uint64_t restarts() const { return restarts_; }

 private:
  // Wall-clock time as this replica's clock reads it: the simulation starts at genesis.
  uint64_t now_ms() const {
    return setup_.config.genesis_time_ms + host_->time_ms() + setup_.clock_offset_ms;
  }
  void pump();
  bool maybe_propose();
  // Each returns false when an armed crash fired inside it.
  bool process(consensus::Ready& ready);
  void persist(const std::vector<consensus::PersistOp>& ops);
  void serve(const std::vector<consensus::ServeRequest>& requests);
  std::string describe_records() const;
  bool apply(const std::vector<consensus::CommittedBlock>& blocks);
  bool crash_if_armed(CrashPoint point, uint32_t apply_index = 0);
  void remember_block(const crypto::Hash& hash, const ledger::Block& block);
  void remember_own_proposals(const std::vector<consensus::Outbound>& messages);
  void forget_executed_blocks();
  void crash(CrashPoint point);

  NodeSetup setup_;
  NodeHost* host_;
  Checker* checker_;
  Trace* trace_;
  SimLedger ledger_;
  std::map<std::string, Bytes> storage_;
  Mempool mempool_;
  std::unique_ptr<consensus::Replica> replica_;
  struct InFlightBlock {
    uint64_t height = 0;
    crypto::Hash prev_hash{};
    std::vector<crypto::Hash> txs;
  };
  // Blocks proposed above the executed height (seen in validation requests or proposed
  // here), by hash: what repeats_tx() walks. Volatile, like the node's.
  std::map<crypto::Hash, InFlightBlock> in_flight_;
  uint64_t incarnation_ = 0;
  bool pending_noted_ = false;
  uint64_t checkpoint_seen_ = 0;     // highest stable checkpoint seen (survives restarts)
  uint64_t view_at_checkpoint_ = 0;  // the view when it was first seen  // what the replica was
                                     // last told by note_pending_request()
  uint64_t restarts_ = 0;
  std::optional<CrashPoint> armed_;
  uint32_t armed_apply_index_ = 0;
  consensus::Counters past_counters_;  // of incarnations that crashed
};

}  // namespace phalanx::sim
