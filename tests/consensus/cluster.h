// A tiny deterministic harness for consensus unit tests: n replicas with real Ed25519 keys,
// a FIFO message pump (every message goes through the codec's encode/decode), per-replica
// in-memory "disk" fed by Ready::to_persist, a toy ledger (root after h = H(root after h-1 ||
// block hash)) that also serves Ready::serve_requests (catch-up), and helpers to forge validly
// signed messages. No threads, no clocks: time only moves through advance_time(). Thread-safety:
// none (one test thread).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consensus/codec.h"
#include "consensus/replica.h"
#include "crypto/ed25519.h"
#include "ledger/block.h"

namespace phalanx::consensus::testing {

inline constexpr const char* kChainId = "phalanx-test";

struct ClusterOptions {
  uint32_t n = 4;
  uint32_t pipeline_depth = 4;
  uint32_t checkpoint_interval = 4;
  uint32_t log_window = 16;
  uint64_t view_change_timeout_ms = 2000;
  size_t catch_up_bytes_max = Config{}.catch_up_bytes_max;
  Mutations mutations;
};

struct Delivery {
  uint32_t from = 0;
  uint32_t to = 0;
  Message message;
};

struct TestNode {
  std::unique_ptr<Replica> replica;
  std::map<std::string, Bytes> disk;
  std::vector<PersistOp> persist_log;                  // every op ever applied, in order
  std::vector<Outbound> sent;                          // every message this replica sent
  std::vector<ValidationRequest> validation_requests;  // every request it made
  std::vector<CommittedBlock> applied;                 // blocks applied by the toy ledger
  std::vector<CommittedBlock> unexecuted;              // committed, held back (auto_execute off)
  std::map<uint64_t, Hash> roots;
  std::vector<ValidationRequest> held_validations;
  bool up = true;
  bool auto_execute = true;
};

class Cluster {
 public:
  explicit Cluster(ClusterOptions options = {});

  Config config_for(uint32_t index) const;
  const ClusterOptions& options() const { return options_; }
  uint32_t n() const { return options_.n; }
  Replica& replica(uint32_t index) { return *nodes_[index].replica; }
  TestNode& node(uint32_t index) { return nodes_[index]; }
  uint64_t now() const { return now_ms_; }

  // Processes every Ready and delivers queued messages until nothing is left.
  void pump();
  // Takes and handles one replica's pending Readies (persist, queue, execute, validate).
  bool drain(uint32_t index);
  void advance_time(uint64_t ms);

  // Proposes `txs` at the primary of replica 0's view; REQUIRES can_propose().
  void propose(std::vector<ledger::SignedTransaction> txs);
  // Proposes `txs` at replica `index`; REQUIRES it can_propose().
  void propose_at(uint32_t index, std::vector<ledger::SignedTransaction> txs);
  // Fresh signed transfers with distinct nonces.
  std::vector<ledger::SignedTransaction> make_txs(size_t count);

  // Rebuilds replica `index` from its disk and its toy ledger, like a process restart.
  void restart(uint32_t index);
  ExecutedState executed_state(uint32_t index) const;
  void execute_held(uint32_t index);  // applies blocks held while auto_execute was off

  // Messages to drop at delivery (return true to drop); unset: deliver everything.
  std::function<bool(const Delivery&)> drop;
  // The verdict for ValidationRequests (nullopt: hold it); unset: valid.
  std::function<std::optional<bool>(uint32_t node, const ValidationRequest&)> validate;

  // Rewrites a catch-up response node `server` is about to send (a Byzantine server); unset:
  // honest.
  std::function<void(uint32_t server, Message* response)> tamper_response;

  // Queues a message for delivery to `to` as if `message.from` sent it.
  void inject(uint32_t to, const Message& message);
  Message sign_vote(uint32_t from, MessageKind kind, uint64_t view, uint64_t height,
                    const Hash& digest) const;
  Message sign_checkpoint(uint32_t from, uint64_t height, const Hash& block_hash,
                          const Hash& state_root) const;
  // A PRE-PREPARE for `block` signed by validator `from` (normally the primary).
  Message sign_pre_prepare(uint32_t from, uint64_t view, const ledger::Block& block) const;
  // A well-formed block at `height` after `prev_hash` (timestamp now, the state root node 0
  // executed at height - W); tests then break one field and call reseal().
  ledger::Block next_block(uint64_t height, const Hash& prev_hash,
                           std::vector<ledger::SignedTransaction> txs) const;
  static void reseal(ledger::Block* block);  // recomputes tx_root and tx_count

  const crypto::SecretKey& key(uint32_t index) const { return keys_[index]; }
  Hash genesis_hash() const;
  Hash genesis_state_root() const;
  uint64_t genesis_time_ms() const { return 1'700'000'000'000; }
  // Committed block hash at `height` as seen by node `index` (REQUIRES: applied).
  Hash applied_hash(uint32_t index, uint64_t height) const;

 private:
  void deliver(const Delivery& delivery);
  void serve(uint32_t index, const ServeRequest& request);
  void apply(uint32_t index, const CommittedBlock& block);
  std::unique_ptr<Replica> make_replica(uint32_t index) const;

  ClusterOptions options_;
  std::vector<crypto::SecretKey> keys_;
  std::vector<crypto::PublicKey> public_keys_;
  std::vector<TestNode> nodes_;
  std::deque<Delivery> queue_;
  uint64_t now_ms_;
  crypto::SecretKey client_key_;
  uint64_t next_nonce_ = 0;
};

// How many messages of `kind` at `height` the node sent (optionally only for `digest`).
size_t count_sent(const TestNode& node, MessageKind kind, uint64_t height,
                  std::optional<Hash> digest = std::nullopt);

}  // namespace phalanx::consensus::testing
