// node::Node: one running phalanxd. It wires the consensus replica, the transport, the
// mempool, the signature cache and verification pool, the ledger store, the consensus
// record store and the JSON-RPC server together (docs/node.md, "The event loop").
//
// One thread -- the event loop, run() -- owns the Replica and the Mempool; one more, the
// LedgerWriter (node/ledger_writer.h), owns the ledger Store's writer. Every other thread
// talks to the loop through one bounded EventQueue:
//   transport I/O thread  decodes each frame strictly (node/wire.h) and posts it;
//   RPC workers           post submissions and mempool queries and wait, bounded;
//   verification workers  post the outcome of signature batches;
//   ledger writer         posts each written batch of committed blocks.
// The loop ticks the replica every tick_ms with Unix-ms time and drains each Ready in the
// replica's duty order: persist (consensus store, one synced transaction), send (transport),
// hand committed blocks in order to the ledger writer (which commits all it holds in one
// ledger transaction and posts the batch back: then the mempool reconciles and the replica
// learns the state roots, on_executed), hand validation requests to the verification pool,
// serve peers' catch-up requests from the ledger, advance. Then it proposes (adaptive
// batching, never an empty block) and gossips newly accepted client transactions.
//
// Lifecycle: open() -> start() -> run() on a thread of the caller's choosing; to stop,
// stop_services() (RPC, then transport) and request_stop(); run() returns; destroy.
// A SIGKILL at any moment is safe: restart opens the ledger at its height and hands the
// replica its persisted records (Replica's `persisted`) and the executed state.
//
// Thread-safety: request_stop(), stop_services() and rpc_port() may be called from any
// thread; run() from one thread; open()/start() before run().
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <optional>
#include <string>
#include <vector>

#include "consensus/replica.h"
#include "ledger/store.h"
#include "node/backend.h"
#include "node/config.h"
#include "node/consensus_store.h"
#include "node/event_queue.h"
#include "node/home.h"
#include "node/ledger_writer.h"
#include "node/mempool.h"
#include "node/node_events.h"
#include "node/node_hooks.h"
#include "node/rpc_server.h"
#include "node/signature_cache.h"
#include "node/transport.h"
#include "node/verify_pool.h"

namespace spdlog {
class logger;
}

namespace phalanx::node {

// Most events the loop handles before it looks at the replica's Ready again.
inline constexpr size_t node_events_per_round_max = 256;
// Most Ready rounds (and proposals) one loop round may drain: a bug, not load, exceeds it.
inline constexpr size_t node_ready_rounds_max = 10'000;
// Heights the consensus log accepts above the stable checkpoint: at least this, and at
// least two checkpoint intervals.
inline constexpr uint32_t node_log_window_min = 64;
inline uint32_t node_log_window(const ledger::Genesis& genesis) {
  return std::max({node_log_window_min, 2 * genesis.checkpoint_interval, genesis.pipeline_depth});
}

// Monotonic counts, logged at shutdown. The frame counters are bumped on the transport's
// I/O thread, the rest on the loop.
struct NodeCounters {
  std::atomic<uint64_t> frames_malformed{0};     // failed decode_wire_frame
  std::atomic<uint64_t> frames_dropped_busy{0};  // event queue full
  std::atomic<uint64_t> frames_wrong_sender{0};  // consensus message naming another sender
  uint64_t peer_txs_dropped = 0;                 // verification pool full
  uint64_t blocks_proposed = 0;
  uint64_t blocks_committed = 0;
  uint64_t txs_committed = 0;
};

class Node {
 public:
  // Locks HOME, reads config.json, genesis.json and node.key, opens the ledger and the
  // consensus record store, rebuilds the replica from them and prepares (without starting)
  // the transport and the RPC server. Every failure is one clear message. `hooks` (a test
  // build's misbehaviour, node/node_hooks.h) is null in phalanxd.
  static Result<std::unique_ptr<Node>> open(const std::string& home,
                                            std::unique_ptr<NodeHooks> hooks = nullptr);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Binds the p2p and RPC ports and starts their threads.
  Status start();
  // The event loop; returns when request_stop() was called (ok) or on a fatal storage
  // error (the error). REQUIRES: start() succeeded.
  Status run();
  void request_stop();
  // Stops the RPC server (waiting for its workers), then the transport. Idempotent.
  void stop_services();

  uint16_t rpc_port() const;
  uint32_t self() const { return self_; }
  spdlog::logger& log() { return *log_; }

 private:
  Node() = default;
  Status open_stores();
  Status build_replica(crypto::SecretKey key);
  Status build_network(const crypto::SecretKey& key);
  void log_start() const;

  // Transport I/O thread.
  void on_frame(uint32_t from, Bytes frame);

  // Event loop (node_loop.cc).
  void handle(NodeEvent& event, bool* stop);
  Status drain_ready();
  Status process(consensus::Ready& ready);
  Status persist(const std::vector<consensus::PersistOp>& ops);
  void send(const std::vector<consensus::Outbound>& messages);
  // One consensus message (through the hooks, if any); false when the transport refused it.
  bool send_message(const consensus::Outbound& outbound);
  bool send_frames(std::vector<HookFrame> frames);
  Status apply(std::vector<consensus::CommittedBlock>* committed);
  Status on_ledger_batch(LedgerBatch& batch);
  void log_committed(const ledger::Block& block, const crypto::Hash& hash, uint64_t committed_txs);
  void request_validations(std::vector<consensus::ValidationRequest> requests);
  void retry_validations();
  void on_tick(uint64_t now_ms);
  void watch_peers();
  void watch_view();
  void publish_status();
  void log_peer_faults(bool changed_only);
  void drain_after_stop();

  // Catch-up (node_catch_up.cc).
  void serve(const consensus::ServeRequest& request);
  void note_catch_up(const std::vector<consensus::CommittedBlock>& committed);
  void watch_catch_up();

  // Transactions (node_txs.cc).
  void on_submit(SubmitEvent& event);
  void on_peer_txs(PeerTxsEvent& event);
  void on_txs_verified(const TxsVerifiedEvent& event);
  // The ledger snapshot this round's admissions read (opened by the first one), or the error.
  Result<const ledger::Snapshot*> round_snapshot();
  // `now_ms` is steady-clock time, for the batching delay only.
  bool maybe_propose(uint64_t now_ms);
  void gossip();

  HomePaths paths_{""};
  std::optional<HomeLock> lock_;
  NodeConfig config_;
  ledger::Genesis genesis_;
  consensus::Config consensus_config_;
  uint32_t self_ = 0;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<ledger::Store> store_;
  std::unique_ptr<ConsensusStore> consensus_store_;
  std::unique_ptr<SignatureCache> cache_;
  std::unique_ptr<EventQueue<NodeEvent>> queue_;
  StatusBoard board_;
  std::unique_ptr<VerifyPool> pool_;
  std::unique_ptr<Mempool> mempool_;
  std::unique_ptr<consensus::Replica> replica_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<NodeBackend> backend_;
  std::unique_ptr<RpcServer> rpc_;
  std::unique_ptr<NodeHooks> hooks_;  // null but in a test build (phalanxd-byzantine)
  std::unique_ptr<LedgerWriter> writer_;  // from start(); stopped before the stores close

  // Loop state, touched only by the loop thread.
  NodeCounters counters_;
  std::deque<consensus::ValidationRequest> validations_waiting_;  // pool was full
  std::vector<BlockValidatedEvent> validated_inline_;             // empty blocks
  // Tx hashes of each block handed to the writer and not back yet, in height order.
  std::deque<std::vector<crypto::Hash>> writing_;
  Status loop_error_;  // a fatal error an event handler met (the loop stops on it)
  // One LMDB read transaction for the admissions of a loop round, not one per submission.
  // Closed at the end of the round and before a ledger batch is reconciled, so the mempool
  // never admits against a state older than the one it was reconciled with.
  std::optional<ledger::Snapshot> round_snapshot_;
  crypto::Hash tip_hash_{};                // hash of the last block applied to the ledger
  uint64_t proposed_height_ = 0;           // highest height this node proposed (this incarnation)
  std::optional<uint64_t> idle_since_ms_;  // since when idle txs wait for a busy pipeline
  // (mempool size, committed height) when take_batch last found nothing eligible (every
  // idle tx behind a nonce gap): no point scanning again until either changes.
  std::optional<std::pair<size_t, uint64_t>> nothing_eligible_;
  uint64_t view_ = 0;             // the replica's view when the loop last looked
  bool view_changing_ = false;    // and whether it was still waiting for that view's NEW-VIEW
  bool catching_up_ = false;      // whether the replica was fetching committed blocks
  uint32_t catch_up_source_ = 0;  // sender of the last catch-up response stepped
  std::vector<bool> peer_up_;
  std::vector<uint64_t> peer_links_up_;  // Transport::peer_links_up() at the last look
  std::chrono::steady_clock::time_point peers_checked_{};
  std::chrono::steady_clock::time_point stale_heads_checked_{};
  std::chrono::steady_clock::time_point faults_logged_{};
  uint64_t faults_last_ = 0;  // sum of the peer-fault counters when last logged
  std::mutex services_mutex_;
  bool services_stopped_ = false;  // guarded by services_mutex_
};

}  // namespace phalanx::node
