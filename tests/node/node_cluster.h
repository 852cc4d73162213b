// Test-only harness for the process tests (tests/node/node_*_test.cc, tests/byzantine/): a
// local chain of real phalanxd processes (or, per node, another program such as
// phalanxd-byzantine: Cluster::set_program). It creates a temporary directory, runs
// `phalanxd init` for each validator and `phalanxd genesis` (the binary itself, as an operator
// would), gives a faucet key the supply, then starts, signals, kills and restarts the node
// processes it spawned -- and only those, by pid. JSON-RPC goes over HTTP to each node's port.
// Every wait polls a condition against a deadline; nothing sleeps to synchronise.
// Thread-safety: one test thread, except that submit_batch() (which only reads the node's
// port) may run on several client threads while the test thread waits for them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "crypto/ed25519.h"
#include "ledger/transaction.h"

namespace phalanx::node::testing {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

inline constexpr auto kWaitMax = std::chrono::seconds(30);

// Polls `condition` every few milliseconds until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& condition, Clock::duration timeout = kWaitMax);

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the phalanxd binary with `args` to completion (init, genesis, --help...).
CommandResult run_phalanxd(const std::vector<std::string>& args);
// The same for another program (e.g. phalanxd-byzantine).
CommandResult run_program(const std::string& program, const std::vector<std::string>& args);

struct ClusterOptions {
  uint32_t n = 4;
  uint32_t checkpoint_interval = 16;
  uint32_t pipeline_depth = 4;
  uint32_t retransmit_ms = 100;  // fast recovery in tests
  // Short enough that a dead primary costs a test about a second, long enough that a loaded
  // sanitizer build does not vote out a live one.
  uint32_t view_change_timeout_ms = 1000;
  // Funded accounts besides the faucet (account(k), k < senders), each with sender_balance:
  // load tests need many senders, since the mempool bounds pending txs per sender.
  uint32_t senders = 0;
  uint64_t sender_balance = 1'000'000;
};

struct NodeHandle {
  std::string home;
  uint16_t p2p_port = 0;
  uint16_t rpc_port = 0;
  pid_t pid = -1;  // -1: not running
  // What start() runs: `program run --home HOME extra_args...`; empty: phalanxd.
  std::string program;
  std::vector<std::string> extra_args;
};

class Cluster {
 public:
  explicit Cluster(ClusterOptions options = {});
  ~Cluster();  // SIGKILLs every process still running and removes the directory
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  uint32_t n() const { return static_cast<uint32_t>(nodes_.size()); }
  const NodeHandle& node(uint32_t i) const { return nodes_.at(i); }
  const std::string& chain_id() const { return chain_id_; }
  const std::string& dir() const { return dir_; }

  // Node i runs `program run --home HOME extra_args...` from its next start() on.
  void set_program(uint32_t i, std::string program, std::vector<std::string> extra_args);
  void start(uint32_t i);
  void start_all();
  // Sends `signal` to node i's process (SIGSTOP, SIGCONT...).
  void signal(uint32_t i, int signal);
  // SIGKILL and reap.
  void kill(uint32_t i);
  // SIGTERM and reap within `timeout`; the exit status (as waitpid), or nullopt on timeout
  // (then the process is SIGKILLed).
  std::optional<int> terminate(uint32_t i, Clock::duration timeout = std::chrono::seconds(10));
  // Reaps node i if it has exited; true while it runs.
  bool running(uint32_t i);

  // One JSON-RPC call; the whole reply object, or nullopt when the node did not answer.
  std::optional<Json> call(uint32_t i, const std::string& method, Json params = Json::array());
  // The `result` of a successful call, or nullopt.
  std::optional<Json> result(uint32_t i, const std::string& method, Json params = Json::array());
  std::optional<uint64_t> height(uint32_t i);
  std::optional<std::string> block_hash(uint32_t i, uint64_t height);
  // Submits the tx hex through node i; the reply object.
  std::optional<Json> submit(uint32_t i, const ledger::SignedTransaction& tx);

  // A transfer from the faucet (the genesis account holding the supply).
  ledger::SignedTransaction transfer(const crypto::Address& to, uint64_t amount, uint64_t nonce,
                                     uint64_t fee = 1) const;
  crypto::Address faucet_address() const;
  // A transfer from funded account k (ClusterOptions::senders).
  ledger::SignedTransaction transfer_from(uint32_t k, const crypto::Address& to, uint64_t amount,
                                          uint64_t nonce, uint64_t fee = 1) const;
  // Submits `txs` (at most the node's rpc.batch_max) as one JSON-RPC batch request; the
  // number of sendTransaction calls that returned a result, or nullopt when the node did
  // not answer.
  std::optional<size_t> submit_batch(uint32_t i, const std::vector<ledger::SignedTransaction>& txs);
  uint64_t faucet_balance() const { return faucet_balance_; }

  // True when the tx is committed on every listed node.
  bool committed_on(const std::vector<uint32_t>& nodes, const crypto::Hash& tx_hash);
  // Waits until every listed node is at least at `height`; then checks they hold identical
  // block hashes at every height up to it (fails the test otherwise).
  void expect_same_chain(const std::vector<uint32_t>& nodes, uint64_t height);
  // Waits until every running node reports all other validators connected.
  bool wait_for_peers(const std::vector<uint32_t>& nodes);

 private:
  void init_homes(const ClusterOptions& options);
  void write_genesis(const ClusterOptions& options, const std::vector<std::string>& validators);

  std::string dir_;
  std::string chain_id_ = "node-test";
  std::vector<NodeHandle> nodes_;
  crypto::SecretKey faucet_;
  std::vector<crypto::SecretKey> senders_;
  uint64_t faucet_balance_ = 1'000'000'000;
};

// Connects to 127.0.0.1:port, writes `bytes` (as much as the peer takes) and closes.
void send_raw_tcp(uint16_t port, const Bytes& bytes);
std::string read_text_file(const std::string& path);

// All node indexes 0..n-1.
std::vector<uint32_t> all_nodes(uint32_t n);
crypto::Address test_address(uint8_t tag);

// Submits `tx` to `node` and expects it accepted (the reply is the tx hash). Its failures
// are fatal to the caller only through ASSERT_NO_FATAL_FAILURE.
void submit_ok(Cluster& cluster, uint32_t node, const ledger::SignedTransaction& tx);
// The opening of most process tests: starts every node, waits until all are connected, and
// commits one faucet transfer (5 to test_address(1), nonce 0) submitted through node `via`
// on all of them. Call it as ASSERT_NO_FATAL_FAILURE(start_and_commit_first(...)).
void start_and_commit_first(Cluster& cluster, uint32_t via, ledger::SignedTransaction* first);

}  // namespace phalanx::node::testing
