// Node construction, start and stop, and the transport's frame handler.
#include "node/node.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "consensus/signer.h"
#include "consensus/view_change.h"
#include "node/node_internal.h"
#include "node/wire.h"

namespace phalanx::node {

namespace {

Result<std::shared_ptr<spdlog::logger>> open_log(const std::string& path,
                                                 const std::string& level) {
  try {
    auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
    auto logger = std::make_shared<spdlog::logger>("phalanxd", std::move(sink));
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    logger->set_level(spdlog::level::from_str(level));
    // One line per event worth knowing, so flushing each keeps the file current for
    // operators (and readable after a SIGKILL) at a negligible cost.
    logger->flush_on(spdlog::level::trace);
    return logger;
  } catch (const spdlog::spdlog_ex& error) {
    return Status::error("cannot open the log " + path + ": " + error.what());
  }
}

Result<uint32_t> find_self(const ledger::Genesis& genesis, const crypto::PublicKey& key) {
  for (uint32_t i = 0; i < genesis.n(); ++i) {
    if (genesis.validators[i].public_key == key) return i;
  }
  return Status::error("this node's public key " + hex_encode(key) +
                       " is not a validator in genesis");
}

}  // namespace

Result<std::unique_ptr<Node>> Node::open(const std::string& home,
                                         std::unique_ptr<NodeHooks> hooks) {
  std::unique_ptr<Node> node(new Node());
  node->paths_ = HomePaths(home);
  const HomePaths& paths = node->paths_;
  std::error_code ec;
  if (!std::filesystem::is_directory(home, ec)) {
    return Status::error("home directory " + home + " does not exist (run `phalanxd init --home " +
                         home + "`)");
  }
  auto lock = HomeLock::acquire(paths.lock);
  if (!lock) return lock.status();
  node->lock_.emplace(std::move(lock).value());
  auto config = load_node_config(paths.config);
  if (!config) return config.status();
  node->config_ = std::move(config).value();
  auto genesis = ledger::load_genesis(paths.genesis);
  if (!genesis) return Status::error(paths.genesis + ": " + genesis.message());
  node->genesis_ = std::move(genesis).value();
  auto key = load_node_key(paths.key);
  if (!key) return key.status();
  auto self = find_self(node->genesis_, key->public_key());
  if (!self) return self.status();
  node->self_ = *self;
  auto log = open_log(paths.log, node->config_.log_level);
  if (!log) return log.status();
  node->log_ = std::move(log).value();
  PHALANX_RETURN_IF_ERROR(node->open_stores());
  PHALANX_RETURN_IF_ERROR(node->build_network(*key));
  if (hooks) {
    node->hooks_ = std::move(hooks);
    node->hooks_->attach(
        {node->self_, &node->genesis_, node->store_.get(), &*key, node->log_.get()});
  }
  PHALANX_RETURN_IF_ERROR(node->build_replica(std::move(key).value()));
  return node;
}

Status Node::open_stores() {
  auto store = ledger::Store::open(paths_.ledger_dir, genesis_);
  if (!store) return Status::error("ledger store " + paths_.ledger_dir + ": " + store.message());
  store_ = std::move(store).value();
  auto consensus_store = ConsensusStore::open(paths_.consensus_dir);
  if (!consensus_store) return consensus_store.status();
  consensus_store_ = std::move(consensus_store).value();
  cache_ = std::make_unique<SignatureCache>();
  queue_ = std::make_unique<EventQueue<NodeEvent>>(config_.event_queue_events_max,
                                                   config_.event_queue_bytes_max);
  VerifyPoolOptions pool_options;
  pool_options.threads = config_.verify_threads;
  pool_ = std::make_unique<VerifyPool>(*cache_, pool_options);
  MempoolOptions mempool_options;
  mempool_options.chain_id = genesis_.chain_id;
  mempool_options.min_fee = config_.min_fee;
  mempool_options.nonce_gap_max = config_.mempool_nonce_gap_max;
  mempool_options.gapped_ttl_ms = config_.mempool_gapped_ttl_ms;
  mempool_options.txs_max = config_.mempool_txs_max;
  mempool_options.bytes_max = config_.mempool_bytes_max;
  mempool_options.sender_txs_max = config_.mempool_sender_txs_max;
  mempool_ = std::make_unique<Mempool>(mempool_options);
  return Status::ok();
}

Status Node::build_replica(crypto::SecretKey key) {
  consensus::Config& c = consensus_config_;
  c.chain_id = genesis_.chain_id;
  for (const ledger::Validator& validator : genesis_.validators) {
    c.validators.push_back(validator.public_key);
  }
  c.self = self_;
  c.pipeline_depth = genesis_.pipeline_depth;
  c.checkpoint_interval = genesis_.checkpoint_interval;
  c.log_window = node_log_window(genesis_);
  c.block_limits = genesis_.block_limits;
  c.timestamp_skew_ms = config_.timestamp_skew_ms;
  c.retransmit_ms = config_.retransmit_ms;
  c.view_change_timeout_ms = config_.view_change_timeout_ms;
  c.genesis_hash = store_->genesis_hash();
  c.genesis_state_root = ledger::genesis_block(genesis_).header.state_root;
  c.genesis_time_ms = genesis_.genesis_time_ms;
  // The core asserts this; a genesis that breaks it gets a clear error instead of an abort.
  if (consensus::new_view_bytes_max(c) > c.block_limits.bytes_max) {
    return Status::error("genesis: block_bytes_max " + std::to_string(c.block_limits.bytes_max) +
                         " is too small for " + std::to_string(c.n()) +
                         " validators and a log window of " + std::to_string(c.log_window) +
                         " heights: a NEW-VIEW may need " +
                         std::to_string(consensus::new_view_bytes_max(c)) + " bytes");
  }
  auto persisted = consensus_store_->load();
  if (!persisted) return persisted.status();
  auto executed = executed_state(*store_, genesis_);
  if (!executed) return Status::error("ledger store: " + executed.message());
  const Status fits = consensus::Replica::validate_persisted(c, *persisted, *executed);
  if (!fits) {
    return Status::error("the consensus records in " + paths_.consensus_dir +
                         " do not fit the ledger in " + paths_.ledger_dir + ": " + fits.message());
  }
  replica_ = std::make_unique<consensus::Replica>(
      c, std::make_unique<consensus::Ed25519Signer>(std::move(key), genesis_.chain_id),
      std::make_unique<consensus::Ed25519Verifier>(c.validators, genesis_.chain_id), *persisted,
      *executed, unix_now_ms());
  proposed_height_ = replica_->committed_height();
  tip_hash_ = executed->block_hash;
  view_ = replica_->view();
  view_changing_ = replica_->view_changing();
  log_->info("restored: ledger height {}, {} consensus records, view {}, stable checkpoint {}",
             executed->height, persisted->size(), replica_->view(), replica_->stable_checkpoint());
  return Status::ok();
}

Status Node::build_network(const crypto::SecretKey& key) {
  TransportConfig transport;
  transport.self = self_;
  for (const ledger::Validator& validator : genesis_.validators) {
    transport.validators.push_back({validator.p2p, validator.public_key});
  }
  transport.bind_endpoint = "tcp://" + config_.p2p_host + ":" + std::to_string(config_.p2p_port);
  transport.source_host = config_.p2p_source_host;
  transport.identity = CurveKeyPair::from_ed25519(key);
  transport.frame_bytes_max = wire_frame_bytes_max(genesis_.block_limits);
  if (transport.frame_bytes_max > transport_frame_bytes_limit) {
    return Status::error("genesis block_bytes_max is too large for the transport's " +
                         std::to_string(transport_frame_bytes_limit) + "-byte frame limit");
  }
  transport_ = std::make_unique<Transport>(
      std::move(transport),
      [this](uint32_t from, Bytes frame) { on_frame(from, std::move(frame)); },
      [this](const std::string& line) { log_->warn("p2p: {}", line); });
  peer_up_.assign(genesis_.n(), false);
  peer_links_up_.assign(genesis_.n(), 0);

  BackendDeps deps;
  deps.store = store_.get();
  deps.genesis = &genesis_;
  deps.self = self_;
  deps.min_fee = config_.min_fee;
  deps.board = &board_;
  deps.queue = queue_.get();
  deps.cache = cache_.get();
  deps.connected_peers = [this] { return transport_->connected_peers(); };
  deps.submit_timeout = std::chrono::milliseconds(config_.rpc_submit_timeout_ms);
  backend_ = std::make_unique<NodeBackend>(std::move(deps));

  RpcServerOptions rpc;
  rpc.host = config_.rpc_host;
  rpc.port = config_.rpc_port;
  rpc.threads = config_.rpc_threads;
  rpc.body_bytes_max = config_.rpc_body_bytes_max;
  rpc.limits.batch_max = config_.rpc_batch_max;
  rpc.calls_limit = {config_.rpc_calls_per_second, config_.rpc_calls_burst};
  rpc.send_limit = {config_.rpc_sends_per_second, config_.rpc_sends_burst};
  auto server = RpcServer::create(*backend_, rpc);
  if (!server) return Status::error("rpc: " + server.message());
  rpc_ = std::move(server).value();
  return Status::ok();
}

Node::~Node() {
  stop_services();
  if (queue_) queue_->close();
  if (pool_) pool_->stop();
  if (log_) {
    // The verification count is what the issue bounds (at most once per tx, plus the few a
    // full cache forgets); tests read it from this line.
    log_->info(
        "stopped: {} blocks committed ({} txs), {} proposed; tx signature verifications {} "
        "(cache hits {}); view changes {}; frames malformed {}, dropped busy {}, wrong sender {}",
        counters_.blocks_committed, counters_.txs_committed, counters_.blocks_proposed,
        cache_ ? cache_->verifications() : 0, cache_ ? cache_->hits() : 0,
        replica_ ? replica_->counters().view_changes : 0, counters_.frames_malformed.load(),
        counters_.frames_dropped_busy.load(), counters_.frames_wrong_sender.load());
    if (replica_) log_peer_faults(/*changed_only=*/false);
  }
}

Status Node::start() {
  const Status transport = transport_->start();
  if (!transport) return Status::error("p2p: " + transport.message());
  const Status rpc = rpc_->start();
  if (!rpc) {
    transport_->stop();
    return Status::error("rpc: cannot serve on " + config_.rpc_host + ":" +
                         std::to_string(config_.rpc_port) + ": " + rpc.message());
  }
  writer_ = std::make_unique<LedgerWriter>(store_.get(), hooks_.get(), [this](LedgerBatch batch) {
    (void)queue_->push_always(LedgerBatchEvent{std::move(batch)}, 0);
  });
  log_start();
  return Status::ok();
}

void Node::log_start() const {
  log_->info("started: validator {} of {} (chain {}), p2p {}, rpc {}:{}, height {}, view {}", self_,
             genesis_.n(), genesis_.chain_id, transport_->bound_endpoint(), config_.rpc_host,
             rpc_->port(), store_->height(), replica_->view());
}

uint16_t Node::rpc_port() const { return rpc_->port(); }

void Node::request_stop() { (void)queue_->push_always(StopEvent{}, 0); }

void Node::stop_services() {
  std::lock_guard<std::mutex> lock(services_mutex_);
  if (services_stopped_) return;
  services_stopped_ = true;
  if (rpc_) rpc_->stop();
  if (transport_) transport_->stop();
}

// On the transport's I/O thread: decode strictly, then hand over. Nothing undecodable, and
// no consensus message that names a sender other than the authenticated one, reaches the
// loop. A full queue drops the frame (consensus retransmits; gossip is best effort).
void Node::on_frame(uint32_t from, Bytes frame) {
  auto decoded = decode_wire_frame(frame, genesis_.block_limits);
  if (!decoded) {
    const uint64_t count = ++counters_.frames_malformed;
    if (count <= 10 || count % 1000 == 0) {
      log_->warn("dropped a malformed frame from validator {} ({} so far): {}", from, count,
                 decoded.message());
    }
    return;
  }
  bool queued = false;
  if (decoded->kind == WireKind::kConsensus) {
    if (decoded->message.from != from) {
      ++counters_.frames_wrong_sender;
      return;
    }
    queued = queue_->try_push(PeerMessageEvent{from, std::move(decoded->message)}, frame.size());
  } else {
    queued = queue_->try_push(PeerTxsEvent{from, std::move(decoded->txs)}, frame.size());
  }
  if (!queued) ++counters_.frames_dropped_busy;
}

}  // namespace phalanx::node
