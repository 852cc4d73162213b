// The simulation's event loop, message transport and validation oracle (see simulation.h).
// Every message crosses the network as consensus/codec.h envelope bytes: encoded once when
// sent, decoded at each delivery, so the codec is exercised on every message.
#include <algorithm>
#include <map>

#include "consensus/codec.h"
#include "tests/sim/simulation_internal.h"

namespace phalanx::sim {
namespace {

constexpr uint64_t kGenesisTimeMs = 1'764'000'000'000;
constexpr uint64_t kStreamNetwork = 2;
constexpr uint64_t kStreamFaults = 3;
constexpr uint64_t kStreamClients = 4;
constexpr uint64_t kStreamInjector = 5;
constexpr uint64_t kStreamByzantine = 16;  // + replica index

// Liveness: every honest replica must execute every tx (one that fell behind catches up).
std::vector<uint32_t> liveness_replicas(const FaultPlan& plan) {
  std::vector<uint32_t> replicas;
  for (uint32_t i = 0; i < plan.validators; ++i) {
    if (!plan.is_byzantine(i)) replicas.push_back(i);
  }
  PHALANX_ASSERT(replicas.size() >= plan.quorum());
  return replicas;
}

Hash seeded_hash(std::string_view label, uint64_t seed) {
  Writer writer;
  writer.bytes(as_span(label));
  writer.u64(seed);
  return crypto::sha256(writer.data());
}

consensus::Config make_config(const FaultPlan& plan, const SimOptions& options,
                              const Keyring& keyring) {
  consensus::Config config;
  config.chain_id = "phalanx-sim";
  config.validators = keyring.public_keys();
  config.pipeline_depth = plan.pipeline_depth;
  config.checkpoint_interval = plan.checkpoint_interval;
  config.log_window = plan.log_window;
  config.retransmit_ms = plan.retransmit_ms;
  config.view_change_timeout_ms = plan.view_change_timeout_ms;
  config.genesis_hash = seeded_hash("phalanx-sim genesis", plan.seed);
  config.genesis_state_root = seeded_hash("phalanx-sim genesis state", plan.seed);
  config.genesis_time_ms = kGenesisTimeMs;
  config.mutations = options.mutations;
  return config;
}

}  // namespace

Simulation::Simulation(const SimOptions& options, std::ostream* trace_out)
    : options_(options),
      plan_(make_fault_plan(options)),
      trace_(trace_out),
      root_(options.seed),
      faults_prng_(root_.fork(kStreamFaults)),
      clients_prng_(root_.fork(kStreamClients)),
      keyring_(options.seed, plan_.validators, plan_.scheme, "phalanx-sim"),
      config_(make_config(plan_, options, keyring_)),
      clients_(options.seed, plan_.client_keys, config_.chain_id),
      checker_(CheckerConfig{plan_.validators, plan_.quorum(), config_.genesis_hash,
                             options.check_certificates, liveness_replicas(plan_)},
               keyring_.verifier(), &clients_.known()),
      network_(plan_, root_.fork(kStreamNetwork)) {
  // Live records: per height inside the window a handful (votes, accepted pre-prepare,
  // prepared certificate), one checkpoint vote per K heights, the view and the proof.
  const size_t persisted_keys_max = 8 * (static_cast<size_t>(plan_.log_window) + 1) + 16;
  // A view change re-signs PRE-PREPARE/PREPARE/COMMIT (and accepts, prepared proofs) for
  // the re-proposed heights; the old view's records go at the next checkpoint GC.
  const size_t persisted_keys_per_view = 5 * (static_cast<size_t>(plan_.log_window) + 1);
  byzantine_.resize(plan_.validators);
  for (uint32_t replica : plan_.byzantine) {
    byzantine_[replica] =
        std::make_unique<Byzantine>(plan_, config_, replica, keyring_.signer(replica), &clients_,
                                    root_.fork(kStreamByzantine + replica));
  }
  for (uint32_t i = 0; i < plan_.validators; ++i) {
    NodeSetup setup{config_,
                    byzantine_[i].get(),
                    &keyring_,
                    plan_.batch_txs_max,
                    plan_.clock_offsets_ms[i],
                    persisted_keys_max,
                    persisted_keys_per_view};
    setup.config.self = i;
    nodes_.push_back(std::make_unique<SimNode>(std::move(setup), this, &checker_, &trace_));
  }
  if (plan_.injector) {
    const uint32_t byzantine = config_.primary_of(0);
    injector_ = std::make_unique<Injector>(plan_, config_.block_limits, byzantine,
                                           keyring_.signer(byzantine), &clients_,
                                           root_.fork(kStreamInjector));
  }
}

RunResult Simulation::run() {
  note(-1, "seed " + std::to_string(plan_.seed) + ": " + plan_.describe());
  for (auto& node : nodes_) {
    node->start();
    schedule(faults_prng_.range(0, plan_.tick_ms), EventKind::kTick, node->id());
  }
  schedule(0, EventKind::kClientSubmit);
  schedule(plan_.client_retry_ms, EventKind::kClientRetry);
  if (plan_.crash_interval_ms > 0) schedule(plan_.crash_interval_ms, EventKind::kCrash);
  if (plan_.partition_interval_ms > 0) {
    schedule(plan_.partition_interval_ms, EventKind::kPartition);
  }
  schedule(plan_.fault_phase_ms, EventKind::kFaultsEnd);
  while (checker_.ok() && !queue_.empty() && queue_.next_time_ms() <= end_ms_) {
    if (queue_.nearly_full()) {
      checker_.fail(Invariant::kProgress,
                    std::to_string(queue_.size()) + " pending events (a message storm)");
      break;
    }
    handle(queue_.pop());
    ++events_;
    if (liveness_reached()) {
      note(-1, "liveness: all " + std::to_string(clients_.transactions().size()) +
                   " txs executed by every honest replica");
      return result();
    }
  }
  if (checker_.ok()) {
    const uint64_t done = checker_.txs_at_quorum();
    checker_.fail(Invariant::kLiveness,
                  std::to_string(clients_.transactions().size() - done) + " of " +
                      std::to_string(clients_.transactions().size()) +
                      " txs not executed by every honest replica, " +
                      std::to_string(liveness_bound_ms_) + " ms after the network healed" +
                      " (highest committed height " + std::to_string(checker_.highest_committed()) +
                      ")");
  }
  return result();
}

bool Simulation::liveness_reached() const {
  return liveness_phase_ && liveness_submitted_ >= plan_.liveness_txs &&
         checker_.txs_at_quorum() == clients_.transactions().size();
}

void Simulation::handle(const Event& event) {
  SimNode* node = event.node < nodes_.size() ? nodes_[event.node].get() : nullptr;
  const bool current = node != nullptr && node->up() && node->incarnation() == event.incarnation;
  switch (event.kind) {
    case EventKind::kDeliver:
      deliver(event);
      break;
    case EventKind::kTick:
      if (!current) break;  // a stale tick chain of a crashed incarnation
      node->tick();
      if (node->up()) schedule(plan_.tick_ms, EventKind::kTick, event.node);
      break;
    case EventKind::kValidated:
      if (!current) break;
      if (trace_.on()) {
        note(static_cast<int>(event.node),
             std::string("validated h") + std::to_string(event.height) + " " +
                 short_hex(event.digest) + (event.valid ? ": valid" : ": INVALID"));
      }
      node->validated(event.height, event.digest, event.valid);
      break;
    case EventKind::kClientSubmit:
      client_submit();
      break;
    case EventKind::kClientRetry:
      client_retry();
      break;
    case EventKind::kCrash:
      crash_someone();
      break;
    case EventKind::kCrashDeadline:
      if (current && node->crash_armed()) node->crash_now();
      break;
    case EventKind::kRestart:
      restart(event.node);
      break;
    case EventKind::kPartition:
      partition();
      break;
    case EventKind::kHeal:
      note(-1, "heal partition");
      network_.heal();
      break;
    case EventKind::kFaultsEnd:
      end_faults();
      break;
  }
}

void Simulation::deliver(const Event& event) {
  SimNode& node = *nodes_[event.node];
  auto message = consensus::decode_message(*event.wire, config_.block_limits);
  if (!message && byzantine_[event.peer]) {
    ++garbage_rejected_;  // what the decoder is for
    if (trace_.on()) {
      note(static_cast<int>(event.node), "refused " + std::to_string(event.wire->size()) +
                                             " bytes from r" + std::to_string(event.peer) + ": " +
                                             message.message());
    }
    return;
  }
  if (!message) {
    checker_.fail(Invariant::kCodec, "a message from replica " + std::to_string(event.peer) +
                                         " does not decode: " + message.message());
    return;
  }
  if (!node.up()) {
    if (trace_.on()) note(static_cast<int>(event.node), "down, lost " + format_message(*message));
    return;
  }
  if (trace_.on()) {
    note(static_cast<int>(event.node),
         "recv " + format_message(*message) + " from r" + std::to_string(event.peer));
  }
  if (byzantine_[event.node]) byzantine_[event.node]->on_received(event.wire);
  node.step(*message);
}

void Simulation::deliver_wire(uint32_t from, uint32_t to, std::shared_ptr<const Bytes> wire,
                              std::string* trace_fates) {
  const std::vector<uint64_t> delays = network_.fates(from, to);
  if (trace_fates != nullptr) {
    *trace_fates += " r" + std::to_string(to);
    if (delays.empty()) *trace_fates += "(lost)";
    if (delays.size() > 1) *trace_fates += "(x2)";
  }
  for (uint64_t delay : delays) {
    Event event;
    event.kind = EventKind::kDeliver;
    event.node = to;
    event.peer = from;
    event.wire = wire;
    queue_.schedule(delay, std::move(event));
  }
}

void Simulation::send_byzantine(Byzantine& byzantine, const consensus::Outbound& outbound) {
  const uint32_t from = byzantine.self();
  const std::vector<Emission> emissions = byzantine.on_send(outbound);
  if (emissions.empty() && trace_.on()) {
    note(static_cast<int>(from), "BYZANTINE withholds " + format_message(outbound.message));
  }
  for (const Emission& emission : emissions) {
    ++messages_sent_;
    std::string fates;
    for (uint32_t to : emission.targets) deliver_wire(from, to, emission.wire, &fates);
    if (!trace_.on()) continue;
    if (emission.what.empty()) {
      note(static_cast<int>(from), "send " + format_message(outbound.message) + " to" + fates);
      continue;
    }
    auto decoded = consensus::decode_message(*emission.wire, config_.block_limits);
    note(static_cast<int>(from), "BYZANTINE " + emission.what + ": " +
                                     (decoded ? format_message(*decoded) : "undecodable") + " to" +
                                     fates);
  }
}

void Simulation::send(uint32_t from, const consensus::Outbound& outbound) {
  if (byzantine_[from]) {
    send_byzantine(*byzantine_[from], outbound);
    return;
  }
  const consensus::Message& message = outbound.message;
  checker_.on_sent(from, message);
  ++messages_sent_;
  auto wire = std::make_shared<const Bytes>(consensus::encode_message(message));
  std::string fates;
  std::string* trace_fates = trace_.on() ? &fates : nullptr;
  for (uint32_t to = 0; to < nodes_.size(); ++to) {
    if (to == from || (outbound.to && *outbound.to != to)) continue;
    deliver_wire(from, to, wire, trace_fates);
  }
  if (trace_.on()) note(static_cast<int>(from), "send " + format_message(message) + " to" + fates);
  if (injector_ && message.kind == consensus::MessageKind::kPrePrepare &&
      from == config_.primary_of(message.view)) {
    inject(injector_->on_primary_pre_prepare(message));
  }
}

void Simulation::inject(const std::vector<Forgery>& forgeries) {
  for (const Forgery& forgery : forgeries) {
    auto wire = std::make_shared<const Bytes>(consensus::encode_message(forgery.message));
    std::string targets;
    for (uint32_t to : forgery.targets) {
      targets += " r" + std::to_string(to);
      Event event;
      event.kind = EventKind::kDeliver;
      event.node = to;
      event.peer = forgery.message.from;
      event.wire = wire;
      queue_.schedule(0, std::move(event));  // ahead of the real message (delay >= 1 ms)
    }
    if (trace_.on()) {
      note(-1, "FORGE " + forgery.what + ": " + format_message(forgery.message) + " to" + targets);
    }
  }
}

void Simulation::request_validation(uint32_t node, uint64_t incarnation,
                                    const consensus::ValidationRequest& request) {
  // The oracle: valid iff every tx was created by a client (no Ed25519 re-verification).
  // Plus the node's application checks: no tx repeated in the chain (SimNode::repeats_tx).
  bool valid = !nodes_[node]->repeats_tx(*request.block);
  for (const auto& tx : request.block->transactions) {
    if (clients_.known().count(tx.hash) == 0) valid = false;
  }
  Event event;
  event.kind = EventKind::kValidated;
  event.node = node;
  event.incarnation = incarnation;
  event.height = request.height;
  event.digest = request.digest;
  event.valid = valid;
  queue_.schedule(faults_prng_.range(0, plan_.validation_delay_max_ms), std::move(event));
}

}  // namespace phalanx::sim
